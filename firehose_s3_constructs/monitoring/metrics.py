"""The metrics of one monitored delivery stream: Firehose's own, the quota ratios, the transform's.

Firehose metrics are read from namespace ``AWS/Firehose`` with the dimension ``DeliveryStreamName`` = the
stream's real name (``delivery_stream.metric(...)``: a Ref to the stream in the template, or the imported
name), published once a minute
(https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html). The transform's
embedded metrics use the names and the dimension of :mod:`firehose_transform.contract`.
"""

from __future__ import annotations

import re

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_

from firehose_transform import contract

from .options import PERIOD
from .settings import StreamSettings

__all__ = ["FIREHOSE_NAMESPACE", "QUOTAS", "StreamMetrics", "metric_id", "quota_expression"]

FIREHOSE_NAMESPACE = "AWS/Firehose"

#: (alarm key, incoming metric, limit metric, what) for the Direct PUT quota alarms.
QUOTAS = (
    ("IncomingBytes", "IncomingBytes", "BytesPerSecondLimit", "bytes"),
    ("IncomingRecords", "IncomingRecords", "RecordsPerSecondLimit", "records"),
    ("IncomingPutRequests", "IncomingPutRequests", "PutRequestsPerSecondLimit", "put requests"),
)


def metric_id(metric_name: str) -> str:
    """A metric-math id for a metric name: ``IncomingBytes`` -> ``incoming_bytes``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", metric_name).lower()


def quota_expression(incoming: str, limit: str) -> str:
    """The metric-math ratio of a quota alarm, with ids ``<incoming>``/``<limit>`` in snake case.

    ``(IncomingBytes Sum / PERIOD(IncomingBytes)) / BytesPerSecondLimit``: AWS's guidance (Sum over the period
    divided by its seconds, against the per-second limit). ``PERIOD()`` is the metric's own period in seconds
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html), so the ratio stays
    right whatever period the alarm or graph uses. The ids differ per quota so the three ratios can share one
    dashboard graph.
    """
    incoming_id = metric_id(incoming)
    return f"({incoming_id} / PERIOD({incoming_id})) / {metric_id(limit)}"


class StreamMetrics:
    """Metric factory for one delivery stream and its settings (metrics only: no alarms, no widgets)."""

    def __init__(self, delivery_stream: firehose.IDeliveryStream, settings: StreamSettings) -> None:
        self.delivery_stream = delivery_stream
        self.settings = settings

    def firehose(
        self, metric_name: str, *, statistic: str = "Sum", period: Duration = PERIOD, label: str | None = None
    ) -> cloudwatch.Metric:
        """``AWS/Firehose`` ``metric_name`` of this stream (dimension ``DeliveryStreamName``)."""
        return self.delivery_stream.metric(metric_name, statistic=statistic, period=period, label=label)

    def quota_ratio(self, incoming: str, limit: str) -> cloudwatch.MathExpression:
        """AWS's guidance: ``(incoming Sum / PERIOD) / limit``; the limit at its Minimum."""
        return self.quota_math(incoming, limit, scale="", label=f"{incoming} per second / {limit}")

    def quota_math(self, incoming: str, limit: str, *, scale: str, label: str) -> cloudwatch.MathExpression:
        """``scale`` (e.g. ``"100 * "``) times the quota ratio."""
        return cloudwatch.MathExpression(
            expression=scale + quota_expression(incoming, limit),
            using_metrics={
                metric_id(incoming): self.firehose(incoming, statistic="Sum"),
                metric_id(limit): self.firehose(limit, statistic="Minimum"),
            },
            period=PERIOD,
            label=label,
        )

    def transform_embedded(self, metric_name: str, *, label: str | None = None) -> cloudwatch.Metric:
        """An embedded metric of this library's transform (a label would make an alarm render it as math)."""
        function = self.settings.transform_function
        namespace = self.settings.transform_metrics_namespace
        assert function is not None
        assert namespace is not None
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={contract.METRIC_DIMENSION: function.function_name},
            statistic="Sum",
            period=PERIOD,
            label=label,
        )

    def transform_errors(self, *, label: str | None = None) -> cloudwatch.Metric:
        return self._function().metric_errors(statistic="Sum", period=PERIOD, label=label)

    def transform_throttles(self, *, label: str | None = None) -> cloudwatch.Metric:
        return self._function().metric_throttles(statistic="Sum", period=PERIOD, label=label)

    def transform_duration(self, *, label: str | None = None) -> cloudwatch.Metric:
        return self._function().metric_duration(statistic="Maximum", period=PERIOD, label=label)

    def kinesis_iterator_age(self, *, label: str | None = None) -> cloudwatch.Metric:
        """The source stream's iterator age (all consumers), Maximum."""
        stream = self.settings.source_stream
        assert stream is not None
        return stream.metric_get_records_iterator_age_milliseconds(statistic="Maximum", period=PERIOD, label=label)

    def _function(self) -> lambda_.IFunction:
        function = self.settings.transform_function
        assert function is not None
        return function

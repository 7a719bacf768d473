"""The CloudWatch dashboard of a monitored delivery stream: one row per concern, alarms on top."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cloudwatch

from firehose_transform import contract

from .alarms import KMS_KEY_ALARMS
from .metrics import QUOTAS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .stream_monitoring import DeliveryStreamMonitoring

__all__ = ["build_dashboard"]


def build_dashboard(monitoring: DeliveryStreamMonitoring) -> cloudwatch.Dashboard:
    """The ``Dashboard`` of ``monitoring``: ingest (quota or Kinesis lag), delivery, transform, backup, errors."""
    settings = monitoring.settings
    rows: list[list[cloudwatch.IWidget]] = []
    source = "Direct PUT" if settings.direct_put else "Kinesis Data Stream"
    rows.append(
        [
            cloudwatch.TextWidget(
                markdown=(
                    f"# Firehose {monitoring.delivery_stream.delivery_stream_name} -> S3\n"
                    f"Source: {source}. Delivery freshness threshold: {monitoring.freshness_threshold} s."
                ),
                width=24,
                height=2,
            )
        ]
    )
    if monitoring.alarms:
        rows.append([cloudwatch.AlarmStatusWidget(alarms=list(monitoring.alarms.values()), title="Alarms", width=24)])
    rows.append(_ingest_widgets(monitoring))
    rows.append(_delivery_widgets(monitoring))
    if settings.transform_function is not None:
        rows.append(_transform_widgets(monitoring))
    if settings.backup:
        rows.append(_backup_widgets(monitoring))
    errors = _error_widgets(monitoring)
    if errors:
        rows.append(errors)
    return cloudwatch.Dashboard(monitoring, "Dashboard", widgets=rows)


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    annotation: float | None = None,
    annotation_label: str = "alarm threshold",
    width: int = 8,
) -> cloudwatch.GraphWidget:
    annotations = (
        [cloudwatch.HorizontalAnnotation(value=annotation, label=annotation_label)] if annotation is not None else None
    )
    return cloudwatch.GraphWidget(title=title, left=list(left), left_annotations=annotations, width=width)


def _ingest_widgets(monitoring: DeliveryStreamMonitoring) -> list[cloudwatch.IWidget]:
    m = monitoring.metrics.firehose
    if monitoring.settings.direct_put:
        percent = [
            monitoring.metrics.quota_math(incoming, limit, scale="100 * ", label=f"{key} % of quota")
            for key, incoming, limit, _ in QUOTAS
        ]
        return [
            _graph(
                "Ingest against quota (%)",
                percent,
                annotation=100 * monitoring.options.quota_share,
                annotation_label="quota alarm",
            ),
            _graph(
                "Incoming (Sum)",
                [m(name, label=name) for name in ("IncomingBytes", "IncomingRecords", "IncomingPutRequests")],
            ),
            _graph("Throttled records (Sum)", [m("ThrottledRecords", label="ThrottledRecords")]),
        ]
    lag = [
        m("KinesisMillisBehindLatest", statistic="Maximum", label="Firehose ms behind latest"),
        monitoring.metrics.kinesis_iterator_age(label="Stream iterator age (all consumers)"),
    ]
    return [
        _graph(
            "Read from Kinesis (Sum)",
            [m(f"DataReadFromKinesisStream.{unit}", label=unit) for unit in ("Records", "Bytes")],
        ),
        _graph("Consumer lag (ms)", lag, annotation=monitoring.options.iterator_age_threshold.to_milliseconds()),
        _graph(
            "Read throttling (Sum)",
            [m(f"Throttled{api}", label=api) for api in ("GetRecords", "DescribeStream", "GetShardIterator")],
        ),
    ]


def _delivery_widgets(monitoring: DeliveryStreamMonitoring) -> list[cloudwatch.IWidget]:
    return _s3_widgets(monitoring, "DeliveryToS3", ("Delivery", "Delivered"), monitoring.freshness_threshold)


def _transform_widgets(monitoring: DeliveryStreamMonitoring) -> list[cloudwatch.IWidget]:
    m = monitoring.metrics.firehose
    results: list[cloudwatch.IMetric] = [
        m("SucceedProcessing.Records", label="SucceedProcessing.Records"),
        monitoring.metrics.transform_errors(label="Lambda Errors"),
        monitoring.metrics.transform_throttles(label="Lambda Throttles"),
    ]
    if monitoring.settings.transform_emits_metrics:
        results += [monitoring.metrics.transform_embedded(name, label=name) for name in contract.RECORD_METRICS]
    timeout_ms = monitoring.transform_timeout_ms
    return [
        _graph(
            "Transform success (Average)",
            [m("ExecuteProcessing.Success", statistic="Average", label="ExecuteProcessing.Success")],
        ),
        _graph(
            "Transform duration (ms)",
            [
                monitoring.metrics.transform_duration(label="Lambda Duration Maximum"),
                m("ExecuteProcessing.Duration", statistic="Average", label="ExecuteProcessing.Duration Average"),
            ],
            annotation=round(timeout_ms * monitoring.options.transform_duration_share, 3),
        ),
        _graph("Transform results and errors (Sum)", results),
    ]


def _backup_widgets(monitoring: DeliveryStreamMonitoring) -> list[cloudwatch.IWidget]:
    return _s3_widgets(monitoring, "BackupToS3", ("Backup", "Backed up"), monitoring.backup_freshness_threshold)


def _s3_widgets(
    monitoring: DeliveryStreamMonitoring, prefix: str, titles: tuple[str, str], freshness_threshold: float | None
) -> list[cloudwatch.IWidget]:
    """Freshness, success and volume of one S3 delivery (the destination or the backup): ``prefix`` is its metrics'."""
    m = monitoring.metrics.firehose
    subject, done = titles
    return [
        _graph(
            f"{subject} freshness (s, Maximum)",
            [m(f"{prefix}.DataFreshness", statistic="Maximum", label="DataFreshness")],
            annotation=freshness_threshold,
        ),
        _graph(f"{subject} success (Average)", [m(f"{prefix}.Success", statistic="Average", label="Success")]),
        _graph(f"{done} (Sum)", [m(f"{prefix}.{unit}", label=unit) for unit in ("Records", "Bytes")]),
    ]


def _error_widgets(monitoring: DeliveryStreamMonitoring) -> list[cloudwatch.IWidget]:
    m = monitoring.metrics.firehose
    widgets: list[cloudwatch.IWidget] = []
    if monitoring.settings.stream_encryption_key is not None:
        widgets.append(
            _graph("Stream KMS key errors (Sum)", [m(spec.metric_name, label=spec.name) for spec in KMS_KEY_ALARMS])
        )
    if monitoring.settings.format_conversion:
        widgets.append(
            _graph(
                "Format conversion (Sum)",
                [m(name, label=name) for name in ("SucceedConversion.Records", "FailedConversion.Records")],
            )
        )
    if monitoring.settings.decompression:
        widgets.append(
            _graph(
                "Decompression (Sum)",
                [m(f"OutputDecompressedRecords.{outcome}", label=outcome) for outcome in ("Success", "Failed")],
            )
        )
    if monitoring.settings.dynamic_partitioning:
        widgets.append(
            _graph(
                "Dynamic partitions (Maximum)",
                [
                    m(name, statistic="Maximum", label=name)
                    for name in ("PartitionCount", "ActivePartitionsLimit", "PartitionCountExceeded")
                ],
            )
        )
    return widgets

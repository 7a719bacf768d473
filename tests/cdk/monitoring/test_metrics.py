"""StreamMetrics: the metrics of one stream (AWS/Firehose by stream name, Lambda, the transform's embedded ones)."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from cdk_helpers import make_app
from cdk_helpers.monitoring import stand_in_function

from firehose_s3_constructs.monitoring import FIREHOSE_NAMESPACE, StreamMetrics, StreamSettings, quota_expression
from firehose_s3_constructs.monitoring.metrics import QUOTAS, metric_id
from firehose_transform import contract


@dataclass(frozen=True)
class Scratch:
    stack: cdk.Stack
    stream: firehose.IDeliveryStream
    function: lambda_.Function
    source: kinesis.Stream


@pytest.fixture(scope="module")
def scratch() -> Scratch:
    stack = cdk.Stack(make_app(), "Scratch")
    return Scratch(
        stack,
        firehose.DeliveryStream.from_delivery_stream_name(stack, "S", "orders"),
        stand_in_function(stack, Duration.seconds(60)),
        kinesis.Stream(stack, "Source"),
    )


@pytest.mark.parametrize(
    ("incoming", "limit", "expression"),
    [
        ("IncomingBytes", "BytesPerSecondLimit", "(incoming_bytes / PERIOD(incoming_bytes)) / bytes_per_second_limit"),
        (
            "IncomingRecords",
            "RecordsPerSecondLimit",
            "(incoming_records / PERIOD(incoming_records)) / records_per_second_limit",
        ),
        (
            "IncomingPutRequests",
            "PutRequestsPerSecondLimit",
            "(incoming_put_requests / PERIOD(incoming_put_requests)) / put_requests_per_second_limit",
        ),
    ],
)
def test_quota_expression(incoming: str, limit: str, expression: str) -> None:
    assert quota_expression(incoming, limit) == expression
    assert (incoming, incoming, limit) in {q[:3] for q in QUOTAS}


def test_metric_id_is_snake_case() -> None:
    assert metric_id("IncomingBytes") == "incoming_bytes"
    assert metric_id("PutRequestsPerSecondLimit") == "put_requests_per_second_limit"


def test_firehose_metrics_are_by_stream_name(scratch: Scratch) -> None:
    metric = StreamMetrics(scratch.stream, StreamSettings()).firehose("DeliveryToS3.Success", statistic="Average")
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        FIREHOSE_NAMESPACE,
        "DeliveryToS3.Success",
        "Average",
    )
    assert FIREHOSE_NAMESPACE == "AWS/Firehose"
    assert metric.period.to_seconds() == 300
    assert metric.dimensions == {"DeliveryStreamName": "orders"}


def test_quota_ratio_uses_the_limits_minimum(scratch: Scratch) -> None:
    ratio = StreamMetrics(scratch.stream, StreamSettings()).quota_ratio("IncomingBytes", "BytesPerSecondLimit")
    assert ratio.expression == "(incoming_bytes / PERIOD(incoming_bytes)) / bytes_per_second_limit"
    used = ratio.using_metrics
    assert sorted(used) == ["bytes_per_second_limit", "incoming_bytes"]
    assert used["incoming_bytes"].to_metric_config().metric_stat.statistic == "Sum"  # type: ignore[union-attr]
    assert used["bytes_per_second_limit"].to_metric_config().metric_stat.statistic == "Minimum"  # type: ignore[union-attr]


def test_transform_metrics(scratch: Scratch) -> None:
    settings = StreamSettings(
        transform_function=scratch.function, transform_metrics_namespace=contract.DEFAULT_METRICS_NAMESPACE
    )
    metrics = StreamMetrics(scratch.stream, settings)
    embedded = metrics.transform_embedded(contract.METRIC_RECORDS_FAILED)
    assert (embedded.namespace, embedded.metric_name, embedded.statistic) == (
        "FirehoseS3Constructs/Transform",
        "RecordsProcessingFailed",
        "Sum",
    )
    dimensions = embedded.dimensions
    assert dimensions is not None
    assert list(dimensions) == [contract.METRIC_DIMENSION]
    assert scratch.stack.resolve(dimensions[contract.METRIC_DIMENSION]) == {
        "Ref": scratch.stack.get_logical_id(scratch.function.node.default_child)  # type: ignore[arg-type]
    }
    for metric, name, statistic in (
        (metrics.transform_errors(), "Errors", "Sum"),
        (metrics.transform_throttles(), "Throttles", "Sum"),
        (metrics.transform_duration(), "Duration", "Maximum"),
    ):
        assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/Lambda", name, statistic)


def test_kinesis_iterator_age(scratch: Scratch) -> None:
    metric = StreamMetrics(scratch.stream, StreamSettings(source_stream=scratch.source)).kinesis_iterator_age()
    assert (metric.namespace, metric.metric_name, metric.statistic) == (
        "AWS/Kinesis",
        "GetRecords.IteratorAgeMilliseconds",
        "Maximum",
    )

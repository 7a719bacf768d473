"""The built-in alarm set: which alarms exist per configuration, and each alarm's metric, threshold, evaluation
and actions (the six monitored stacks of monitoring/conftest.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from cdk_helpers import ROOT, resources_of
from cdk_helpers.monitoring import CONFIGS, GT, LT, NB, Monitored

from firehose_s3_constructs.monitoring import (
    DYNAMIC_PARTITIONING_ALARMS,
    FORMAT_CONVERSION_ALARMS,
    KMS_KEY_ALARMS,
    AlarmSpec,
)
from firehose_transform import contract

DIRECT_PUT = {
    "DeliveryFreshness",
    "DeliverySuccess",
    "ThrottledRecords",
    "IncomingBytesQuota",
    "IncomingRecordsQuota",
    "IncomingPutRequestsQuota",
}
KINESIS = {
    "DeliveryFreshness",
    "DeliverySuccess",
    "KinesisLag",
    "ThrottledGetRecords",
    "ThrottledDescribeStream",
    "ThrottledGetShardIterator",
}
TRANSFORM = {"TransformSuccess", "TransformErrors", "TransformThrottles", "TransformDuration"}
KMS = {"KMSKeyAccessDenied", "KMSKeyDisabled", "KMSKeyInvalidState", "KMSKeyNotFound"}
BACKUP = {"BackupFreshness", "BackupSuccess"}
EXPECTED_SETS = {
    "direct": DIRECT_PUT,
    "full": DIRECT_PUT
    | TRANSFORM
    | {"TransformRecordsFailed"}
    | BACKUP
    | KMS
    | {"FailedConversion", "PartitionCountExceeded"},
    "kinesis_source": KINESIS | TRANSFORM,
    "custom": KINESIS,
    "off": set(),
    "extended": DIRECT_PUT | {"ObjectCountHigh", "FailedConversion"},
}


# --- which alarms exist ---------------------------------------------------------------------------------
@pytest.mark.parametrize("config", CONFIGS)
def test_alarm_set_follows_the_configuration(config: str, request: pytest.FixtureRequest) -> None:
    built: Monitored = request.getfixturevalue(config)
    assert set(built.monitoring.alarms) == EXPECTED_SETS[config]
    assert len(resources_of(built.template, "AWS::CloudWatch::Alarm")) == len(EXPECTED_SETS[config])


def test_kinesis_source_has_no_direct_put_alarms_and_direct_put_no_kinesis_alarms(
    direct: Monitored, kinesis_source: Monitored
) -> None:
    assert not set(kinesis_source.monitoring.alarms) & (DIRECT_PUT - KINESIS)
    assert not set(direct.monitoring.alarms) & (KINESIS - DIRECT_PUT)


def test_user_transform_has_no_embedded_metric_alarm(kinesis_source: Monitored) -> None:
    assert "TransformRecordsFailed" not in kinesis_source.monitoring.alarms
    assert contract.DEFAULT_METRICS_NAMESPACE not in json.dumps(kinesis_source.template)


# --- each alarm's settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expect:
    metric: str
    statistic: str
    threshold: float
    comparison: str
    evaluation: int
    datapoints: int
    missing: str = NB
    namespace: str = "AWS/Firehose"


_FIREHOSE_CASES: dict[str, dict[str, Expect]] = {
    "direct": {
        # 300 s interval + 300 s headroom
        "DeliveryFreshness": Expect("DeliveryToS3.DataFreshness", "Maximum", 600, GT, 1, 1),
        "DeliverySuccess": Expect("DeliveryToS3.Success", "Average", 1, LT, 3, 3),
        "ThrottledRecords": Expect("ThrottledRecords", "Sum", 0, GT, 1, 1),
    },
    "full": {
        # ceil(300 x 1.5) for dynamic partitioning + 60 s processor buffer + 300 s headroom
        "DeliveryFreshness": Expect("DeliveryToS3.DataFreshness", "Maximum", 810, GT, 1, 1),
        "TransformSuccess": Expect("ExecuteProcessing.Success", "Average", 1, LT, 3, 3),
        # 120 s backup interval + 300 s headroom
        "BackupFreshness": Expect("BackupToS3.DataFreshness", "Maximum", 420, GT, 1, 1),
        "BackupSuccess": Expect("BackupToS3.Success", "Average", 1, LT, 3, 3),
        "KMSKeyAccessDenied": Expect("KMSKeyAccessDenied", "Sum", 0, GT, 1, 1),
        "KMSKeyDisabled": Expect("KMSKeyDisabled", "Sum", 0, GT, 1, 1),
        "KMSKeyInvalidState": Expect("KMSKeyInvalidState", "Sum", 0, GT, 1, 1),
        "KMSKeyNotFound": Expect("KMSKeyNotFound", "Sum", 0, GT, 1, 1),
        "FailedConversion": Expect("FailedConversion.Records", "Sum", 0, GT, 1, 1),
        "PartitionCountExceeded": Expect("PartitionCountExceeded", "Maximum", 0, GT, 1, 1),
    },
    "kinesis_source": {
        # 15 minutes in milliseconds (the metric's unit), not 900 seconds
        "KinesisLag": Expect("KinesisMillisBehindLatest", "Maximum", 900_000, GT, 3, 2, "missing"),
        "ThrottledGetRecords": Expect("ThrottledGetRecords", "Sum", 0, GT, 3, 2),
        "ThrottledDescribeStream": Expect("ThrottledDescribeStream", "Sum", 0, GT, 3, 2),
        "ThrottledGetShardIterator": Expect("ThrottledGetShardIterator", "Sum", 0, GT, 3, 2),
        "DeliveryFreshness": Expect("DeliveryToS3.DataFreshness", "Maximum", 660, GT, 1, 1),
    },
    "custom": {
        "KinesisLag": Expect("KinesisMillisBehindLatest", "Maximum", 1_800_000, GT, 3, 2, "missing"),
        # zero buffering and zero headroom: the 60 s floor
        "DeliveryFreshness": Expect("DeliveryToS3.DataFreshness", "Maximum", 60, GT, 1, 1),
    },
    "extended": {
        "ObjectCountHigh": Expect("DeliveryToS3.ObjectCount", "Sum", 10_000, GT, 2, 2),
        "FailedConversion": Expect("FailedConversion.Records", "Sum", 0, GT, 1, 1),
    },
}
_LAMBDA_CASES: dict[str, dict[str, Expect]] = {
    "full": {
        "TransformErrors": Expect("Errors", "Sum", 0, GT, 1, 1, namespace="AWS/Lambda"),
        "TransformThrottles": Expect("Throttles", "Sum", 0, GT, 3, 2, namespace="AWS/Lambda"),
        # 80 % of the 60 s timeout, in milliseconds
        "TransformDuration": Expect("Duration", "Maximum", 48_000, GT, 3, 2, namespace="AWS/Lambda"),
        "TransformRecordsFailed": Expect(
            "RecordsProcessingFailed", "Sum", 0, GT, 1, 1, namespace="FirehoseS3Constructs/Transform"
        ),
    },
    "kinesis_source": {
        # 80 % of Lambda's default 3 s timeout
        "TransformDuration": Expect("Duration", "Maximum", 2_400, GT, 3, 2, namespace="AWS/Lambda"),
        "TransformErrors": Expect("Errors", "Sum", 0, GT, 1, 1, namespace="AWS/Lambda"),
    },
}


def _cases(table: dict[str, dict[str, Expect]]) -> list[Any]:
    return [
        pytest.param(config, name, expect, id=f"{config}-{name}")
        for config in table
        for name, expect in table[config].items()
    ]


def _check_alarm(props: dict[str, Any], expect: Expect, dimension: dict[str, Any]) -> None:
    assert props["Namespace"] == expect.namespace
    assert props["MetricName"] == expect.metric
    assert props["Dimensions"] == [dimension]
    assert props["Statistic"] == expect.statistic
    assert props["Period"] == 300
    assert props["Threshold"] == expect.threshold
    assert props["ComparisonOperator"] == expect.comparison
    assert props["EvaluationPeriods"] == expect.evaluation
    assert props["DatapointsToAlarm"] == expect.datapoints
    assert props["TreatMissingData"] == expect.missing
    assert "First check:" in props["AlarmDescription"]


@pytest.mark.parametrize(("config", "name", "expect"), _cases(_FIREHOSE_CASES))
def test_firehose_alarm(config: str, name: str, expect: Expect, request: pytest.FixtureRequest) -> None:
    built: Monitored = request.getfixturevalue(config)
    # The real stream name: a Ref to the delivery stream, never a made-up dimension such as FirehoseName.
    _check_alarm(built.alarm(name), expect, {"Name": "DeliveryStreamName", "Value": built.ref(built.stream)})


@pytest.mark.parametrize(("config", "name", "expect"), _cases(_LAMBDA_CASES))
def test_transform_alarm(config: str, name: str, expect: Expect, request: pytest.FixtureRequest) -> None:
    built: Monitored = request.getfixturevalue(config)
    assert built.function is not None
    _check_alarm(built.alarm(name), expect, {"Name": "FunctionName", "Value": built.ref(built.function)})


def test_embedded_metric_alarm_uses_the_contracts_namespace_and_dimension(full: Monitored) -> None:
    props = full.alarm("TransformRecordsFailed")
    assert props["Namespace"] == contract.DEFAULT_METRICS_NAMESPACE
    assert props["MetricName"] == contract.METRIC_RECORDS_FAILED
    assert [d["Name"] for d in props["Dimensions"]] == [contract.METRIC_DIMENSION]


@pytest.mark.parametrize(
    ("name", "incoming", "limit", "expression"),
    [
        (
            "IncomingBytesQuota",
            "IncomingBytes",
            "BytesPerSecondLimit",
            "(incoming_bytes / PERIOD(incoming_bytes)) / bytes_per_second_limit",
        ),
        (
            "IncomingRecordsQuota",
            "IncomingRecords",
            "RecordsPerSecondLimit",
            "(incoming_records / PERIOD(incoming_records)) / records_per_second_limit",
        ),
        (
            "IncomingPutRequestsQuota",
            "IncomingPutRequests",
            "PutRequestsPerSecondLimit",
            "(incoming_put_requests / PERIOD(incoming_put_requests)) / put_requests_per_second_limit",
        ),
    ],
)
def test_quota_alarm_is_metric_math_against_the_limit(
    direct: Monitored, name: str, incoming: str, limit: str, expression: str
) -> None:
    props = direct.alarm(name)
    expr, used_incoming, used_limit = props["Metrics"]
    assert expr["Expression"] == expression
    assert expr["ReturnData"] is True
    dimension = [{"Name": "DeliveryStreamName", "Value": direct.ref(direct.stream)}]
    for used, metric_name, stat in ((used_incoming, incoming, "Sum"), (used_limit, limit, "Minimum")):
        assert used["ReturnData"] is False
        assert used["MetricStat"] == {
            "Metric": {"Dimensions": dimension, "MetricName": metric_name, "Namespace": "AWS/Firehose"},
            "Period": 300,
            "Stat": stat,
        }
    assert props["Threshold"] == 0.8
    assert props["ComparisonOperator"] == GT
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 2)
    assert props["TreatMissingData"] == NB


def test_alarm_and_ok_actions_are_the_topic(any_config: Monitored) -> None:
    monitoring = any_config.monitoring
    if not monitoring.alarms:
        return
    assert monitoring.alarm_topic is not None
    topic = any_config.ref(monitoring.alarm_topic)
    extra = [any_config.ref(any_config.pager_topic)] if any_config.pager_topic else []
    for name in monitoring.alarms:
        props = any_config.alarm(name)
        assert props["AlarmActions"] == [topic, *extra], name
        assert props["OKActions"] == [topic], name
        assert "InsufficientDataActions" not in props


def test_extra_actions_go_to_alarm_state_only(full: Monitored) -> None:
    assert full.pager_topic is not None
    pager = full.ref(full.pager_topic)
    for name in full.monitoring.alarms:
        assert pager in full.alarm(name)["AlarmActions"]
        assert pager not in full.alarm(name)["OKActions"]


def test_alarm_metric_type_is_alarm(direct: Monitored) -> None:
    assert all(isinstance(alarm, cloudwatch.Alarm) for alarm in direct.monitoring.alarms.values())


# --- the feature specs ----------------------------------------------------------------------------------
def test_feature_specs_are_alarm_specs() -> None:
    for spec in (*FORMAT_CONVERSION_ALARMS, *DYNAMIC_PARTITIONING_ALARMS, *KMS_KEY_ALARMS):
        assert isinstance(spec, AlarmSpec)
        assert spec.meaning
        assert spec.first_check


def test_kms_key_alarms_are_one_per_key_error_metric() -> None:
    assert [(spec.name, spec.metric_name) for spec in KMS_KEY_ALARMS] == [(name, name) for name in sorted(KMS)]
    assert {(spec.threshold, spec.statistic, spec.evaluation_periods) for spec in KMS_KEY_ALARMS} == {(0, "Sum", 1)}


# --- the documentation ----------------------------------------------------------------------------------
def test_every_alarm_is_documented() -> None:
    text = (ROOT / "docs" / "alarms.md").read_text()
    for name in set().union(*EXPECTED_SETS.values()) - {"ObjectCountHigh"}:
        assert f"`{name}`" in text, name


def test_decompression_adds_the_decompression_failed_alarm_and_graph() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_kinesisfirehose as firehose
    from cdk_helpers import make_app, template_json

    from firehose_s3_constructs.monitoring import DeliveryStreamMonitoring, StreamSettings

    stack = cdk.Stack(make_app(), "Test")
    stream = firehose.DeliveryStream.from_delivery_stream_name(stack, "Stream", "app-logs")
    monitoring = DeliveryStreamMonitoring(
        stack, "M", delivery_stream=stream, settings=StreamSettings(decompression=True)
    )
    plain = DeliveryStreamMonitoring(stack, "N", delivery_stream=stream)
    assert "DecompressionFailed" in monitoring.alarms
    assert "DecompressionFailed" not in plain.alarms
    alarm = next(
        v["Properties"]
        for k, v in resources_of(template_json(stack), "AWS::CloudWatch::Alarm").items()
        if k.startswith("MDecompressionFailed")
    )
    assert alarm["MetricName"] == "OutputDecompressedRecords.Failed"
    assert alarm["Namespace"] == "AWS/Firehose"
    assert alarm["Dimensions"] == [{"Name": "DeliveryStreamName", "Value": "app-logs"}]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 0
    assert alarm["TreatMissingData"] == "notBreaching"
    assert "decompression-failed" in alarm["AlarmDescription"]

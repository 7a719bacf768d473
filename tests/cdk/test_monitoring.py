"""PipelineMonitoring: the alarm set per configuration, each alarm's settings, the topic, the dashboard,
validation errors and cdk-nag.

Each configuration is built once per module (module-scoped fixtures) in an app with the four nag packs,
synthesized once; the template is read from that synthesis and the nag findings from its report.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from cdk_helpers import ROOT, acknowledged, make_app, nag_findings, resources_of
from constructs import IConstruct

from firehose_s3_constructs.monitoring import (
    DYNAMIC_PARTITIONING_ALARMS,
    FORMAT_CONVERSION_ALARMS,
    TRANSFORM_METRICS_NAMESPACE,
    AlarmSpec,
    MonitoringOptions,
    PipelineMonitoring,
    freshness_threshold_seconds,
)
from firehose_s3_constructs.validation import ConfigurationError

GT = "GreaterThanThreshold"
LT = "LessThanThreshold"
NB = "notBreaching"


# --- building -----------------------------------------------------------------------------------------
@dataclass
class Built:
    stack: cdk.Stack
    monitoring: PipelineMonitoring
    stream: firehose.DeliveryStream
    template: dict[str, Any]
    findings: list[tuple[str, str]]
    function: lambda_.Function | None = None
    user_topic: sns.Topic | None = None
    pager_topic: sns.Topic | None = None

    def lid(self, construct: IConstruct) -> str:
        """The logical id of ``construct`` (or of its default child)."""
        element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
        return self.stack.get_logical_id(cast(cdk.CfnElement, element))

    def ref(self, construct: IConstruct) -> dict[str, str]:
        return {"Ref": self.lid(construct)}

    def alarm(self, name: str) -> dict[str, Any]:
        props: dict[str, Any] = self.template["Resources"][self.lid(self.monitoring.alarms[name])]["Properties"]
        return props

    def dashboard_widgets(self) -> list[dict[str, Any]]:
        """The dashboard's widgets, with every CloudFormation reference in the body replaced by ``<ref>``."""
        (dashboard,) = resources_of(self.template, "AWS::CloudWatch::Dashboard").values()
        parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
        body = "".join(part if isinstance(part, str) else "<ref>" for part in parts)
        widgets: list[dict[str, Any]] = json.loads(body)["widgets"]
        return widgets


def _stream(stack: cdk.Stack, **kwargs: Any) -> firehose.DeliveryStream:
    return firehose.DeliveryStream(stack, "Stream", destination=firehose.S3Bucket(s3.Bucket(stack, "Bucket")), **kwargs)


def _function(stack: cdk.Stack, timeout: Duration | None) -> lambda_.Function:
    return lambda_.Function(
        stack,
        "Transform",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'records': []}\n"),
        timeout=timeout,
    )


def _synth(app: cdk.App, built: Callable[[list[tuple[str, str]], dict[str, Any]], Built]) -> Built:
    findings = nag_findings(app)
    template = json.loads((Path(app.outdir) / "Test.template.json").read_text())
    return built(findings, template)


@pytest.fixture(scope="module")
def direct() -> Built:
    """Direct PUT with every default: created topic, dashboard, no transform, backup or customer key."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    stream = _stream(stack)
    monitoring = PipelineMonitoring(
        stack, "Monitoring", delivery_stream=stream, buffering_interval=Duration.seconds(300)
    )
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f))


@pytest.fixture(scope="module")
def full() -> Built:
    """Direct PUT with a customer key, this library's transform, backup, both features, email, extra action."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    stream = _stream(stack, encryption=firehose.StreamEncryption.customer_managed_key(key))
    function = _function(stack, Duration.seconds(60))
    pager = sns.Topic(stack, "Pager")
    monitoring = PipelineMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        buffering_interval=Duration.seconds(300),
        transform_function=function,
        transform_emits_metrics=True,
        backup_enabled=True,
        backup_buffering_interval=Duration.seconds(120),
        stream_encryption_key=key,
        format_conversion=True,
        dynamic_partitioning=True,
        options=MonitoringOptions(email="data-oncall@example.com", extra_actions=[cloudwatch_actions.SnsAction(pager)]),
    )
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f, function=function, pager_topic=pager))


@pytest.fixture(scope="module")
def kinesis_source() -> Built:
    """A Kinesis source with a user's transform (no embedded metrics; Lambda's default 3 s timeout)."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    source = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.MANAGED)
    stream = _stream(stack, source=firehose.KinesisStreamSource(source))
    function = _function(stack, None)
    monitoring = PipelineMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        buffering_interval=Duration.seconds(300),
        source_stream=source,
        transform_function=function,
    )
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f, function=function))


@pytest.fixture(scope="module")
def custom() -> Built:
    """A Kinesis source, the user's topic, no dashboard, zero buffering and headroom, a 30-minute lag."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    source = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.MANAGED)
    stream = _stream(stack, source=firehose.KinesisStreamSource(source))
    user_topic = sns.Topic(stack, "OpsTopic")
    monitoring = PipelineMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        buffering_interval=Duration.seconds(0),
        source_stream=source,
        options=MonitoringOptions(
            topic=user_topic,
            dashboard=False,
            freshness_headroom=Duration.seconds(0),
            iterator_age_threshold=Duration.minutes(30),
        ),
    )
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f, user_topic=user_topic))


@pytest.fixture(scope="module")
def off() -> Built:
    """Alarms off (email ignored), dashboard on; an extension call then creates nothing."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    stream = _stream(stack)
    monitoring = PipelineMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        buffering_interval=Duration.seconds(300),
        options=MonitoringOptions(enabled=False, email="ops@example.com"),
    )
    assert monitoring.add_firehose_alarm("Ignored", "DeliveryToS3.ObjectCount", threshold=1) is None
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f))


@pytest.fixture(scope="module")
def extended() -> Built:
    """Direct PUT defaults plus alarms registered after construction through the public mechanism."""
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    stream = _stream(stack)
    monitoring = PipelineMonitoring(
        stack, "Monitoring", delivery_stream=stream, buffering_interval=Duration.seconds(300)
    )
    monitoring.add_firehose_alarm(
        "ObjectCountHigh",
        "DeliveryToS3.ObjectCount",
        threshold=10_000,
        evaluation_periods=2,
        datapoints_to_alarm=2,
        meaning="Many small objects.",
        first_check="the buffering hints.",
    )
    for spec in FORMAT_CONVERSION_ALARMS:
        monitoring.add_alarm_spec(spec)
    return _synth(app, lambda f, t: Built(stack, monitoring, stream, t, f))


CONFIGS = ("direct", "full", "kinesis_source", "custom", "off", "extended")


@pytest.fixture(params=CONFIGS)
def any_config(request: pytest.FixtureRequest) -> Built:
    built: Built = request.getfixturevalue(request.param)
    return built


# --- which alarms exist ---------------------------------------------------------------------------------
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


@pytest.mark.parametrize("config", CONFIGS)
def test_alarm_set_follows_the_configuration(config: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(config)
    assert set(built.monitoring.alarms) == EXPECTED_SETS[config]
    assert len(resources_of(built.template, "AWS::CloudWatch::Alarm")) == len(EXPECTED_SETS[config])


def test_kinesis_source_has_no_direct_put_alarms_and_direct_put_no_kinesis_alarms(
    direct: Built, kinesis_source: Built
) -> None:
    assert not set(kinesis_source.monitoring.alarms) & (DIRECT_PUT - KINESIS)
    assert not set(direct.monitoring.alarms) & (KINESIS - DIRECT_PUT)


def test_user_transform_has_no_embedded_metric_alarm(kinesis_source: Built) -> None:
    assert "TransformRecordsFailed" not in kinesis_source.monitoring.alarms
    assert TRANSFORM_METRICS_NAMESPACE not in json.dumps(kinesis_source.template)


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
    built: Built = request.getfixturevalue(config)
    # The real stream name: a Ref to the delivery stream, never a made-up dimension such as FirehoseName.
    _check_alarm(built.alarm(name), expect, {"Name": "DeliveryStreamName", "Value": built.ref(built.stream)})


@pytest.mark.parametrize(("config", "name", "expect"), _cases(_LAMBDA_CASES))
def test_transform_alarm(config: str, name: str, expect: Expect, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(config)
    assert built.function is not None
    _check_alarm(built.alarm(name), expect, {"Name": "FunctionName", "Value": built.ref(built.function)})


@pytest.mark.parametrize(
    ("name", "incoming", "limit", "expression"),
    [
        (
            "IncomingBytesQuota",
            "IncomingBytes",
            "BytesPerSecondLimit",
            "(incoming_bytes / 300) / bytes_per_second_limit",
        ),
        (
            "IncomingRecordsQuota",
            "IncomingRecords",
            "RecordsPerSecondLimit",
            "(incoming_records / 300) / records_per_second_limit",
        ),
        (
            "IncomingPutRequestsQuota",
            "IncomingPutRequests",
            "PutRequestsPerSecondLimit",
            "(incoming_put_requests / 300) / put_requests_per_second_limit",
        ),
    ],
)
def test_quota_alarm_is_metric_math_against_the_limit(
    direct: Built, name: str, incoming: str, limit: str, expression: str
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


def test_alarm_and_ok_actions_are_the_topic(any_config: Built) -> None:
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


def test_extra_actions_go_to_alarm_state_only(full: Built) -> None:
    assert full.pager_topic is not None
    pager = full.ref(full.pager_topic)
    for name in full.monitoring.alarms:
        assert pager in full.alarm(name)["AlarmActions"]
        assert pager not in full.alarm(name)["OKActions"]


def test_user_topic_is_used_and_nothing_is_created(custom: Built) -> None:
    assert custom.user_topic is not None
    assert custom.monitoring.alarm_topic is custom.user_topic
    assert custom.monitoring.alarm_topic_key is None
    assert len(resources_of(custom.template, "AWS::SNS::Topic")) == 1
    assert not resources_of(custom.template, "AWS::KMS::Key")


def test_alarms_off(off: Built) -> None:
    assert off.monitoring.alarms == {}
    assert off.monitoring.alarm_topic is None
    for resource_type in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::KMS::Key"):
        assert not resources_of(off.template, resource_type), resource_type


# --- the topic ------------------------------------------------------------------------------------------
def test_topic_is_encrypted_with_a_rotating_customer_key(direct: Built) -> None:
    monitoring = direct.monitoring
    assert monitoring.alarm_topic is not None
    assert monitoring.alarm_topic_key is not None
    topic = direct.template["Resources"][direct.lid(monitoring.alarm_topic)]
    key_id = direct.lid(monitoring.alarm_topic_key)
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = direct.template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Delete"


def test_key_policy_lets_cloudwatch_use_the_key(direct: Built) -> None:
    assert direct.monitoring.alarm_topic_key is not None
    key = direct.template["Resources"][direct.lid(direct.monitoring.alarm_topic_key)]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    cloudwatch_statements = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch_statements == [
        {
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Resource": "*",
            "Sid": "AllowCloudWatchAlarmsToUseTheKey",
        }
    ]


def test_topic_policy_is_tls_only_and_admits_this_accounts_alarms(direct: Built) -> None:
    assert direct.monitoring.alarm_topic is not None
    topic = direct.ref(direct.monitoring.alarm_topic)
    (policy,) = resources_of(direct.template, "AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [topic]
    deny, allow = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny == {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": topic,
        "Sid": "AllowPublishThroughSSLOnly",
    }
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == topic
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":alarm:*" in json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])


def test_email_subscription(full: Built, direct: Built) -> None:
    assert full.monitoring.alarm_topic is not None
    (subscription,) = resources_of(full.template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": "data-oncall@example.com",
        "Protocol": "email",
        "TopicArn": full.ref(full.monitoring.alarm_topic),
    }
    assert not resources_of(direct.template, "AWS::SNS::Subscription")


# --- the dashboard --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "present", "absent"),
    [
        (
            "direct",
            [
                "BytesPerSecondLimit",
                "ThrottledRecords",
                "DeliveryToS3.DataFreshness",
                "DeliveryToS3.Success",
                '"type": "alarm"',
            ],
            ["KinesisMillisBehindLatest", "ExecuteProcessing", "BackupToS3", "KMSKey"],
        ),
        (
            "full",
            [
                "ExecuteProcessing.Duration",
                "RecordsProcessingFailed",
                "BackupToS3.DataFreshness",
                "KMSKeyAccessDenied",
                "FailedConversion.Records",
                "PartitionCount",
                "48000",
            ],
            ["KinesisMillisBehindLatest"],
        ),
        (
            "kinesis_source",
            ["KinesisMillisBehindLatest", "GetRecords.IteratorAgeMilliseconds", "ThrottledGetRecords", "900000"],
            ["BytesPerSecondLimit", "RecordsProcessingFailed"],
        ),
        ("off", ["DeliveryToS3.DataFreshness", "BytesPerSecondLimit"], ['"type": "alarm"']),
        ("extended", ["ObjectCountHigh", "FailedConversion"], []),
    ],
)
def test_dashboard_widgets(config: str, present: list[str], absent: list[str], request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(config)
    assert built.monitoring.dashboard is not None
    (dashboard,) = resources_of(built.template, "AWS::CloudWatch::Dashboard").values()
    assert "DashboardName" not in dashboard["Properties"]  # CloudFormation generates a unique name
    text = json.dumps(built.dashboard_widgets())
    for needle in present:
        assert needle in text, needle
    for needle in absent:
        assert needle not in text, needle


def test_dashboard_sections_and_alarm_status(direct: Built, full: Built) -> None:
    widgets = direct.dashboard_widgets()
    titles = [w["properties"].get("title") for w in widgets]
    for title in ("Alarms", "Ingest against quota (%)", "Throttled records (Sum)", "Delivery freshness (s, Maximum)"):
        assert title in titles, title
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(direct.monitoring.alarms)
    full_titles = {w["properties"].get("title") for w in full.dashboard_widgets()}
    assert {"Transform duration (ms)", "Backup freshness (s, Maximum)", "Stream KMS key errors (Sum)"} <= full_titles


def test_alarms_added_later_are_on_the_dashboard(extended: Built) -> None:
    alarm_widgets = [w for w in extended.dashboard_widgets() if "alarms" in w["properties"].get("annotations", {})]
    assert {w["properties"]["title"] for w in alarm_widgets} >= {"ObjectCountHigh", "FailedConversion"}


def test_no_dashboard_when_turned_off(custom: Built) -> None:
    assert custom.monitoring.dashboard is None
    assert not resources_of(custom.template, "AWS::CloudWatch::Dashboard")


# --- cdk-nag --------------------------------------------------------------------------------------------
def test_monitoring_has_no_nag_findings(any_config: Built) -> None:
    # The packs ran: the test stack's bare bucket, L2 roles and function raise their own findings ...
    assert any_config.findings
    # ... and none of them is on a resource of the monitoring construct.
    path = any_config.monitoring.node.path + "/"
    assert [f for f in any_config.findings if f[1].startswith(path)] == []


def test_monitoring_needs_no_acknowledgments(full: Built, direct: Built) -> None:
    assert acknowledged(full.monitoring) == []
    assert acknowledged(direct.monitoring) == []


# --- the freshness threshold ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("interval", "headroom", "dp", "transform", "expected"),
    [
        (300, 300, False, 0, 600),
        (0, 300, False, 0, 300),
        (0, 0, False, 0, 60),  # floor
        (900, 300, True, 0, 1650),  # 1.5 x 900 + 300
        (61, 0, True, 0, 92),  # ceil(91.5)
        (300, 300, False, 60, 660),
        (900, 3600, True, 900, 3600),  # cap
    ],
)
def test_freshness_threshold(interval: int, headroom: int, dp: bool, transform: int, expected: int) -> None:
    assert (
        freshness_threshold_seconds(
            buffering_interval_s=interval,
            headroom_s=headroom,
            dynamic_partitioning=dp,
            transform_buffer_interval_s=transform,
        )
        == expected
    )


def test_freshness_threshold_attribute(full: Built, direct: Built) -> None:
    assert direct.monitoring.freshness_threshold == 600
    assert direct.monitoring.backup_freshness_threshold is None
    assert full.monitoring.freshness_threshold == 810
    assert full.monitoring.backup_freshness_threshold == 420


# --- validation -----------------------------------------------------------------------------------------
def test_options_defaults() -> None:
    options = MonitoringOptions()
    assert options.enabled is True
    assert options.topic is None
    assert options.email is None
    assert options.dashboard is True
    assert options.freshness_headroom.to_seconds() == 300
    assert options.quota_share == 0.8
    assert options.iterator_age_threshold.to_minutes() == 15
    assert options.transform_duration_share == 0.8
    assert tuple(options.extra_actions) == ()


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "0.5", True])
def test_quota_share_out_of_range(value: float) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"quota_share must be greater than 0 and less than 1 .*\(0, 1\).*{value}"
    ):
        MonitoringOptions(quota_share=value)


@pytest.mark.parametrize("value", [0, 1.01])
def test_transform_duration_share_out_of_range(value: float) -> None:
    with pytest.raises(ConfigurationError, match=rf"transform_duration_share .*at most 1 .*\(0, 1\].*{value}"):
        MonitoringOptions(transform_duration_share=value)


def test_transform_duration_share_of_one_is_allowed() -> None:
    assert MonitoringOptions(transform_duration_share=1).transform_duration_share == 1


@pytest.mark.parametrize(
    ("value", "shown"), [(Duration.seconds(30), "30 seconds"), (Duration.days(8), "691200 seconds")]
)
def test_iterator_age_threshold_out_of_range(value: Duration, shown: str) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"iterator_age_threshold must be between 60 and 604800 seconds, got {shown}"
    ):
        MonitoringOptions(iterator_age_threshold=value)


def test_freshness_headroom_out_of_range() -> None:
    with pytest.raises(ConfigurationError, match=r"freshness_headroom must be between 0 and 3600 seconds, got 3601"):
        MonitoringOptions(freshness_headroom=Duration.seconds(3601))


def test_fractional_duration_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"freshness_headroom must be a whole number of seconds, got 1.5 s"):
        MonitoringOptions(freshness_headroom=Duration.millis(1500))


@pytest.mark.parametrize("value", ["not-an-email", "ops@localhost", "two words@example.com"])
def test_email_must_look_like_an_email(value: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"email must look like an email address .*{re.escape(value)}"):
        MonitoringOptions(email=value)


@dataclass
class Scratch:
    stack: cdk.Stack
    stream: firehose.DeliveryStream
    source: kinesis.Stream
    function: lambda_.Function
    ids: Iterator[int]

    def monitoring(self, **kwargs: Any) -> PipelineMonitoring:
        kwargs.setdefault("delivery_stream", self.stream)
        kwargs.setdefault("buffering_interval", Duration.seconds(300))
        return PipelineMonitoring(self.stack, f"Monitoring{next(self.ids)}", **kwargs)


@pytest.fixture(scope="module")
def scratch() -> Scratch:
    """A stack that is never synthesized, for constructs that must fail."""
    stack = cdk.Stack(make_app(), "Scratch")
    source = kinesis.Stream(stack, "Source")
    return Scratch(stack, _stream(stack), source, _function(stack, Duration.seconds(60)), itertools.count())


def test_buffering_interval_out_of_range(scratch: Scratch) -> None:
    with pytest.raises(ConfigurationError, match=r"buffering_interval must be between 0 and 900 seconds, got 901"):
        scratch.monitoring(buffering_interval=Duration.seconds(901))


@pytest.mark.parametrize("seconds", [0, 901])
def test_transform_timeout_out_of_range(scratch: Scratch, seconds: int) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"transform_timeout must be between 1 and 900 seconds, got {seconds}"
    ):
        scratch.monitoring(transform_function=scratch.function, transform_timeout=Duration.seconds(seconds))


def test_transform_buffer_interval_out_of_range(scratch: Scratch) -> None:
    with pytest.raises(
        ConfigurationError, match=r"transform_buffer_interval must be between 0 and 900 seconds, got 901"
    ):
        scratch.monitoring(transform_function=scratch.function, transform_buffer_interval=Duration.seconds(901))


def test_backup_buffering_interval_out_of_range(scratch: Scratch) -> None:
    with pytest.raises(
        ConfigurationError, match=r"backup_buffering_interval must be between 60 and 900 seconds, got 30"
    ):
        scratch.monitoring(backup_enabled=True, backup_buffering_interval=Duration.seconds(30))


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("transform_timeout", Duration.seconds(30)),
        ("transform_buffer_interval", Duration.seconds(30)),
        ("transform_emits_metrics", True),
    ],
)
def test_transform_options_need_a_function(scratch: Scratch, option: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=rf"{option} needs transform_function, which is None"):
        scratch.monitoring(**{option: value})


def test_backup_interval_needs_backup(scratch: Scratch) -> None:
    with pytest.raises(ConfigurationError, match=r"backup_buffering_interval needs backup_enabled=True"):
        scratch.monitoring(backup_buffering_interval=Duration.seconds(120))


def test_stream_key_with_kinesis_source(scratch: Scratch) -> None:
    key = kms.Key.from_key_arn(scratch.stack, "ImportedKey", "arn:aws:kms:eu-west-1:111122223333:key/abc")
    with pytest.raises(ConfigurationError, match=r"stream_encryption_key cannot be used with source_stream"):
        scratch.monitoring(source_stream=scratch.source, stream_encryption_key=key)


def test_imported_function_needs_a_timeout(scratch: Scratch) -> None:
    imported = lambda_.Function.from_function_arn(
        scratch.stack, "Imported", "arn:aws:lambda:eu-west-1:111122223333:function:transform"
    )
    with pytest.raises(ConfigurationError, match=r"transform_timeout is required"):
        scratch.monitoring(transform_function=imported)
    monitoring = scratch.monitoring(transform_function=imported, transform_timeout=Duration.seconds(120))
    assert "TransformDuration" in monitoring.alarms


def test_empty_transform_metrics_namespace(scratch: Scratch) -> None:
    with pytest.raises(ConfigurationError, match=r"transform_metrics_namespace must be a non-empty"):
        scratch.monitoring(transform_function=scratch.function, transform_metrics_namespace="")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"evaluation_periods": 2, "datapoints_to_alarm": 3},
            r"Custom.datapoints_to_alarm must be between 1 and 2, got 3",
        ),
        ({"evaluation_periods": 0}, r"Custom.evaluation_periods must be between 1 and 1440, got 0"),
        ({"period": Duration.seconds(45)}, r"Custom.period must be 10 s, 30 s or a multiple of 60 s, got 45 s"),
        (
            {"period": Duration.hours(1), "evaluation_periods": 25, "datapoints_to_alarm": 1},
            r"Custom: period x evaluation_periods must be at most one day \(86400 s\), got 3600 s x 25",
        ),
    ],
)
def test_add_firehose_alarm_validates_evaluation(scratch: Scratch, kwargs: dict[str, Any], message: str) -> None:
    monitoring = scratch.monitoring()
    with pytest.raises(ConfigurationError, match=message):
        monitoring.add_firehose_alarm("Custom", "DeliveryToS3.ObjectCount", threshold=1, **kwargs)


@pytest.mark.parametrize(
    ("name", "message"),
    [("DeliveryFreshness", r"alarm name 'DeliveryFreshness' is already used"), ("bad name", r"PascalCase")],
)
def test_add_firehose_alarm_validates_the_name(scratch: Scratch, name: str, message: str) -> None:
    monitoring = scratch.monitoring()
    with pytest.raises(ConfigurationError, match=message):
        monitoring.add_firehose_alarm(name, "DeliveryToS3.ObjectCount", threshold=1)


def test_feature_specs_are_alarm_specs() -> None:
    for spec in (*FORMAT_CONVERSION_ALARMS, *DYNAMIC_PARTITIONING_ALARMS):
        assert isinstance(spec, AlarmSpec)
        assert spec.meaning
        assert spec.first_check


# --- the documentation ----------------------------------------------------------------------------------
def test_every_alarm_and_option_is_documented() -> None:
    text = (ROOT / "docs" / "alarms.md").read_text()
    for name in set().union(*EXPECTED_SETS.values()) - {"ObjectCountHigh"}:
        assert f"`{name}`" in text, name
    for option in MonitoringOptions.__dataclass_fields__:
        assert f"`{option}`" in text, option


def test_alarm_metric_type_is_alarm(direct: Built) -> None:
    assert all(isinstance(alarm, cloudwatch.Alarm) for alarm in direct.monitoring.alarms.values())

"""DeliveryStreamMonitoring: the topic it uses or creates, its thresholds, the extension mechanism, any stream
(an imported one included), and cdk-nag.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_kinesisfirehose as firehose
from cdk_helpers import acknowledged, make_app, resources_of, template_json
from cdk_helpers.monitoring import GT, Monitored, delivery_stream

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.monitoring import DeliveryStreamMonitoring, MonitoringOptions, StreamSettings


# --- the topic ------------------------------------------------------------------------------------------
def test_user_topic_is_used_and_nothing_is_created(custom: Monitored) -> None:
    assert custom.user_topic is not None
    assert custom.monitoring.alarm_topic is custom.user_topic
    assert custom.monitoring.alarm_topic_key is None
    assert len(resources_of(custom.template, "AWS::SNS::Topic")) == 1
    assert not resources_of(custom.template, "AWS::KMS::Key")


def test_alarms_off(off: Monitored) -> None:
    assert off.monitoring.alarms == {}
    assert off.monitoring.alarm_topic is None
    for resource_type in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::KMS::Key"):
        assert not resources_of(off.template, resource_type), resource_type


def test_email_subscription(full: Monitored, direct: Monitored) -> None:
    assert full.monitoring.alarm_topic is not None
    (subscription,) = resources_of(full.template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Endpoint": "data-oncall@example.com",
        "Protocol": "email",
        "TopicArn": full.ref(full.monitoring.alarm_topic),
    }
    assert not resources_of(direct.template, "AWS::SNS::Subscription")


# --- thresholds -----------------------------------------------------------------------------------------
def test_freshness_threshold_attribute(full: Monitored, direct: Monitored) -> None:
    assert direct.monitoring.freshness_threshold == 600
    assert direct.monitoring.backup_freshness_threshold is None
    assert full.monitoring.freshness_threshold == 810
    assert full.monitoring.backup_freshness_threshold == 420


def test_transform_timeout_attribute(full: Monitored, kinesis_source: Monitored, direct: Monitored) -> None:
    assert full.monitoring.transform_timeout_ms == 60_000
    assert kinesis_source.monitoring.transform_timeout_ms == 3_000  # Lambda's default timeout
    assert direct.monitoring.transform_timeout_ms == 0


def test_default_settings_are_direct_put_at_300_seconds(extended: Monitored) -> None:
    settings = extended.monitoring.settings
    assert settings == StreamSettings()
    assert settings.buffering_interval.to_seconds() == 300
    assert extended.monitoring.options == MonitoringOptions()


# --- any delivery stream --------------------------------------------------------------------------------
def test_imported_stream_is_monitored_by_its_name() -> None:
    stack = cdk.Stack(make_app(), "Test")
    stream = firehose.DeliveryStream.from_delivery_stream_name(stack, "S", "orders")
    monitoring = DeliveryStreamMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        settings=StreamSettings(buffering_interval=Duration.seconds(60), format_conversion=True),
        options=MonitoringOptions(dashboard=False),
    )
    template = template_json(stack)
    assert set(monitoring.alarms) == {
        "DeliveryFreshness",
        "DeliverySuccess",
        "ThrottledRecords",
        "IncomingBytesQuota",
        "IncomingRecordsQuota",
        "IncomingPutRequestsQuota",
        "FailedConversion",
    }
    assert monitoring.freshness_threshold == 360  # 60 s interval + 300 s headroom
    orders = [{"Name": "DeliveryStreamName", "Value": "orders"}]
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) == len(monitoring.alarms)
    for alarm in alarms.values():
        props = alarm["Properties"]
        if "Metrics" in props:  # the quota ratios: both metrics of the math expression
            for used in props["Metrics"][1:]:
                assert used["MetricStat"]["Metric"]["Dimensions"] == orders
        else:
            assert props["Dimensions"] == orders
    freshness = template["Resources"][stack.get_logical_id(monitoring.alarms["DeliveryFreshness"].node.default_child)]  # type: ignore[arg-type]
    assert (freshness["Properties"]["MetricName"], freshness["Properties"]["Threshold"]) == (
        "DeliveryToS3.DataFreshness",
        360,
    )
    assert freshness["Properties"]["ComparisonOperator"] == GT


# --- the extension mechanism ----------------------------------------------------------------------------
@dataclass
class Scratch:
    stack: cdk.Stack
    stream: firehose.DeliveryStream
    ids: Iterator[int]

    def monitoring(self) -> DeliveryStreamMonitoring:
        return DeliveryStreamMonitoring(self.stack, f"Monitoring{next(self.ids)}", delivery_stream=self.stream)


@pytest.fixture(scope="module")
def scratch() -> Scratch:
    """A stack that is never synthesized, for alarms that must fail."""
    stack = cdk.Stack(make_app(), "Scratch")
    return Scratch(stack, delivery_stream(stack), itertools.count())


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


def test_add_alarm_on_any_metric(scratch: Scratch) -> None:
    monitoring = scratch.monitoring()
    metric = monitoring.firehose_metric("DeliveryToS3.Bytes", statistic="Average")
    alarm = monitoring.add_alarm("BytesLow", metric, threshold=1, meaning="Little data.", first_check="producers.")
    assert alarm is not None
    assert monitoring.alarms["BytesLow"] is alarm
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/Firehose", "DeliveryToS3.Bytes", "Average")


# --- cdk-nag --------------------------------------------------------------------------------------------
def test_monitoring_has_no_nag_findings(any_config: Monitored) -> None:
    # The packs ran: the test stack's bare bucket, L2 roles and function raise their own findings ...
    assert any_config.findings
    # ... and none of them is on a resource of the monitoring construct.
    path = any_config.monitoring.node.path + "/"
    assert [f for f in any_config.findings if f[1].startswith(path)] == []


def test_monitoring_needs_no_acknowledgments(full: Monitored, direct: Monitored) -> None:
    assert acknowledged(full.monitoring) == []
    assert acknowledged(direct.monitoring) == []

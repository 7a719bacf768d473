"""Six monitored stacks, built as six stacks of one app with the four nag packs and synthesized once per session.

Each stack's template is read from that synthesis, and its nag findings from the synthesis' report.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from cdk_helpers import make_app
from cdk_helpers.monitoring import CONFIGS, Monitored, Unsynthesized, delivery_stream, stand_in_function, synthesize

from firehose_s3_constructs.monitoring import (
    FORMAT_CONVERSION_ALARMS,
    DeliveryStreamMonitoring,
    MonitoringOptions,
    StreamSettings,
)
from firehose_transform import contract


def _direct(stack: Stack) -> Unsynthesized:
    """Direct PUT with every default: created topic, dashboard, no transform, backup or customer key."""
    stream = delivery_stream(stack)
    monitoring = DeliveryStreamMonitoring(
        stack, "Monitoring", delivery_stream=stream, settings=StreamSettings(buffering_interval=Duration.seconds(300))
    )
    return Unsynthesized(stack, monitoring, {})


def _full(stack: Stack) -> Unsynthesized:
    """Direct PUT with a customer key, this library's transform, backup, both features, email, extra action."""
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    stream = delivery_stream(stack, encryption=firehose.StreamEncryption.customer_managed_key(key))
    function = stand_in_function(stack, Duration.seconds(60))
    pager = sns.Topic(stack, "Pager")
    monitoring = DeliveryStreamMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        settings=StreamSettings(
            buffering_interval=Duration.seconds(300),
            transform_function=function,
            transform_metrics_namespace=contract.DEFAULT_METRICS_NAMESPACE,
            backup_buffering_interval=Duration.seconds(120),
            stream_encryption_key=key,
            format_conversion=True,
            dynamic_partitioning=True,
        ),
        options=MonitoringOptions(email="data-oncall@example.com", extra_actions=[cloudwatch_actions.SnsAction(pager)]),
    )
    return Unsynthesized(stack, monitoring, {"function": function, "pager_topic": pager})


def _kinesis_source(stack: Stack) -> Unsynthesized:
    """A Kinesis source with a user's transform (no embedded metrics; Lambda's default 3 s timeout)."""
    source = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.MANAGED)
    stream = delivery_stream(stack, source=firehose.KinesisStreamSource(source))
    function = stand_in_function(stack, None)
    monitoring = DeliveryStreamMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        settings=StreamSettings(
            buffering_interval=Duration.seconds(300), source_stream=source, transform_function=function
        ),
    )
    return Unsynthesized(stack, monitoring, {"function": function})


def _custom(stack: Stack) -> Unsynthesized:
    """A Kinesis source, the user's topic, no dashboard, zero buffering and headroom, a 30-minute lag."""
    source = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.MANAGED)
    stream = delivery_stream(stack, source=firehose.KinesisStreamSource(source))
    user_topic = sns.Topic(stack, "OpsTopic")
    monitoring = DeliveryStreamMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        settings=StreamSettings(buffering_interval=Duration.seconds(0), source_stream=source),
        options=MonitoringOptions(
            topic=user_topic,
            dashboard=False,
            freshness_headroom=Duration.seconds(0),
            iterator_age_threshold=Duration.minutes(30),
        ),
    )
    return Unsynthesized(stack, monitoring, {"user_topic": user_topic})


def _off(stack: Stack) -> Unsynthesized:
    """Alarms off (email ignored), dashboard on; an extension call then creates nothing."""
    stream = delivery_stream(stack)
    monitoring = DeliveryStreamMonitoring(
        stack,
        "Monitoring",
        delivery_stream=stream,
        settings=StreamSettings(buffering_interval=Duration.seconds(300)),
        options=MonitoringOptions(enabled=False, email="ops@example.com"),
    )
    assert monitoring.add_firehose_alarm("Ignored", "DeliveryToS3.ObjectCount", threshold=1) is None
    return Unsynthesized(stack, monitoring, {})


def _extended(stack: Stack) -> Unsynthesized:
    """Direct PUT defaults plus alarms registered after construction through the public mechanism."""
    stream = delivery_stream(stack)
    monitoring = DeliveryStreamMonitoring(stack, "Monitoring", delivery_stream=stream)
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
    return Unsynthesized(stack, monitoring, {})


_BUILDERS: dict[str, Callable[[Stack], Unsynthesized]] = {
    "direct": _direct,
    "full": _full,
    "kinesis_source": _kinesis_source,
    "custom": _custom,
    "off": _off,
    "extended": _extended,
}
assert tuple(_BUILDERS) == CONFIGS


@pytest.fixture(scope="session")
def monitored() -> dict[str, Monitored]:
    """The six stacks (named like their fixture, in PascalCase), synthesized together."""
    app = make_app(nag=True)
    built = {name: build(Stack(app, name.title().replace("_", ""))) for name, build in _BUILDERS.items()}
    return synthesize(app, built)


@pytest.fixture(scope="session")
def direct(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["direct"]


@pytest.fixture(scope="session")
def full(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["full"]


@pytest.fixture(scope="session")
def kinesis_source(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["kinesis_source"]


@pytest.fixture(scope="session")
def custom(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["custom"]


@pytest.fixture(scope="session")
def off(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["off"]


@pytest.fixture(scope="session")
def extended(monitored: dict[str, Monitored]) -> Monitored:
    return monitored["extended"]


@pytest.fixture(params=CONFIGS)
def any_config(request: pytest.FixtureRequest) -> Monitored:
    built: Monitored = request.getfixturevalue(request.param)
    return built

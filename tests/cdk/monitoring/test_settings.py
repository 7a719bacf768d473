"""StreamSettings: what the monitoring is told about a stream, checked when the settings are built."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from cdk_helpers import make_app
from cdk_helpers.monitoring import stand_in_function

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.monitoring import StreamSettings
from firehose_transform import contract


@dataclass(frozen=True)
class Scratch:
    """Constructs the settings refer to, in a stack that is never synthesized."""

    stack: cdk.Stack
    source: kinesis.Stream
    function: lambda_.Function
    default_timeout_function: lambda_.Function
    imported: lambda_.IFunction


@pytest.fixture(scope="module")
def scratch() -> Scratch:
    stack = cdk.Stack(make_app(), "Scratch")
    return Scratch(
        stack=stack,
        source=kinesis.Stream(stack, "Source"),
        function=stand_in_function(stack, Duration.seconds(60)),
        default_timeout_function=stand_in_function(stack, None, "DefaultTimeout"),
        imported=lambda_.Function.from_function_arn(
            stack, "Imported", "arn:aws:lambda:eu-west-1:111122223333:function:transform"
        ),
    )


def test_defaults() -> None:
    settings = StreamSettings()
    assert settings.buffering_interval.to_seconds() == 300
    assert settings.direct_put is True
    assert settings.backup is False
    assert settings.transform_emits_metrics is False
    assert (settings.format_conversion, settings.dynamic_partitioning) == (False, False)


def test_buffering_interval_out_of_range() -> None:
    with pytest.raises(ConfigurationError, match=r"buffering_interval must be between 0 and 900 seconds, got 901"):
        StreamSettings(buffering_interval=Duration.seconds(901))


@pytest.mark.parametrize("seconds", [0, 301, 901])
def test_transform_timeout_out_of_range(scratch: Scratch, seconds: int) -> None:
    # Firehose waits at most 5 minutes for a transform (contract.LAMBDA_MAX_TIMEOUT_SECONDS).
    with pytest.raises(
        ConfigurationError, match=rf"transform_timeout must be between 1 and 300 seconds, got {seconds}"
    ):
        StreamSettings(transform_function=scratch.function, transform_timeout=Duration.seconds(seconds))


def test_transform_timeout_limits_are_allowed(scratch: Scratch) -> None:
    for seconds in (1, contract.LAMBDA_MAX_TIMEOUT_SECONDS):
        settings = StreamSettings(transform_function=scratch.function, transform_timeout=Duration.seconds(seconds))
        assert settings.transform_timeout_or_default.to_seconds() == seconds


def test_function_with_a_longer_timeout_is_rejected(scratch: Scratch) -> None:
    slow = stand_in_function(scratch.stack, Duration.minutes(6), "Slow")
    with pytest.raises(ConfigurationError, match=r"transform_timeout must be between 1 and 300 seconds, got 360"):
        StreamSettings(transform_function=slow)


def test_timeout_is_read_from_the_function(scratch: Scratch) -> None:
    assert StreamSettings(transform_function=scratch.function).transform_timeout_or_default.to_seconds() == 60
    default = StreamSettings(transform_function=scratch.default_timeout_function)
    assert default.transform_timeout_or_default.to_seconds() == 3  # Lambda's default


def test_transform_buffer_interval_out_of_range(scratch: Scratch) -> None:
    with pytest.raises(
        ConfigurationError, match=r"transform_buffer_interval must be between 0 and 900 seconds, got 901"
    ):
        StreamSettings(transform_function=scratch.function, transform_buffer_interval=Duration.seconds(901))


def test_transform_buffer_interval_defaults_to_firehoses(scratch: Scratch) -> None:
    settings = StreamSettings(transform_function=scratch.function)
    assert settings.transform_buffer_interval_or_default.to_seconds() == contract.PROCESSOR_DEFAULT_INTERVAL_SECONDS


def test_backup_buffering_interval_out_of_range() -> None:
    with pytest.raises(
        ConfigurationError, match=r"backup_buffering_interval must be between 60 and 900 seconds, got 30"
    ):
        StreamSettings(backup_buffering_interval=Duration.seconds(30))


def test_backup_is_on_exactly_when_its_interval_is_stated() -> None:
    # The backup interval is what says backup is on (it replaced a separate backup_enabled flag).
    assert StreamSettings(backup_buffering_interval=Duration.seconds(120)).backup is True
    assert StreamSettings().backup is False


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("transform_timeout", Duration.seconds(30)),
        ("transform_buffer_interval", Duration.seconds(30)),
        ("transform_metrics_namespace", contract.DEFAULT_METRICS_NAMESPACE),
    ],
)
def test_transform_options_need_a_function(option: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=rf"{option} needs transform_function, which is None"):
        StreamSettings(**{option: value})  # type: ignore[arg-type]


def test_stream_key_with_kinesis_source(scratch: Scratch) -> None:
    key = kms.Key.from_key_arn(scratch.stack, "ImportedKey", "arn:aws:kms:eu-west-1:111122223333:key/abc")
    with pytest.raises(ConfigurationError, match=r"stream_encryption_key cannot be used with source_stream"):
        StreamSettings(source_stream=scratch.source, stream_encryption_key=key)


def test_kinesis_source_is_not_direct_put(scratch: Scratch) -> None:
    assert StreamSettings(source_stream=scratch.source).direct_put is False


def test_imported_function_needs_a_timeout(scratch: Scratch) -> None:
    with pytest.raises(ConfigurationError, match=r"transform_timeout is required"):
        StreamSettings(transform_function=scratch.imported)
    settings = StreamSettings(transform_function=scratch.imported, transform_timeout=Duration.seconds(120))
    assert settings.transform_timeout_or_default.to_seconds() == 120


@pytest.mark.parametrize("namespace", ["", "  "])
def test_empty_transform_metrics_namespace(scratch: Scratch, namespace: str) -> None:
    with pytest.raises(ConfigurationError, match=r"transform_metrics_namespace must not be empty"):
        StreamSettings(transform_function=scratch.function, transform_metrics_namespace=namespace)


def test_metrics_namespace_says_the_transform_emits_metrics(scratch: Scratch) -> None:
    settings = StreamSettings(
        transform_function=scratch.function, transform_metrics_namespace=contract.DEFAULT_METRICS_NAMESPACE
    )
    assert settings.transform_emits_metrics is True

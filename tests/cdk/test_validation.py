"""Bad input fails at construction time with a message naming the option, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app

from firehose_s3_constructs import ConfigurationError, FirehoseToS3
from firehose_s3_constructs.storage import BucketLifecycle
from firehose_s3_constructs.validation import static_part


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app: cdk.App = make_app()
    return app


_counter = iter(range(1_000_000))


def _pipeline(app: cdk.App, **options: Any) -> FirehoseToS3:
    stack = cdk.Stack(app, f"Test{next(_counter)}")
    return FirehoseToS3(stack, "Pipeline", **options)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"buffering_size": cdk.Size.mebibytes(129)}, "buffering_size must be between 1 and 128 MiB, got 129 MiB"),
        ({"buffering_size": cdk.Size.kibibytes(512)}, "buffering_size must be a whole number of MiB, got 0.5 MiB"),
        ({"buffering_size": cdk.Size.mebibytes(0)}, "buffering_size must be between 1 and 128 MiB, got 0 MiB"),
        (
            {"buffering_interval": cdk.Duration.seconds(901)},
            "buffering_interval must be between 0 and 900 seconds, got 901 s",
        ),
        (
            {"buffering_interval": cdk.Duration.millis(1500)},
            "buffering_interval must be a whole number of seconds, got 1.5 s",
        ),
        (
            {"data_output_prefix": "logs/!{timestamp:yyyy}/", "error_output_prefix": None},
            "error_output_prefix is required when data_output_prefix contains expressions",
        ),
        (
            {"error_output_prefix": "errors/!{timestamp:yyyy}/"},
            "error_output_prefix contains expressions, so it must contain !{firehose:error-output-type}",
        ),
        (
            {"data_output_prefix": "data/!{firehose:error-output-type}/"},
            "data_output_prefix cannot contain !{firehose:error-output-type}",
        ),
        ({"data_output_prefix": "data/!{time:yyyy}/"}, "data_output_prefix uses unknown namespace 'time'"),
        ({"data_output_prefix": "data/!{timestamp:yyyy/"}, "data_output_prefix has an incomplete '!{' expression"),
        ({"data_output_prefix": "x" * 1025}, "data_output_prefix must be at most 1024 characters, got 1025"),
        (
            {"error_output_prefix": "errors/!{firehose:error-output-type}/!{partitionKeyFromQuery:k}/"},
            "error_output_prefix cannot use partition keys",
        ),
        ({"delivery_stream_name": "my stream"}, "delivery_stream_name must be 1-64 characters"),
        ({"delivery_stream_name": "a" * 65}, "delivery_stream_name must be 1-64 characters"),
        ({"file_extension": "json"}, "file_extension must start with '.'"),
        ({"file_extension": ".JSON"}, "file_extension must start with '.'"),
        ({"time_zone": cdk.TimeZone.of("Mars/Olympus_Mons")}, "time_zone must be an IANA time zone"),
        ({"time_zone": cdk.TimeZone.of("UTC+9")}, "time_zone must be an IANA time zone"),
        (
            {"bucket_encryption": s3.BucketEncryption.DSSE_MANAGED},
            "bucket_encryption must be BucketEncryption.S3_MANAGED or BucketEncryption.KMS",
        ),
        (
            {"lifecycle": BucketLifecycle(noncurrent_version_expiration=cdk.Duration.hours(1))},
            "lifecycle.noncurrent_version_expiration must be a whole number of days, at least 1 day",
        ),
    ],
)
def test_bad_option_is_rejected_with_a_clear_message(app: cdk.App, options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        _pipeline(app, **options)
    assert expected in str(raised.value)
    option = expected.split(" ", maxsplit=1)[0]
    assert option in str(raised.value)


def test_stream_key_with_kinesis_source_is_rejected(app: cdk.App) -> None:
    stack = cdk.Stack(app, "KinesisWithKey")
    stream = kinesis.Stream(stack, "Source")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    with pytest.raises(ConfigurationError, match="stream_encryption_key cannot be used with source_stream"):
        FirehoseToS3(stack, "Pipeline", source_stream=stream, stream_encryption_key=key)


@pytest.mark.parametrize(
    "options",
    [
        {"buffering_size": cdk.Size.mebibytes(1), "buffering_interval": cdk.Duration.seconds(0)},
        {"buffering_size": cdk.Size.mebibytes(128), "buffering_interval": cdk.Duration.seconds(900)},
        {"data_output_prefix": "plain/", "error_output_prefix": None},
        {"data_output_prefix": "!{firehose:random-string}/!{timestamp:yyyy}/"},
        {"time_zone": cdk.TimeZone.AMERICA_NEW_YORK},
        {"file_extension": ".json.gz"},
        {"delivery_stream_name": "Web_logs.v1-prod"},
    ],
)
def test_boundary_values_are_accepted(app: cdk.App, options: dict[str, Any]) -> None:
    assert _pipeline(app, **options).delivery_stream is not None


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("data/year=!{timestamp:yyyy}/", "data/year="),
        ("!{firehose:random-string}/x", ""),
        ("plain/", "plain/"),
        ("", ""),
    ],
)
def test_static_part(prefix: str, expected: str) -> None:
    assert static_part(prefix) == expected

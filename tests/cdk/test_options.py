"""PipelineOptions: the defaults, and every option checked on its own when the options are built.

Rules that involve several options are checked by resolve (test_config.py).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app

from firehose_s3_constructs import (
    DEFAULT_DATA_OUTPUT_PREFIX,
    DEFAULT_ERROR_OUTPUT_PREFIX,
    ConfigurationError,
    PipelineOptions,
    TransformOptions,
)

_TIME_ZONE = "time_zone must be 'UTC' or a region/city time zone Firehose supports, such as 'Asia/Seoul'"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"data_output_prefix": "data/!{time:yyyy}/"}, "data_output_prefix uses unknown namespace 'time'"),
        ({"data_output_prefix": "data/!{timestamp:yyyy/"}, "data_output_prefix has an incomplete '!{' expression"),
        ({"data_output_prefix": "x" * 1025}, "data_output_prefix must be at most 1024 characters, got 1025"),
        ({"data_output_prefix": "d/!{firehose:nope}/"}, "data_output_prefix uses !{firehose:nope}"),
        ({"data_output_prefix": "d/!{timestamp:}/"}, "data_output_prefix has an empty expression"),
        ({"error_output_prefix": "e/!{time:yyyy}/"}, "error_output_prefix uses unknown namespace 'time'"),
        ({"delivery_stream_name": "my stream"}, "delivery_stream_name must be 1-64 characters"),
        ({"delivery_stream_name": "a" * 65}, "delivery_stream_name must be 1-64 characters"),
        ({"file_extension": "json"}, "file_extension must start with '.'"),
        ({"file_extension": ".JSON"}, "file_extension must start with '.'"),
        ({"time_zone": cdk.TimeZone.of("Mars/Olympus_Mons")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("UTC+9")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("US/Eastern")}, _TIME_ZONE),
        # Issue 10: these passed this library's check and then failed in aws-cdk-lib with a bare RuntimeError.
        ({"time_zone": cdk.TimeZone.of("EST")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("Etc/UTC")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("Etc/GMT")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("Factory")}, _TIME_ZONE),
        ({"time_zone": cdk.TimeZone.of("")}, _TIME_ZONE),
        (
            {"bucket_encryption": s3.BucketEncryption.DSSE_MANAGED},
            "bucket_encryption must be BucketEncryption.S3_MANAGED or BucketEncryption.KMS",
        ),
    ],
)
def test_bad_option_is_rejected_with_a_clear_message(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        PipelineOptions(**options)
    assert expected in str(raised.value)
    option = expected.split(" ", maxsplit=1)[0]
    assert option in str(raised.value)


@pytest.mark.parametrize(
    "options",
    [
        {"data_output_prefix": "plain/", "error_output_prefix": None},
        {"data_output_prefix": "!{firehose:random-string}/!{timestamp:yyyy}/"},
        {"data_output_prefix": "x" * 1024},
        {"time_zone": cdk.TimeZone.AMERICA_NEW_YORK},
        {"time_zone": cdk.TimeZone.of("UTC")},
        {"file_extension": ".json.gz"},
        {"file_extension": ""},
        {"delivery_stream_name": "Web_logs.v1-prod"},
        {"delivery_stream_name": "a" * 64},
        {"bucket_encryption": s3.BucketEncryption.KMS},
    ],
)
def test_boundary_values_are_accepted(options: dict[str, Any]) -> None:
    built = PipelineOptions(**options)
    for name, value in options.items():
        assert getattr(built, name) is value


def test_defaults() -> None:
    options = PipelineOptions()
    assert options.data_output_prefix == DEFAULT_DATA_OUTPUT_PREFIX
    assert options.error_output_prefix == DEFAULT_ERROR_OUTPUT_PREFIX
    assert DEFAULT_DATA_OUTPUT_PREFIX == (
        "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    )
    assert DEFAULT_ERROR_OUTPUT_PREFIX == (
        "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
        "hour=!{timestamp:HH}/"
    )
    assert options.bucket_encryption == s3.BucketEncryption.S3_MANAGED
    assert options.buffering_size is None  # the default depends on the analytics options (resolve)
    assert options.buffering_interval.to_seconds() == 300
    assert options.compression is None
    assert options.source_backup is None  # on exactly when records are transformed (resolve)
    assert options.removal_policy == cdk.RemovalPolicy.RETAIN
    assert options.transform is None
    assert options.transform_options is None


def test_transform_options_are_the_librarys_transform_only() -> None:
    transform = TransformOptions(drop_fields=("email",))
    assert PipelineOptions(transform=transform).transform_options is transform
    stack = cdk.Stack(make_app(), "Test")
    function = lambda_.Function.from_function_arn(stack, "Fn", "arn:aws:lambda:eu-west-1:111122223333:function:f")
    assert PipelineOptions(transform=function).transform_options is None

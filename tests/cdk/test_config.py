"""resolve: every rule that involves more than one option, and the defaults it applies (pure: no synthesis).

Each rejection builds the options first (each option is valid on its own) and then expects resolve to refuse
the combination. FirehoseToS3 runs the same resolve (test_pipeline.py checks a few through the construct). The
rules of dynamic partitioning and of the tables are in test_partition_rules.py and test_table_rules.py.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app
from cdk_helpers.resolve import HOURLY, Scratch
from cdk_helpers.resolve import rejected as _rejected

from firehose_s3_constructs import (
    BucketLifecycle,
    ConfigurationError,
    DynamicPartitioning,
    FormatConversion,
    PipelineOptions,
    ProcessorOptions,
    QueryTable,
    QueryWorkgroup,
    TransformOptions,
    resolve,
)
from firehose_s3_constructs.config import BACKUP_OUTPUT_PREFIX
from firehose_s3_constructs.storage import AccessLogging
from firehose_transform import contract


# --- prefixes and buffering -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"buffering_size": Size.mebibytes(129)}, "buffering_size must be between 1 and 128 MiB, got 129 MiB"),
        ({"buffering_size": Size.kibibytes(512)}, "buffering_size must be a whole number of MiB, got 0.5 MiB"),
        ({"buffering_size": Size.mebibytes(0)}, "buffering_size must be between 1 and 128 MiB, got 0 MiB"),
        (
            {"buffering_interval": Duration.seconds(901)},
            "buffering_interval must be between 0 and 900 seconds, got 901 s",
        ),
        (
            {"buffering_interval": Duration.millis(1500)},
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
        (
            {"error_output_prefix": "errors/!{firehose:error-output-type}/!{partitionKeyFromQuery:k}/"},
            "error_output_prefix cannot use partition keys",
        ),
        (
            {"data_output_prefix": "d/!{partitionKeyFromQuery:k}/"},
            "data_output_prefix uses partition keys (!{partitionKeyFromQuery:k}), which exist only with dynamic",
        ),
    ],
)
def test_bad_combination_is_rejected_with_a_clear_message(options: dict[str, Any], expected: str) -> None:
    built = PipelineOptions(**options)
    with pytest.raises(ConfigurationError) as raised:
        resolve(built)
    assert expected in str(raised.value)
    option = expected.split(" ", maxsplit=1)[0]
    assert option in str(raised.value)


@pytest.mark.parametrize(
    "options",
    [
        {"buffering_size": Size.mebibytes(1), "buffering_interval": Duration.seconds(0)},
        {"buffering_size": Size.mebibytes(128), "buffering_interval": Duration.seconds(900)},
        {"data_output_prefix": "plain/", "error_output_prefix": None},
        {"data_output_prefix": "!{firehose:random-string}/!{timestamp:yyyy}/"},
        {"time_zone": cdk.TimeZone.AMERICA_NEW_YORK},
        {"file_extension": ".json.gz"},
        {"delivery_stream_name": "Web_logs.v1-prod"},
    ],
)
def test_boundary_values_are_accepted(options: dict[str, Any]) -> None:
    built = PipelineOptions(**options)
    assert resolve(built).options is built


def test_defaults_of_a_plain_pipeline() -> None:
    config = resolve(PipelineOptions())
    assert config.buffering_size.to_mebibytes() == 5
    assert config.compression is not None
    assert config.compression.value == "GZIP"
    assert config.delivery_prefixes == (
        "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
        "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
        "hour=!{timestamp:HH}/",
    )
    assert config.processors == ()
    assert config.backup is False
    assert config.lambda_keys is None
    assert config.transform_timeout is None
    assert config.transform_metrics_namespace is None
    assert config.analytics is False
    assert BACKUP_OUTPUT_PREFIX == "source-records/"


def test_without_error_prefix_the_role_writes_only_the_data_prefix() -> None:
    config = resolve(PipelineOptions(data_output_prefix="plain/", error_output_prefix=None))
    assert config.delivery_prefixes == ("plain/", "plain/")


def test_compression_is_the_given_one() -> None:
    compression = resolve(PipelineOptions(compression=firehose.Compression.SNAPPY)).compression
    assert compression is not None
    assert compression.value == "Snappy"


# --- sources, backup, transform -------------------------------------------------------------------------
def test_stream_key_with_kinesis_source_is_rejected(scratch: Scratch) -> None:
    _rejected(
        PipelineOptions(source_stream=scratch.stream, stream_encryption_key=scratch.key),
        "stream_encryption_key cannot be used with source_stream",
    )


def test_backup_bucket_without_backup_is_rejected(scratch: Scratch) -> None:
    _rejected(
        PipelineOptions(backup_bucket=scratch.bucket, source_backup=False),
        "backup_bucket is set but source backup is off",
    )
    # Without a transform, backup is off by default too.
    _rejected(PipelineOptions(backup_bucket=scratch.bucket), "backup_bucket is set but source backup is off")


def test_processor_options_without_transform_are_rejected() -> None:
    _rejected(
        PipelineOptions(transform_processor=ProcessorOptions()), "transform_processor is set but transform is None"
    )


def test_own_function_with_too_long_timeout_is_rejected(scratch: Scratch) -> None:
    _rejected(
        PipelineOptions(transform=scratch.slow_function),
        r"transform function timeout must be at most 300 seconds.*got 360 s",
    )


@pytest.mark.parametrize(
    ("options", "backup"),
    [
        ({}, False),
        ({"transform": TransformOptions()}, True),
        ({"transform": TransformOptions(), "source_backup": False}, False),
        ({"source_backup": True}, True),
        ({"format_conversion": FormatConversion(schema={"a": "string"})}, True),
    ],
)
def test_source_backup_is_on_exactly_when_records_are_transformed(options: dict[str, Any], backup: bool) -> None:
    assert resolve(PipelineOptions(**options)).backup is backup


def test_transform_settings_of_the_librarys_transform() -> None:
    config = resolve(
        PipelineOptions(transform=TransformOptions(timeout=Duration.seconds(90), partition_key_fields=("tenant",)))
    )
    assert config.transform_timeout is not None
    assert config.transform_timeout.to_seconds() == 90
    assert config.transform_metrics_namespace == contract.DEFAULT_METRICS_NAMESPACE
    assert config.lambda_keys == frozenset({"tenant"})
    assert config.processors == ("Lambda",)
    named = resolve(PipelineOptions(transform=TransformOptions(environment={"METRICS_NAMESPACE": "Team/Transform"})))
    assert named.transform_metrics_namespace == "Team/Transform"


def test_transform_settings_of_your_own_function(scratch: Scratch) -> None:
    own = resolve(PipelineOptions(transform=scratch.function))
    assert own.transform_timeout is None  # monitoring reads it from the function
    assert own.transform_metrics_namespace is None  # no embedded metrics
    assert own.lambda_keys is None  # unknown: the prefix is trusted
    imported = resolve(PipelineOptions(transform=scratch.imported_function))
    assert imported.transform_timeout is not None
    assert imported.transform_timeout.to_seconds() == contract.LAMBDA_MAX_TIMEOUT_SECONDS


def test_stream_settings_describe_what_the_pipeline_builds(scratch: Scratch) -> None:
    processor = ProcessorOptions(buffer_interval=Duration.seconds(30))
    config = resolve(
        PipelineOptions(
            transform=TransformOptions(timeout=Duration.seconds(90)),
            transform_processor=processor,
            buffering_interval=Duration.seconds(120),
        )
    )
    settings = config.stream_settings(scratch.function)
    assert settings.buffering_interval.to_seconds() == 120
    assert settings.transform_function is scratch.function
    assert settings.transform_timeout is not None
    assert settings.transform_timeout.to_seconds() == 90
    assert settings.transform_buffer_interval is processor.buffer_interval
    assert settings.transform_metrics_namespace == contract.DEFAULT_METRICS_NAMESPACE
    assert settings.backup_buffering_interval is not None
    assert settings.backup_buffering_interval.to_seconds() == contract.BACKUP_BUFFERING_INTERVAL_SECONDS
    assert (settings.source_stream, settings.stream_encryption_key) == (None, None)
    assert (settings.format_conversion, settings.dynamic_partitioning) == (False, False)
    plain = resolve(PipelineOptions(source_stream=scratch.stream)).stream_settings(None)
    assert plain.source_stream is scratch.stream
    assert plain.transform_function is None
    assert plain.transform_timeout is None
    assert plain.backup_buffering_interval is None


# --- format conversion ----------------------------------------------------------------------------------
def test_conversion_refuses_s3_level_compression() -> None:
    conversion = FormatConversion(schema={"a": "string"})
    assert resolve(PipelineOptions(format_conversion=conversion)).compression is None
    uncompressed = PipelineOptions(format_conversion=conversion, compression=firehose.Compression.UNCOMPRESSED)
    assert resolve(uncompressed).compression is None  # the L2 refuses any compression together with conversion
    _rejected(
        PipelineOptions(format_conversion=conversion, compression=firehose.Compression.GZIP),
        r"compression must be UNCOMPRESSED.*got GZIP",
    )
    _rejected(PipelineOptions(format_conversion=conversion, compression=firehose.Compression.SNAPPY), "got Snappy")


def test_conversion_file_extension_must_show_the_encoding() -> None:
    _rejected(
        PipelineOptions(file_extension=".json", format_conversion=FormatConversion(schema={"a": "int"})),
        "hides the PARQUET encoding",
    )
    orc = FormatConversion(schema={"a": "int"}, output_format="ORC")
    assert resolve(PipelineOptions(file_extension=".snappy.orc", format_conversion=orc)).compression is None


def test_buffering_minimums_and_defaults() -> None:
    conversion = FormatConversion(schema={"a": "string"})
    assert resolve(PipelineOptions(format_conversion=conversion)).buffering_size.to_mebibytes() == 128
    assert resolve(PipelineOptions()).buffering_size.to_mebibytes() == 5
    _rejected(
        PipelineOptions(format_conversion=conversion, buffering_size=Size.mebibytes(32)),
        "between 64 and 128 MiB \\(AWS minimum with format conversion\\)",
    )
    _rejected(
        PipelineOptions(
            data_output_prefix="d/k=!{partitionKeyFromQuery:k}/",
            dynamic_partitioning=DynamicPartitioning(jq_keys={"k": ".k"}),
            buffering_size=Size.mebibytes(64),
            buffering_interval=Duration.seconds(30),
        ),
        r"between 60 and 900 seconds.*dynamic partitioning",
    )
    both = PipelineOptions(
        data_output_prefix="d/k=!{partitionKeyFromQuery:k}/",
        dynamic_partitioning=DynamicPartitioning(jq_keys={"k": ".k"}),
        format_conversion=conversion,
        buffering_size=Size.mebibytes(63),
    )
    _rejected(both, r"between 64 and 128 MiB \(AWS minimum with format conversion and dynamic partitioning\)")


# --- the processor chain: the order Firehose runs them -------------------------------------------------
_K_PREFIX = "d/k=!{partitionKeyFromQuery:k}/"


@pytest.mark.parametrize(
    ("options", "chain"),
    [
        (
            {
                "dynamic_partitioning": DynamicPartitioning(
                    jq_keys={"k": ".k"}, deaggregation="JSON", append_delimiter=True
                )
            },
            ("RecordDeAggregation", "Lambda", "MetadataExtraction", "AppendDelimiterToRecord"),
        ),
        (
            {"dynamic_partitioning": DynamicPartitioning(jq_keys={"k": ".k"}), "transform": None},
            ("MetadataExtraction", "AppendDelimiterToRecord"),
        ),
        # the library's transform (and a Lambda in general) adds newlines itself
        ({"dynamic_partitioning": DynamicPartitioning(jq_keys={"k": ".k"})}, ("Lambda", "MetadataExtraction")),
        # converted output has no lines
        (
            {
                "dynamic_partitioning": DynamicPartitioning(jq_keys={"k": ".k"}),
                "transform": None,
                "format_conversion": FormatConversion(schema={"a": "string"}),
            },
            ("MetadataExtraction",),
        ),
        (
            {
                "dynamic_partitioning": DynamicPartitioning(
                    jq_keys={"k": ".k"}, deaggregation="DELIMITED", delimiter="####"
                ),
                "transform": None,
            },
            ("RecordDeAggregation", "MetadataExtraction", "AppendDelimiterToRecord"),
        ),
        ({"data_output_prefix": HOURLY}, ("Lambda",)),
        ({"data_output_prefix": HOURLY, "transform": None}, ()),
    ],
)
def test_processors_follow_firehose_order_and_the_delimiter_is_automatic(
    options: dict[str, Any], chain: tuple[str, ...]
) -> None:
    merged: dict[str, Any] = {"data_output_prefix": _K_PREFIX, "transform": TransformOptions(), **options}
    assert resolve(PipelineOptions(**merged)).processors == chain


# --- issue 10: options that shape only created buckets, the CloudWatch Logs route, tables -----------------
def test_lifecycle_or_access_logging_with_bucket_and_no_created_bucket_is_refused() -> None:
    stack = cdk.Stack(make_app(), "Scratch")
    bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-bucket")
    values: tuple[tuple[str, Any], ...] = (("lifecycle", BucketLifecycle()), ("access_logging", AccessLogging()))
    for option, value in values:
        with pytest.raises(
            ConfigurationError,
            match=rf"^{option} applies to the buckets FirehoseToS3 creates, and with bucket= it creates none",
        ):
            resolve(PipelineOptions(bucket=bucket, **{option: value}))


def test_lifecycle_with_bucket_applies_when_a_backup_or_results_bucket_is_created() -> None:
    stack = cdk.Stack(make_app(), "Scratch")
    bucket = s3.Bucket.from_bucket_name(stack, "Mine", "my-bucket")
    resolve(PipelineOptions(bucket=bucket, lifecycle=BucketLifecycle(), transform=TransformOptions()))
    resolve(
        PipelineOptions(
            bucket=bucket,
            access_logging=AccessLogging(),
            query_table=QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup()),
        )
    )


def test_decompression_comes_first_then_message_extraction_then_a_newline() -> None:
    assert resolve(PipelineOptions(decompression=True)).processors == ("Decompression", "AppendDelimiterToRecord")
    assert resolve(PipelineOptions(decompression=True, log_message_extraction=True)).processors == (
        "Decompression",
        "CloudWatchLogProcessing",
        "AppendDelimiterToRecord",
    )
    # The library's transform adds newlines itself.
    assert resolve(PipelineOptions(decompression=True, transform=TransformOptions())).processors == (
        "Decompression",
        "Lambda",
    )


def test_decompression_is_stated_to_the_monitoring() -> None:
    assert resolve(PipelineOptions(decompression=True)).stream_settings(None).decompression
    assert not resolve(PipelineOptions()).stream_settings(None).decompression


def test_message_extraction_needs_decompression() -> None:
    with pytest.raises(ConfigurationError, match=r"^log_message_extraction needs decompression=True"):
        resolve(PipelineOptions(log_message_extraction=True))


def test_an_error_log_group_with_error_logging_off_is_refused() -> None:
    stack = cdk.Stack(make_app(), "Scratch")
    group = logs.LogGroup.from_log_group_name(stack, "Central", "/central/firehose")
    with pytest.raises(ConfigurationError, match=r"^error_log_group is set but error_logging is False"):
        resolve(PipelineOptions(error_log_group=group, error_logging=False))


def test_a_missing_code_directory_is_refused_by_resolve() -> None:
    with pytest.raises(ConfigurationError, match=r"^code_directory must be an existing directory, got '/nope'"):
        resolve(PipelineOptions(transform=TransformOptions(code_directory="/nope")))

"""``PipelineOptions``: every option of ``FirehoseToS3``, each checked on its own when built.

The options are documented on :class:`~firehose_s3_constructs.pipeline.FirehoseToS3`, which builds this
dataclass from its keyword arguments. Rules that involve more than one option live in
:func:`firehose_s3_constructs.config.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Size, TimeZone
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from .analytics.format_conversion import FormatConversion
from .analytics.partitioning import DynamicPartitioning
from .analytics.query_table import QueryTable
from .monitoring.options import MonitoringOptions
from .storage import AccessLogging, BucketLifecycle
from .transform.options import TransformOptions
from .transform.processor import ProcessorOptions
from .validation import (
    ConfigurationError,
    check_delivery_stream_name,
    check_file_extension,
    check_time_zone,
    parse_prefix,
)

__all__ = ["DEFAULT_DATA_OUTPUT_PREFIX", "DEFAULT_ERROR_OUTPUT_PREFIX", "PipelineOptions"]

_HIVE_HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
#: Hive-style partitions Athena can project or discover (arrival time, in ``time_zone``).
DEFAULT_DATA_OUTPUT_PREFIX = "data/" + _HIVE_HOURLY
#: Failed records by failure type (processing-failed, format-conversion-failed, ...) and arrival hour.
DEFAULT_ERROR_OUTPUT_PREFIX = "errors/!{firehose:error-output-type}/" + _HIVE_HOURLY
_BUCKET_ENCRYPTIONS = (s3.BucketEncryption.S3_MANAGED, s3.BucketEncryption.KMS)


@dataclass(frozen=True, kw_only=True)
class PipelineOptions:
    """The options of ``FirehoseToS3`` (see its docstring for each option's meaning and default)."""

    source_stream: kinesis.IStream | None = None
    bucket: s3.IBucket | None = None
    encryption_key: kms.IKey | None = None
    bucket_encryption: s3.BucketEncryption = s3.BucketEncryption.S3_MANAGED
    stream_encryption_key: kms.IKey | None = None
    buffering_size: Size | None = None
    buffering_interval: Duration = Duration.seconds(300)
    compression: firehose.Compression | None = None
    data_output_prefix: str = DEFAULT_DATA_OUTPUT_PREFIX
    error_output_prefix: str | None = DEFAULT_ERROR_OUTPUT_PREFIX
    file_extension: str | None = None
    time_zone: TimeZone | None = None
    delivery_stream_name: str | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    lifecycle: BucketLifecycle | None = None
    source_backup: bool | None = None
    backup_bucket: s3.IBucket | None = None
    monitoring: MonitoringOptions | None = None
    transform: TransformOptions | lambda_.IFunction | None = None
    transform_processor: ProcessorOptions | None = None
    format_conversion: FormatConversion | None = None
    dynamic_partitioning: DynamicPartitioning | None = None
    query_table: QueryTable | None = None
    access_logging: AccessLogging | None = None
    error_log_group: logs.ILogGroup | None = None
    error_logging: bool = True
    decompression: bool = False
    log_message_extraction: bool = False

    def __post_init__(self) -> None:
        parse_prefix("data_output_prefix", self.data_output_prefix)
        if self.error_output_prefix is not None:
            parse_prefix("error_output_prefix", self.error_output_prefix)
        check_delivery_stream_name(self.delivery_stream_name)
        check_file_extension(self.file_extension)
        check_time_zone(self.time_zone.timezone_name if self.time_zone else None)
        if self.bucket_encryption not in _BUCKET_ENCRYPTIONS:
            raise ConfigurationError(
                "bucket_encryption must be BucketEncryption.S3_MANAGED or BucketEncryption.KMS, "
                f"got {self.bucket_encryption}"
            )

    @property
    def transform_options(self) -> TransformOptions | None:
        """The library's transform options, or None (no transform, or a function of your own)."""
        return self.transform if isinstance(self.transform, TransformOptions) else None

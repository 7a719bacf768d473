"""``resolve``: ``FirehoseToS3``'s options -> the destination as Firehose will run it. Every cross-option rule is here
(those of dynamic partitioning in :mod:`.partition_rules`, those of the Glue tables in :mod:`.table_rules`).

The result, :class:`ResolvedPipeline`, holds what the constructs build from: the buffering hints, the S3
compression, the prefixes, the processors in the order Firehose runs them, whether source records are backed up,
and the settings that decide which alarms apply. Each rule raises :class:`ConfigurationError` naming the
options, the values and what is allowed. Sources: the Firehose developer guide pages cited below and
``firehose-facts.md`` (sections 1b, 1c, 2b, 3, 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Size
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_

from firehose_transform import contract

from .analytics.partitioning import (
    PROCESSOR_APPEND_DELIMITER,
    PROCESSOR_DEAGGREGATION,
    PROCESSOR_DECOMPRESSION,
    PROCESSOR_LAMBDA,
    PROCESSOR_LOG_MESSAGE_EXTRACTION,
    PROCESSOR_METADATA_EXTRACTION,
)
from .monitoring.settings import StreamSettings
from .options import PipelineOptions
from .partition_rules import check_partitioning
from .table_rules import check_tables
from .transform.bundling import check_code_directory
from .validation import ConfigurationError, check_buffering, check_prefixes

__all__ = ["BACKUP_OUTPUT_PREFIX", "ResolvedPipeline", "resolve"]

#: Source records backed up when a transform runs (Firehose appends its own YYYY/MM/dd/HH/).
BACKUP_OUTPUT_PREFIX = "source-records/"

_PLAIN_DEFAULT_BUFFER = Size.mebibytes(5)  # Firehose's default and FirehoseToS3's
_FEATURE_DEFAULT_BUFFER = Size.mebibytes(128)  # AWS's default with conversion (DG-FMT); CDK's with DP
_MIN_FEATURE_BUFFER_MIB = 64  # conversion and dynamic partitioning (firehose-facts 1b, 1c)
_MIN_DP_INTERVAL_S = 60  # dynamic partitioning (firehose-facts 1b)


@dataclass(frozen=True, kw_only=True)
class ResolvedPipeline:
    """The destination of one ``FirehoseToS3``, every default applied and every rule checked.

    Attributes:
        options: the options it was resolved from.
        buffering_size: the S3 buffering size (the default depends on conversion and partitioning).
        compression: the S3-level compression; None with format conversion (the serializer compresses).
        delivery_prefixes: the prefixes the delivery role may write (data, and error or data).
        processors: the processor types in the order Firehose runs them.
        backup: source records are backed up to the backup bucket.
        lambda_keys: the ``partitionKeyFromLambda`` keys the transform returns; None when unknown (your own
            function) or when there is no transform.
        transform_timeout: the transform's timeout as monitoring sees it; None = read it from the function.
        transform_metrics_namespace: the namespace of the library's transform's embedded metrics, else None.
    """

    options: PipelineOptions
    buffering_size: Size
    compression: firehose.Compression | None
    delivery_prefixes: tuple[str, ...]
    processors: tuple[str, ...]
    backup: bool
    lambda_keys: frozenset[str] | None
    transform_timeout: Duration | None
    transform_metrics_namespace: str | None

    @property
    def analytics(self) -> bool:
        """Whether any analytics option (conversion, partitioning, query table) is set."""
        o = self.options
        return o.format_conversion is not None or o.dynamic_partitioning is not None or o.query_table is not None

    def stream_settings(self, transform_function: lambda_.IFunction | None) -> StreamSettings:
        """What the monitoring needs to know about the stream this configuration builds."""
        o = self.options
        processor = o.transform_processor
        return StreamSettings(
            buffering_interval=o.buffering_interval,
            source_stream=o.source_stream,
            transform_function=transform_function,
            transform_timeout=self.transform_timeout if transform_function is not None else None,
            transform_buffer_interval=processor.buffer_interval if processor and transform_function else None,
            transform_metrics_namespace=self.transform_metrics_namespace,
            backup_buffering_interval=(
                Duration.seconds(contract.BACKUP_BUFFERING_INTERVAL_SECONDS) if self.backup else None
            ),
            stream_encryption_key=o.stream_encryption_key,
            format_conversion=o.format_conversion is not None,
            dynamic_partitioning=o.dynamic_partitioning is not None,
            decompression=o.decompression,
        )


def resolve(options: PipelineOptions) -> ResolvedPipeline:
    """Apply the defaults and check every rule that involves more than one option."""
    o = options
    check_prefixes(o.data_output_prefix, o.error_output_prefix, dynamic_partitioning=o.dynamic_partitioning is not None)
    _check_combinations(o)
    _check_logs_route(o)
    transforms_records = o.transform is not None or o.format_conversion is not None
    backup = transforms_records if o.source_backup is None else o.source_backup
    if o.backup_bucket is not None and not backup:
        raise ConfigurationError("backup_bucket is set but source backup is off; set source_backup=True")
    compression = _compression(o)
    buffering_size = _buffering_size(o)
    lambda_keys = _lambda_keys(o)
    if o.dynamic_partitioning is not None:
        check_partitioning(o, o.dynamic_partitioning, lambda_keys=lambda_keys)
    check_tables(o, compression)
    _check_created_bucket_options(o, backup=backup)
    transform = o.transform_options
    return ResolvedPipeline(
        options=o,
        buffering_size=buffering_size,
        compression=compression,
        delivery_prefixes=(o.data_output_prefix, o.error_output_prefix or o.data_output_prefix),
        processors=_processor_chain(o),
        backup=backup,
        lambda_keys=lambda_keys,
        transform_timeout=_transform_timeout(o),
        transform_metrics_namespace=(
            transform.environment.get(contract.METRICS_NAMESPACE, contract.DEFAULT_METRICS_NAMESPACE)
            if transform is not None
            else None
        ),
    )


# --- sources, encryption, transform ---------------------------------------------------------------------
def _check_combinations(o: PipelineOptions) -> None:
    if o.source_stream is not None and o.stream_encryption_key is not None:
        raise ConfigurationError(
            "stream_encryption_key cannot be used with source_stream: Firehose allows server-side "
            "encryption only for Direct PUT streams; encrypt the Kinesis source stream instead"
        )
    if o.transform_options is not None:
        check_code_directory(o.transform_options)  # the function's code must be there before anything is built
    if o.transform_processor is not None and o.transform is None:
        raise ConfigurationError("transform_processor is set but transform is None; set transform as well")
    function = o.transform if isinstance(o.transform, lambda_.Function) else None
    timeout = function.timeout if function is not None else None
    if timeout is not None and timeout.to_seconds() > contract.LAMBDA_MAX_TIMEOUT_SECONDS:
        raise ConfigurationError(
            f"transform function timeout must be at most {contract.LAMBDA_MAX_TIMEOUT_SECONDS} seconds (Firehose "
            f"waits at most 5 minutes for a transform), got {timeout.to_seconds()} s"
        )


def _check_logs_route(o: PipelineOptions) -> None:
    """CloudWatch Logs subscription records and error logging (DG writing-with-cloudwatch-logs, decomp-faq)."""
    if o.log_message_extraction and not o.decompression:
        raise ConfigurationError(
            "log_message_extraction needs decompression=True: Firehose extracts CloudWatch Logs messages from "
            "decompressed records only"
        )
    if not o.error_logging and o.error_log_group is not None:
        raise ConfigurationError("error_log_group is set but error_logging is False; remove one of them")


def _check_created_bucket_options(o: PipelineOptions, *, backup: bool) -> None:
    """Options that shape only the buckets this construct creates must apply to at least one."""
    if o.bucket is None:
        return
    created = (backup and o.backup_bucket is None) or _creates_results_bucket(o)
    if created:
        return
    for option, value in (("lifecycle", o.lifecycle), ("access_logging", o.access_logging)):
        if value is not None:
            raise ConfigurationError(
                f"{option} applies to the buckets FirehoseToS3 creates, and with bucket= it creates none: set it on "
                f"your bucket instead, or remove {option}"
            )


def _creates_results_bucket(o: PipelineOptions) -> bool:
    workgroup = o.query_table.workgroup if o.query_table is not None else None
    return workgroup is not None and workgroup.results_bucket is None


def _transform_timeout(o: PipelineOptions) -> Duration | None:
    if o.transform is None or isinstance(o.transform, lambda_.Function):
        return None  # none, or monitoring reads it from the function
    if o.transform_options is not None:
        return o.transform_options.timeout
    # An imported function's timeout is unknown; Firehose waits at most 5 minutes for any function.
    return Duration.seconds(contract.LAMBDA_MAX_TIMEOUT_SECONDS)


def _lambda_keys(o: PipelineOptions) -> frozenset[str] | None:
    transform = o.transform_options
    if transform is None:
        return None  # no transform, or a user's own function: its keys are unknown, the prefix is trusted
    return contract.transform_partition_keys(transform.partition_key_fields, transform.event_time_field)


def _processor_chain(o: PipelineOptions) -> tuple[str, ...]:
    """Decompression, message extraction, de-aggregation, Lambda, JQ extraction, delimiter: Firehose's order.

    Firehose decompresses CloudWatch Logs records before anything else reads them, de-aggregates before the
    Lambda and extracts partition keys after it (firehose-facts 4 and 5). Without a Lambda, decompressed log
    records get a newline appended (one log record per line) unless they are converted.
    """
    partitioning = o.dynamic_partitioning
    has_lambda = o.transform is not None
    chain: list[str] = []
    if o.decompression:
        chain.append(PROCESSOR_DECOMPRESSION)
        if o.log_message_extraction:
            chain.append(PROCESSOR_LOG_MESSAGE_EXTRACTION)
    if partitioning is None:
        if has_lambda:
            chain.append(PROCESSOR_LAMBDA)
        elif o.decompression and o.format_conversion is None:
            chain.append(PROCESSOR_APPEND_DELIMITER)
        return tuple(chain)
    if partitioning.deaggregation is not None:
        chain.append(PROCESSOR_DEAGGREGATION)
    if has_lambda:
        chain.append(PROCESSOR_LAMBDA)
    if partitioning.jq_keys:
        chain.append(PROCESSOR_METADATA_EXTRACTION)
    append = partitioning.append_delimiter
    if append is None:
        # The library's transform adds newlines itself; converted output has no lines; de-aggregation strips them.
        append = not has_lambda and o.format_conversion is None
    if append:
        chain.append(PROCESSOR_APPEND_DELIMITER)
    return tuple(chain)


# --- compression and buffering ----------------------------------------------------------------------------
def _compression(o: PipelineOptions) -> firehose.Compression | None:
    """GZIP by default; with conversion S3-level compression must be UNCOMPRESSED or unset (DG-FMT)."""
    if o.format_conversion is None:
        return o.compression or firehose.Compression.GZIP
    if o.compression is not None and o.compression.value != "UNCOMPRESSED":
        raise ConfigurationError(
            f"compression must be UNCOMPRESSED (or None) when format conversion is on: Parquet and ORC compress "
            f"inside the file (FormatConversion.compression, SNAPPY by default); got {o.compression.value}"
        )
    extension = o.format_conversion.file_extension
    if o.file_extension and not o.file_extension.endswith(extension):
        raise ConfigurationError(
            f"file_extension {o.file_extension!r} hides the {o.format_conversion.output_format} encoding of converted "
            f"objects; use one ending with {extension!r} or None"
        )
    return None  # the L2 refuses any compression together with conversion


def _buffering_size(o: PipelineOptions) -> Size:
    """The size to configure: the given one, or 128 MiB with conversion or partitioning, else 5 MiB.

    Conversion and dynamic partitioning need at least 64 MiB; dynamic partitioning also at least 60 s.
    """
    partitioning = o.dynamic_partitioning is not None
    wanted = (("format conversion", o.format_conversion is not None), ("dynamic partitioning", partitioning))
    features = [name for name, on in wanted if on]
    size = o.buffering_size or (_FEATURE_DEFAULT_BUFFER if features else _PLAIN_DEFAULT_BUFFER)
    check_buffering(
        buffering_size=size,
        buffering_interval=o.buffering_interval,
        minimum_size_mib=_MIN_FEATURE_BUFFER_MIB if features else 1,
        minimum_interval_s=_MIN_DP_INTERVAL_S if partitioning else 0,
        reason=f"AWS minimum with {' and '.join(features)}" if features else "",
    )
    return size

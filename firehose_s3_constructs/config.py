"""``resolve``: ``FirehoseToS3``'s options -> the destination as Firehose will run it. Every cross-option rule is here.

The result, :class:`ResolvedPipeline`, holds what the constructs build from: the buffering hints, the S3
compression, the prefixes, the processors in the order Firehose runs them, whether source records are backed up,
and the settings that decide which alarms apply. Each rule raises :class:`ConfigurationError` naming the
options, the values and what is allowed. Sources: the Firehose developer guide pages cited below and
``firehose-facts.md`` (sections 1b, 1c, 2b, 3, 4).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from aws_cdk import Duration, Size
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from firehose_transform import contract

from .analytics.partition_layout import projectable
from .analytics.partitioning import (
    PROCESSOR_APPEND_DELIMITER,
    PROCESSOR_DEAGGREGATION,
    PROCESSOR_DECOMPRESSION,
    PROCESSOR_LAMBDA,
    PROCESSOR_LOG_MESSAGE_EXTRACTION,
    PROCESSOR_METADATA_EXTRACTION,
    DynamicPartitioning,
)
from .analytics.query_table import QueryTable, check_table, table_layout, workgroup_encryption
from .monitoring.settings import StreamSettings
from .options import PipelineOptions
from .transform.bundling import check_code_directory
from .validation import ConfigurationError, check_buffering, check_prefixes, parse_prefix

__all__ = ["BACKUP_OUTPUT_PREFIX", "ResolvedPipeline", "resolve"]

#: Source records backed up when a transform runs (Firehose appends its own YYYY/MM/dd/HH/).
BACKUP_OUTPUT_PREFIX = "source-records/"

_PLAIN_DEFAULT_BUFFER = Size.mebibytes(5)  # Firehose's default and FirehoseToS3's
_FEATURE_DEFAULT_BUFFER = Size.mebibytes(128)  # AWS's default with conversion (DG-FMT); CDK's with DP
_MIN_FEATURE_BUFFER_MIB = 64  # conversion and dynamic partitioning (firehose-facts 1b, 1c)
_MIN_DP_INTERVAL_S = 60  # dynamic partitioning (firehose-facts 1b)
#: S3-level compressions a JSON query table can read (Athena picks the codec by the ``.gz`` extension).
_QUERYABLE_JSON_COMPRESSION = ("GZIP", "UNCOMPRESSED")
_JQ_LEADING_FIELD = re.compile(r"\s*\.([A-Za-z_][A-Za-z0-9_]*)")
_QUERY = "partitionKeyFromQuery"
_LAMBDA = "partitionKeyFromLambda"


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
        _check_partitioning(o, o.dynamic_partitioning, lambda_keys=lambda_keys)
    _check_tables(o, compression)
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


# --- dynamic partitioning ----------------------------------------------------------------------------------
def _check_partitioning(
    o: PipelineOptions,
    partitioning: DynamicPartitioning,
    *,
    lambda_keys: Collection[str] | None,
) -> None:
    """The prefix, the key sources and the schema agree (DG dynamic-partitioning.html).

    ``lambda_keys``: the keys the transform returns, when known (the library's transform); None for a user
    function (unknown: the prefix is trusted). A JQ expression's leading field (``.field...``) must be a data
    column, a partition column or a JQ key when the conversion or the query table has columns.
    """
    if not o.error_output_prefix:
        raise ConfigurationError(
            "error_output_prefix is required with dynamic partitioning (records whose keys cannot be extracted go "
            "there), e.g. 'errors/!{firehose:error-output-type}/'"
        )
    prefix = o.data_output_prefix
    expressions = parse_prefix("data_output_prefix", prefix)
    query_keys = {e.value for e in expressions if e.namespace == _QUERY}
    prefix_lambda_keys = {e.value for e in expressions if e.namespace == _LAMBDA}
    if not query_keys and not prefix_lambda_keys:
        raise ConfigurationError(
            "dynamic partitioning needs at least one !{partitionKeyFromQuery:key} or !{partitionKeyFromLambda:key} "
            f"in data_output_prefix, got {prefix!r}"
        )
    jq = set(partitioning.jq_keys)
    missing = sorted(query_keys - jq)
    if missing:
        raise ConfigurationError(
            f"data_output_prefix uses partitionKeyFromQuery key(s) {', '.join(missing)} that no JQ expression "
            f"produces; add them to jq_keys (JQ keys: {', '.join(sorted(jq)) or 'none'})"
        )
    unused = sorted(jq - query_keys)
    if unused:
        raise ConfigurationError(
            f"jq_keys {', '.join(unused)} are never used in data_output_prefix; Firehose requires every JQ key in "
            f"the prefix as !{{partitionKeyFromQuery:key}}, got {prefix!r}"
        )
    _check_lambda_keys(o, partitioning, prefix_lambda_keys, lambda_keys)
    columns = _data_columns(o)
    if columns is not None:
        known = set(columns) | jq | {segment.partition("=")[0] for segment in prefix.split("/") if "=!{" in segment}
        for key, expression in partitioning.jq_keys.items():
            match = _JQ_LEADING_FIELD.match(expression)
            if match and match.group(1) not in known:
                raise ConfigurationError(
                    f"jq_keys[{key!r}] reads .{match.group(1)}, which is neither a schema column nor a partition "
                    f"key (columns: {', '.join(sorted(columns))}); fix the field name or add the column"
                )


def _check_lambda_keys(
    o: PipelineOptions,
    partitioning: DynamicPartitioning,
    prefix_lambda_keys: set[str],
    lambda_keys: Collection[str] | None,
) -> None:
    has_lambda = o.transform is not None
    if prefix_lambda_keys and not has_lambda:
        raise ConfigurationError(
            f"data_output_prefix uses partitionKeyFromLambda key(s) {', '.join(sorted(prefix_lambda_keys))} but no "
            "transform Lambda runs; configure the transform or use jq_keys"
        )
    declared = set(partitioning.lambda_keys)
    if declared and not has_lambda:
        raise ConfigurationError("lambda_keys are declared but no transform Lambda runs")
    if lambda_keys is not None:
        produced = set(lambda_keys)
        unknown = sorted((prefix_lambda_keys | declared) - produced)
        if unknown:
            raise ConfigurationError(
                f"partitionKeyFromLambda key(s) {', '.join(unknown)} are not produced by the transform, which "
                f"returns {', '.join(sorted(produced)) or 'no partition keys'} (partition_key_fields, plus "
                "year/month/day/hour with event_time_field)"
            )
    unused = sorted(declared - prefix_lambda_keys)
    if unused:
        raise ConfigurationError(
            f"lambda_keys {', '.join(unused)} are never used in data_output_prefix as !{{partitionKeyFromLambda:key}}"
        )


def _data_columns(o: PipelineOptions) -> list[str] | None:
    """The data columns of the conversion schema or of the query table, when either names them."""
    if o.format_conversion is not None and o.format_conversion.schema is not None:
        return list(o.format_conversion.schema)
    if o.query_table is not None and o.query_table.columns is not None:
        return list(o.query_table.columns)
    return None


# --- tables ----------------------------------------------------------------------------------------------
def _check_tables(o: PipelineOptions, compression: firehose.Compression | None) -> None:
    """The conversion's schema table and the query table agree; a JSON table can read what is delivered."""
    _check_table_names(o, compression)
    _check_table_layout(o)


def _check_table_layout(o: PipelineOptions) -> None:
    """The table's partitions come from the data prefix, its columns are not partition columns, its location
    holds no error records, and an SSE-KMS workgroup has a key."""
    conversion, query = o.format_conversion, o.query_table
    if conversion is not None and conversion.schema is not None:
        columns: Collection[str] = conversion.schema
    elif query is not None and query.columns is not None:
        columns = query.columns
    else:
        return  # no table is created
    options = query or QueryTable()
    layout = table_layout(
        o.data_output_prefix,
        # Conversion alone does not need a query-ready table; a query table needs projection.
        partition_projection=query is not None or projectable(o.data_output_prefix),
        partition_values=options.partition_values,
        projections=options.projections,
        projection_start=options.projection_start,
        projection_end_year=options.projection_end_year,
    )
    check_table(layout, columns, [o.error_output_prefix] if o.error_output_prefix else [])
    if options.workgroup is not None:
        has_key = (
            o.encryption_key is not None
            or o.bucket_encryption == s3.BucketEncryption.KMS
            or (o.bucket is not None and o.bucket.encryption_key is not None)
        )
        workgroup_encryption(options.workgroup, has_pipeline_key=has_key)


def _check_table_names(o: PipelineOptions, compression: firehose.Compression | None) -> None:
    conversion, query = o.format_conversion, o.query_table
    if conversion is not None:
        if query is not None and conversion.schema is not None:
            for option in ("table_name", "database_name"):
                first, second = getattr(conversion, option), getattr(query, option)
                if first and second and first != second:
                    raise ConfigurationError(
                        f"FormatConversion.{option} {first!r} and QueryTable.{option} {second!r} differ"
                    )
        elif query is not None and not query.columns:
            raise ConfigurationError(
                "QueryTable.columns is required when the conversion reads an existing Glue table (the library "
                "does not read that table's columns)"
            )
        return
    if query is None:
        return
    if query.columns is None:
        raise ConfigurationError(
            "QueryTable.columns is required without format conversion (the data columns of the JSON records)"
        )
    assert compression is not None
    json_compression = compression.value
    if json_compression not in _QUERYABLE_JSON_COMPRESSION:
        raise ConfigurationError(
            f"a JSON query table needs GZIP or UNCOMPRESSED objects (Athena cannot read Firehose's "
            f"{json_compression} output reliably), got {json_compression}"
        )
    if json_compression == "GZIP" and o.file_extension and not o.file_extension.endswith(".gz"):
        raise ConfigurationError(
            f"file_extension {o.file_extension!r} hides the GZIP encoding; Athena picks the codec from the "
            "'.gz' extension, so use one ending with '.gz' (e.g. '.json.gz') or None"
        )

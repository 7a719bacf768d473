"""The rules of the Glue tables that involve other options: the conversion's schema table and the query table agree,
their layout follows the data prefix, and a JSON table can read what is delivered.

Part of :func:`firehose_s3_constructs.config.resolve`.
"""

from __future__ import annotations

from collections.abc import Collection

from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_s3 as s3

from .analytics.partition_layout import projectable
from .analytics.query_table import QueryTable, check_table, table_layout, workgroup_encryption
from .options import PipelineOptions
from .validation import ConfigurationError

__all__ = ["check_tables"]

#: S3-level compressions a JSON query table can read (Athena picks the codec by the ``.gz`` extension).
_QUERYABLE_JSON_COMPRESSION = ("GZIP", "UNCOMPRESSED")


def check_tables(o: PipelineOptions, compression: firehose.Compression | None) -> None:
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

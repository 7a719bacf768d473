"""Analytics options of a Firehose -> S3 pipeline: record format conversion, dynamic partitioning, query tables.

Each piece works alone, and :class:`PipelineAnalytics` combines them for ``FirehoseToS3``:

* :class:`FormatConversion` + :class:`DataFormatConversion`: JSON -> Parquet/ORC with a Glue schema, returning
  ``firehose.DataFormatConversionProps`` and adding the three Glue read actions to the delivery role.
* :class:`DynamicPartitioning` + :func:`validate_partitioning` + :func:`partitioning_processors` +
  :func:`dynamic_partitioning_props`: partition keys from JQ and/or the transform Lambda.
* :class:`~firehose_s3_constructs.athena.QueryTable` + :class:`~firehose_s3_constructs.athena.AthenaTable`:
  a Glue table whose partition projection matches the data prefix, and an optional Athena workgroup.

AWS rules enforced at synth (sources: firehose-facts.md sections 1b, 1c, 2b, 3, 4; the Firehose developer
guide pages record-format-conversion.html and dynamic-partitioning.html):

* conversion: JSON input only; S3-level compression UNCOMPRESSED (the serializer compresses, SNAPPY by
  default); buffer at least 64 MiB (128 MiB when not given).
* dynamic partitioning: buffer at least 64 MiB and 60 s; an error output prefix; every
  ``partitionKeyFromQuery`` key is a JQ key and every JQ key is used; every ``partitionKeyFromLambda`` key is
  produced by the Lambda. It can only be chosen when the stream is created: switching it on or off later
  makes CloudFormation replace the delivery stream (https://docs.aws.amazon.com/firehose/latest/dev/
  dynamic-partitioning.html).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import jsii
from aws_cdk import Aws, Duration, RemovalPolicy, Size, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .athena import AthenaTable, QueryTable, QueryWorkgroup, derived_glue_name, snake_name
from .delivery_role import DeliveryRole
from .glue_schema import (
    PartitionLayout,
    Projection,
    check_glue_name,
    check_schema,
    parse_glue_type,
    partition_layout,
)
from .validation import ConfigurationError, check_buffering, parse_prefix, whole_seconds

__all__ = [
    "GLUE_SCHEMA_ACTIONS",
    "AthenaTable",
    "DataFormatConversion",
    "DynamicPartitioning",
    "FormatConversion",
    "PartitionLayout",
    "PipelineAnalytics",
    "Projection",
    "QueryTable",
    "QueryWorkgroup",
    "add_glue_table_statements",
    "check_analytics_buffering",
    "check_conversion_compression",
    "derived_glue_name",
    "dynamic_partitioning_props",
    "event_time_projections",
    "parse_glue_type",
    "partition_layout",
    "partitioning_processors",
    "transform_partition_keys",
    "validate_partitioning",
]

#: What Firehose needs to read a conversion schema (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
GLUE_SCHEMA_ACTIONS = ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions")
#: Keys produced by the library's transform when ``event_time_field`` is set (docs/CONTRACTS.md).
EVENT_TIME_KEYS = ("year", "month", "day", "hour")

_MIN_BUFFER_MIB = 64  # conversion and dynamic partitioning (firehose-facts 1b, 1c)
_MIN_DP_INTERVAL_S = 60  # dynamic partitioning (firehose-facts 1b)
_FEATURE_DEFAULT_BUFFER = Size.mebibytes(128)  # AWS default with conversion (DG-FMT); CDK's with DP
_PLAIN_DEFAULT_BUFFER = Size.mebibytes(5)  # Firehose's and FirehoseToS3's default
_MAX_JQ_KEYS = 50
_MAX_RETRY_S = 7200
_PARQUET_COMPRESSION = {
    "SNAPPY": firehose.ParquetCompression.SNAPPY,
    "GZIP": firehose.ParquetCompression.GZIP,
    "UNCOMPRESSED": firehose.ParquetCompression.UNCOMPRESSED,
}
_ORC_COMPRESSION = {
    "SNAPPY": firehose.OrcCompression.SNAPPY,
    "ZLIB": firehose.OrcCompression.ZLIB,
    "NONE": firehose.OrcCompression.NONE,
}
_KEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,512}")
_JQ_LEADING_FIELD = re.compile(r"\s*\.([A-Za-z_][A-Za-z0-9_]*)")
_QUERY = "partitionKeyFromQuery"
_LAMBDA = "partitionKeyFromLambda"


# --- record format conversion ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FormatConversion:
    """Convert JSON records to Parquet or ORC before delivery.

    The schema comes from exactly one of: ``schema`` (the library creates the Glue database and table),
    ``existing_table`` (a ``glue.CfnTable`` in your app), or ``database_name`` + ``table_name`` of a table that
    already exists in the account's Data Catalog.

    Attributes:
        output_format: ``PARQUET`` (default) or ``ORC``.
        input_format: JSON deserializer, ``OPENX`` (default, OpenX JSON SerDe) or ``HIVE`` (Hive JSON SerDe).
        openx_case_insensitive: OpenX: lowercase JSON keys before matching columns. Default True.
        openx_convert_dots_to_underscores: OpenX: ``a.b`` keys match column ``a_b``. Default False.
        openx_column_to_json_key_mappings: OpenX: column -> JSON key, for keys that are not valid column
            names (``{"user_agent": "user-agent"}``). Default none.
        hive_timestamp_formats: Hive: Joda-Time patterns of timestamp strings, or ``millis`` for epoch
            milliseconds. Default none (``java.sql.Timestamp::valueOf``, i.e. ``yyyy-MM-dd HH:mm:ss[.f]``).
        compression: inside the file. Parquet: ``SNAPPY`` (default), ``GZIP``, ``UNCOMPRESSED``; ORC:
            ``SNAPPY`` (default), ``ZLIB``, ``NONE``.
        schema: data columns, name -> Glue type (``string``, ``int``, ``bigint``, ``double``, ``boolean``,
            ``timestamp``, ``date``, ``decimal(p,s)``, ``varchar(n)``, ``array<T>``, ``map<K,V>``,
            ``struct<a:T,...>``). Columns named like a partition column of the data prefix are refused.
            Default None.
        existing_table: an existing ``glue.CfnTable``. Default None.
        database_name: database of the created table (must exist; default: one is created) or, without
            ``schema``/``existing_table``, of the existing table. Default None.
        table_name: name of the created table (default: derived from the pipeline id) or of the existing one.
    """

    output_format: Literal["PARQUET", "ORC"] = "PARQUET"
    input_format: Literal["OPENX", "HIVE"] = "OPENX"
    openx_case_insensitive: bool = True
    openx_convert_dots_to_underscores: bool = False
    openx_column_to_json_key_mappings: Mapping[str, str] = field(default_factory=dict)
    hive_timestamp_formats: Sequence[str] = ()
    compression: str = "SNAPPY"
    schema: Mapping[str, str] | None = None
    existing_table: glue.CfnTable | None = None
    database_name: str | None = None
    table_name: str | None = None

    def __post_init__(self) -> None:
        if self.output_format not in ("PARQUET", "ORC"):
            raise ConfigurationError(f"output_format must be 'PARQUET' or 'ORC', got {self.output_format!r}")
        if self.input_format not in ("OPENX", "HIVE"):
            raise ConfigurationError(
                f"input_format must be 'OPENX' or 'HIVE' (Firehose converts JSON input only), got {self.input_format!r}"
            )
        allowed = _PARQUET_COMPRESSION if self.output_format == "PARQUET" else _ORC_COMPRESSION
        if self.compression not in allowed:
            raise ConfigurationError(
                f"compression of {self.output_format} output must be one of {', '.join(allowed)}, "
                f"got {self.compression!r}"
            )
        openx_options = (
            self.openx_case_insensitive is not True
            or self.openx_convert_dots_to_underscores
            or bool(self.openx_column_to_json_key_mappings)
        )
        if self.input_format == "HIVE" and openx_options:
            raise ConfigurationError("openx_* options apply to input_format='OPENX' only (got input_format='HIVE')")
        if self.input_format == "OPENX" and self.hive_timestamp_formats:
            raise ConfigurationError("hive_timestamp_formats applies to input_format='HIVE' only")
        if isinstance(self.hive_timestamp_formats, str) or any(not f.strip() for f in self.hive_timestamp_formats):
            raise ConfigurationError(
                f"hive_timestamp_formats must be a list of non-empty patterns, got {self.hive_timestamp_formats!r}"
            )
        if self.schema is not None and self.existing_table is not None:
            raise ConfigurationError("give either schema (the library creates the Glue table) or existing_table")
        if self.existing_table is not None and (self.database_name or self.table_name):
            raise ConfigurationError("database_name/table_name cannot be combined with existing_table")
        if self.schema is None and self.existing_table is None and not (self.database_name and self.table_name):
            raise ConfigurationError(
                "FormatConversion needs a schema (the library creates the Glue table), an existing_table, or the "
                "database_name and table_name of an existing Glue table"
            )
        if self.schema is not None:
            columns = check_schema(self.schema)
            unknown = sorted(set(self.openx_column_to_json_key_mappings) - set(columns))
            if unknown:
                raise ConfigurationError(
                    f"openx_column_to_json_key_mappings names {', '.join(unknown)}, which are not schema columns"
                )
        for option, name in (("database_name", self.database_name), ("table_name", self.table_name)):
            if name is not None:
                check_glue_name(option, name)

    @property
    def file_extension(self) -> str:
        """The extension Firehose gives converted objects (``.parquet`` or ``.orc``)."""
        return ".parquet" if self.output_format == "PARQUET" else ".orc"

    def input_format_config(self) -> firehose.IInputFormat:
        if self.input_format == "HIVE":
            parsers = [
                firehose.TimestampParser.EPOCH_MILLIS
                if fmt == "millis"
                else firehose.TimestampParser.from_format_string(fmt)
                for fmt in self.hive_timestamp_formats
            ]
            return firehose.HiveJsonInputFormat(timestamp_parsers=parsers or None)
        return firehose.OpenXJsonInputFormat(
            lowercase_column_names=self.openx_case_insensitive,
            convert_dots_in_json_keys_to_underscores=self.openx_convert_dots_to_underscores,
            column_to_json_key_mappings=dict(self.openx_column_to_json_key_mappings) or None,
        )

    def output_format_config(self) -> firehose.IOutputFormat:
        if self.output_format == "ORC":
            return firehose.OrcOutputFormat(compression=_ORC_COMPRESSION[self.compression])
        return firehose.ParquetOutputFormat(compression=_PARQUET_COMPRESSION[self.compression])


def check_conversion_compression(compression: firehose.Compression | None) -> None:
    """With format conversion the S3-level compression must be UNCOMPRESSED or unset (DG record-format-conversion).

    Pass ``None`` on to the L2 ``S3Bucket``: it refuses any ``compression`` together with conversion.
    """
    if compression is not None and compression.value != "UNCOMPRESSED":
        raise ConfigurationError(
            f"compression must be UNCOMPRESSED (or None) when format conversion is on: Parquet and ORC compress "
            f"inside the file (FormatConversion.compression, SNAPPY by default); got {compression.value}"
        )


def check_analytics_buffering(
    buffering_size: Size | None,
    buffering_interval: Duration,
    *,
    conversion: bool,
    partitioning: bool,
) -> Size:
    """Validate the S3 buffering hints for the features in use and return the size to configure.

    ``buffering_size=None`` means "default": 128 MiB with conversion or dynamic partitioning, else 5 MiB.
    Conversion and dynamic partitioning need at least 64 MiB; dynamic partitioning also at least 60 s.
    """
    features = [name for name, on in (("format conversion", conversion), ("dynamic partitioning", partitioning)) if on]
    size = buffering_size or (_FEATURE_DEFAULT_BUFFER if features else _PLAIN_DEFAULT_BUFFER)
    check_buffering(
        buffering_size=size,
        buffering_interval=buffering_interval,
        minimum_size_mib=_MIN_BUFFER_MIB if features else 1,
        minimum_interval_s=_MIN_DP_INTERVAL_S if partitioning else 0,
        reason=f"AWS minimum with {' and '.join(features)}" if features else "",
    )
    return size


def add_glue_table_statements(
    delivery_role: DeliveryRole,
    *,
    database_name: str,
    table_name: str,
    catalog_id: str | None = None,
    region: str | None = None,
) -> iam.PolicyStatement:
    """Let Firehose read one Glue table's schema: the three actions on the catalog, database and table ARNs."""
    stack = Stack.of(delivery_role)
    account = catalog_id or Aws.ACCOUNT_ID

    def arn(resource: str, name: str | None = None) -> str:
        return stack.format_arn(service="glue", resource=resource, resource_name=name, region=region, account=account)

    statement = iam.PolicyStatement(
        sid="ReadConversionSchema",
        actions=list(GLUE_SCHEMA_ACTIONS),
        resources=[arn("catalog"), arn("database", database_name), arn("table", f"{database_name}/{table_name}")],
    )
    delivery_role.add_statements(statement)
    return statement


class _GlueTableByName(firehose.SchemaConfiguration):
    """A SchemaConfiguration for an existing Glue table known only by database and table name.

    aws-cdk-lib only offers ``SchemaConfiguration.from_cfn_table``; this jsii subclass renders the same
    CloudFormation properties for a table the app does not define. Like the L2 with a role passed through
    ``without_policy_updates()``, it grants nothing: :func:`add_glue_table_statements` does.
    """

    def __init__(self, database_name: str, table_name: str, catalog_id: str, region: str) -> None:
        self._schema = firehose.CfnDeliveryStream.SchemaConfigurationProperty(
            database_name=database_name,
            table_name=table_name,
            catalog_id=catalog_id,
            region=region,
            version_id="LATEST",
        )
        jsii.create(self.__class__, self, [])

    def bind(self, scope: Construct, *, role: iam.IRole) -> firehose.CfnDeliveryStream.SchemaConfigurationProperty:
        s = self._schema
        return firehose.CfnDeliveryStream.SchemaConfigurationProperty(
            database_name=s.database_name,
            table_name=s.table_name,
            catalog_id=s.catalog_id,
            region=s.region,
            version_id=s.version_id,
            role_arn=role.role_arn,
        )


class DataFormatConversion(Construct):
    """The Glue schema and ``firehose.DataFormatConversionProps`` of a :class:`FormatConversion`.

    With ``conversion.schema`` it creates the Glue database (unless ``database_name`` is given) and a
    Parquet/ORC table over the data prefix, partition-projected when the prefix allows it (so the same table
    serves Athena); with ``query`` that is required, and ``query`` names the table and adds a workgroup.
    It always adds ``glue:GetTable``, ``glue:GetTableVersion`` and ``glue:GetTableVersions`` on the catalog,
    database and table to ``delivery_role``.

    Args:
        conversion: the options.
        delivery_role: the pipeline's role (the L2 must get ``role.without_policy_updates()``).
        bucket, data_output_prefix: where Firehose writes.
        compression: the S3-level compression the caller asked for; anything but None/UNCOMPRESSED raises.
        buffering_size: None = 128 MiB; below 64 MiB raises. ``buffering_interval``: 0-900 s.
        file_extension: the pipeline's file extension; must end with ``.parquet``/``.orc`` if given.
        query: make the created table query-ready (names, projection values, workgroup). Default None.
        default_table_name: table name when neither ``query`` nor ``conversion`` names one.
        default_database_name: name of the database created when neither names one (default: derived from
            this construct's path).
        excluded_prefixes, encryption_key, access_logs_bucket, removal_policy: see :class:`AthenaTable`.

    Attributes:
        props: pass as ``data_format_conversion`` to ``firehose.S3Bucket``.
        buffering_size: the size to pass to ``firehose.S3Bucket``.
        table: the Glue table used (created or existing) or None for a table known by name.
        database_name, table_name: the schema table's names.
        athena_table: the :class:`AthenaTable` created for ``schema`` or ``query``, else None.
        glue_statement: the policy statement added to the delivery role.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        conversion: FormatConversion,
        delivery_role: DeliveryRole,
        bucket: s3.IBucket,
        data_output_prefix: str,
        compression: firehose.Compression | None = None,
        buffering_size: Size | None = None,
        buffering_interval: Duration = Duration.seconds(300),
        file_extension: str | None = None,
        query: QueryTable | None = None,
        default_table_name: str | None = None,
        default_database_name: str | None = None,
        excluded_prefixes: Sequence[str] = (),
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        check_conversion_compression(compression)
        self.buffering_size = check_analytics_buffering(
            buffering_size, buffering_interval, conversion=True, partitioning=False
        )
        if file_extension and not file_extension.endswith(conversion.file_extension):
            raise ConfigurationError(
                f"file_extension {file_extension!r} hides the {conversion.output_format} encoding of converted "
                f"objects; use one ending with {conversion.file_extension!r} or None"
            )
        self.athena_table: AthenaTable | None = None
        self.table: glue.CfnTable | None = None
        options = query or QueryTable()

        def table(id: str, columns: Mapping[str, str], name: str | None, database: str | None) -> AthenaTable:
            return AthenaTable(
                self,
                id,
                bucket=bucket,
                data_output_prefix=data_output_prefix,
                columns=columns,
                format="parquet" if conversion.output_format == "PARQUET" else "orc",
                table_name=name or default_table_name or snake_name(scope.node.id),
                database_name=database or default_database_name,
                create_database=True if database is None else None,
                compression=conversion.compression,
                partition_values=options.partition_values,
                projections=options.projections,
                projection_start=options.projection_start,
                projection_end_year=options.projection_end_year,
                # Conversion alone does not need a query-ready table; with ``query`` projection is required.
                partition_projection=query is not None or _projectable(data_output_prefix),
                excluded_prefixes=excluded_prefixes,
                workgroup=options.workgroup,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                removal_policy=removal_policy,
            )

        if conversion.schema is not None:
            # The schema table is also the query table.
            self.athena_table = table(
                "Table",
                conversion.schema,
                _one_name("table_name", conversion.table_name, options.table_name),
                _one_name("database_name", conversion.database_name, options.database_name),
            )
        elif query is not None:
            # An existing schema table: the query table is a second table with the query's own columns.
            if not query.columns:
                raise ConfigurationError(
                    "QueryTable.columns is required when the conversion reads an existing Glue table (the library "
                    "does not read that table's columns)"
                )
            self.athena_table = table("QueryTable", query.columns, query.table_name, query.database_name)
        stack = Stack.of(self)
        if conversion.schema is not None:
            assert self.athena_table is not None
            self.table = self.athena_table.table
            schema: firehose.SchemaConfiguration = firehose.SchemaConfiguration.from_cfn_table(self.table)
            self.database_name, self.table_name = self.athena_table.database_name, self.athena_table.table_name
            catalog_id: str = Aws.ACCOUNT_ID
        elif conversion.existing_table is not None:
            self.table = conversion.existing_table
            schema = firehose.SchemaConfiguration.from_cfn_table(self.table)
            self.database_name, self.table_name = self.table.database_name, self.table.ref
            catalog_id = self.table.catalog_id
        else:
            assert conversion.database_name is not None
            assert conversion.table_name is not None
            self.database_name, self.table_name = conversion.database_name, conversion.table_name
            catalog_id = Aws.ACCOUNT_ID
            schema = _GlueTableByName(self.database_name, self.table_name, catalog_id, stack.region)
        self.glue_statement = add_glue_table_statements(
            delivery_role, database_name=self.database_name, table_name=self.table_name, catalog_id=catalog_id
        )
        self.props = firehose.DataFormatConversionProps(
            enabled=True,
            input_format=conversion.input_format_config(),
            output_format=conversion.output_format_config(),
            schema_configuration=schema,
        )


def _one_name(option: str, first: str | None, second: str | None) -> str | None:
    if first and second and first != second:
        raise ConfigurationError(f"FormatConversion.{option} {first!r} and QueryTable.{option} {second!r} differ")
    return first or second


def _projectable(prefix: str) -> bool:
    try:
        partition_layout(prefix)
    except ConfigurationError:
        return False
    return True


# --- dynamic partitioning ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DynamicPartitioning:
    """Dynamic partitioning: S3 prefixes from keys in the records.

    It can only be chosen when the delivery stream is created: switching it on or off later makes
    CloudFormation replace the stream. Keys and the prefix can change later.

    Attributes:
        jq_keys: key -> JQ 1.6 expression run on each JSON record, e.g. ``{"device_type": ".device_type"}``;
            used as ``!{partitionKeyFromQuery:key}``. At most 50. Default none.
        lambda_keys: keys you expect from the transform Lambda's ``metadata.partitionKeys``, used as
            ``!{partitionKeyFromLambda:key}``; each must appear in the prefix. Default none.
        deaggregation: split aggregated records before partitioning: ``JSON`` (concatenated or
            newline-delimited JSON objects) or ``DELIMITED`` (with ``delimiter``). Default None.
        delimiter: the raw delimiter of ``DELIMITED`` records (the L2 base64-encodes it). Default None.
        append_delimiter: add ``\\n`` after each record. Default None = automatic: on when no Lambda runs and
            the output is not converted (the library's transform adds newlines; de-aggregation strips them).
        retry_duration: how long Firehose retries delivery to a partition. Default 300 s (0-7200 s).
    """

    jq_keys: Mapping[str, str] = field(default_factory=dict)
    lambda_keys: Sequence[str] = ()
    deaggregation: Literal["JSON", "DELIMITED"] | None = None
    delimiter: str | None = None
    append_delimiter: bool | None = None
    retry_duration: Duration = Duration.seconds(300)

    def __post_init__(self) -> None:
        if len(self.jq_keys) > _MAX_JQ_KEYS:
            raise ConfigurationError(f"jq_keys can have at most {_MAX_JQ_KEYS} keys, got {len(self.jq_keys)}")
        for key, expression in self.jq_keys.items():
            _check_key_name("jq_keys", key)
            if not isinstance(expression, str) or not expression.strip():
                raise ConfigurationError(
                    f"jq_keys[{key!r}] must be a JQ expression such as '.{key}', got {expression!r}"
                )
        if isinstance(self.lambda_keys, str):
            raise ConfigurationError(f"lambda_keys must be a list of key names, got the string {self.lambda_keys!r}")
        for key in self.lambda_keys:
            _check_key_name("lambda_keys", key)
        if self.deaggregation not in (None, "JSON", "DELIMITED"):
            raise ConfigurationError(f"deaggregation must be 'JSON', 'DELIMITED' or None, got {self.deaggregation!r}")
        if self.deaggregation == "DELIMITED" and not self.delimiter:
            raise ConfigurationError("deaggregation='DELIMITED' needs a delimiter, e.g. delimiter='####'")
        if self.deaggregation != "DELIMITED" and self.delimiter is not None:
            raise ConfigurationError("delimiter is only used with deaggregation='DELIMITED'")
        retry = whole_seconds("retry_duration", self.retry_duration)
        if not 0 <= retry <= _MAX_RETRY_S:
            raise ConfigurationError(f"retry_duration must be between 0 and {_MAX_RETRY_S} seconds, got {retry} s")


def _check_key_name(option: str, key: str) -> None:
    if not isinstance(key, str) or not _KEY_NAME.fullmatch(key):
        raise ConfigurationError(f"{option} key {key!r} must be letters, digits, '_' or '-'")


def validate_partitioning(
    partitioning: DynamicPartitioning,
    *,
    data_output_prefix: str,
    error_output_prefix: str | None,
    buffering_size: Size | None,
    buffering_interval: Duration,
    has_lambda: bool,
    lambda_keys: Collection[str] | None,
    schema_columns: Collection[str] | None = None,
) -> None:
    """Check a dynamic partitioning setup against the prefix and the key sources; raise ConfigurationError.

    Args:
        has_lambda: a transform Lambda runs (its processor is in the list).
        lambda_keys: the keys that Lambda returns, when known: for the library's transform its
            ``partition_key_fields`` plus ``year``/``month``/``day``/``hour`` when ``event_time_field`` is set
            (:func:`transform_partition_keys`); None for a user function (unknown: the prefix is trusted).
        schema_columns: data columns of the conversion schema or query table, when there is one: a JQ
            expression's leading field (``.field...``) must be one of them, a partition column or a JQ key.
    """
    check_analytics_buffering(buffering_size, buffering_interval, conversion=False, partitioning=True)
    if not error_output_prefix:
        raise ConfigurationError(
            "error_output_prefix is required with dynamic partitioning (records whose keys cannot be extracted go "
            "there), e.g. 'errors/!{firehose:error-output-type}/'"
        )
    expressions = parse_prefix("data_output_prefix", data_output_prefix)
    query_keys = {e.value for e in expressions if e.namespace == _QUERY}
    prefix_lambda_keys = {e.value for e in expressions if e.namespace == _LAMBDA}
    if not query_keys and not prefix_lambda_keys:
        raise ConfigurationError(
            "dynamic partitioning needs at least one !{partitionKeyFromQuery:key} or !{partitionKeyFromLambda:key} "
            f"in data_output_prefix, got {data_output_prefix!r}"
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
            f"the prefix as !{{partitionKeyFromQuery:key}}, got {data_output_prefix!r}"
        )
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
    unused_lambda = sorted(declared - prefix_lambda_keys)
    if unused_lambda:
        raise ConfigurationError(
            f"lambda_keys {', '.join(unused_lambda)} are never used in data_output_prefix as "
            "!{partitionKeyFromLambda:key}"
        )
    if schema_columns is not None:
        known = set(schema_columns) | jq | _prefix_column_names(data_output_prefix)
        for key, expression in partitioning.jq_keys.items():
            match = _JQ_LEADING_FIELD.match(expression)
            if match and match.group(1) not in known:
                raise ConfigurationError(
                    f"jq_keys[{key!r}] reads .{match.group(1)}, which is neither a schema column nor a partition "
                    f"key (columns: {', '.join(sorted(schema_columns))}); fix the field name or add the column"
                )


def _prefix_column_names(prefix: str) -> set[str]:
    return {segment.partition("=")[0] for segment in prefix.split("/") if "=!{" in segment}


def transform_partition_keys(partition_key_fields: Sequence[str], event_time_field: str | None) -> frozenset[str]:
    """The ``metadata.partitionKeys`` the library's transform returns (docs/CONTRACTS.md)."""
    keys = set(partition_key_fields)
    if event_time_field:
        keys.update(EVENT_TIME_KEYS)
    return frozenset(keys)


def partitioning_processors(
    partitioning: DynamicPartitioning | None,
    *,
    lambda_processor: firehose.IDataProcessor | None = None,
    format_conversion: bool = False,
) -> list[firehose.IDataProcessor]:
    """The processors in the order Firehose runs them: de-aggregation, Lambda, JQ extraction, delimiter.

    Firehose de-aggregates before it invokes the Lambda and extracts partition keys after it (firehose-facts
    section 4). Without ``partitioning`` the result is just ``[lambda_processor]`` (or empty).
    """
    if partitioning is None:
        return [lambda_processor] if lambda_processor is not None else []
    processors: list[firehose.IDataProcessor] = []
    if partitioning.deaggregation == "JSON":
        processors.append(firehose.RecordDeAggregationProcessor.json())
    elif partitioning.deaggregation == "DELIMITED":
        assert partitioning.delimiter is not None
        processors.append(firehose.RecordDeAggregationProcessor.delimited(partitioning.delimiter))
    if lambda_processor is not None:
        processors.append(lambda_processor)
    if partitioning.jq_keys:
        processors.append(firehose.MetadataExtractionProcessor.jq16(dict(partitioning.jq_keys)))
    append = partitioning.append_delimiter
    if append is None:
        append = lambda_processor is None and not format_conversion
    if append:
        processors.append(firehose.AppendDelimiterToRecordProcessor())
    return processors


def dynamic_partitioning_props(partitioning: DynamicPartitioning) -> firehose.DynamicPartitioningProps:
    """Pass as ``dynamic_partitioning`` to ``firehose.S3Bucket``."""
    return firehose.DynamicPartitioningProps(enabled=True, retry_duration=partitioning.retry_duration)


def event_time_projections(*, first_year: int = 2024, last_year: int = 2099) -> dict[str, Projection]:
    """Integer projections of the transform's event-time keys, for ``QueryTable(projections=...)``.

    Use them when the prefix has ``year=!{partitionKeyFromLambda:year}/month=...`` segments; the transform
    returns zero-padded ``MM``/``dd``/``HH`` values (docs/CONTRACTS.md ``EVENT_TIME_FIELD``).
    """
    return {
        "year": Projection.integer(first_year, last_year),
        "month": Projection.integer(1, 12, digits=2),
        "day": Projection.integer(1, 31, digits=2),
        "hour": Projection.integer(0, 23, digits=2),
    }


# --- everything FirehoseToS3 needs ------------------------------------------------------------------------

#: S3-level compressions a JSON query table can read (Athena picks the codec by the ``.gz`` extension).
_QUERYABLE_JSON_COMPRESSION = ("GZIP", "UNCOMPRESSED")


class PipelineAnalytics(Construct):
    """Format conversion, dynamic partitioning and a query table for one ``firehose.S3Bucket`` destination.

    Validates the combination, creates the Glue/Athena resources, adds the Glue statements to the delivery
    role and exposes what to pass to ``firehose.S3Bucket``: :attr:`compression`, :attr:`buffering_size`,
    :attr:`processors`, :attr:`data_format_conversion`, :attr:`dynamic_partitioning`.

    Args:
        delivery_role, bucket, data_output_prefix, error_output_prefix: the pipeline's.
        buffering_size: None = default (128 MiB with conversion or partitioning, else 5 MiB).
        buffering_interval: the pipeline's interval.
        compression: S3-level compression asked for; None = default (GZIP, or none with conversion).
        format_conversion, dynamic_partitioning, query_table: the options (each may be None).
        lambda_processor: the transform's ``LambdaFunctionProcessor`` if a transform runs.
        lambda_keys: the keys that transform returns (:func:`transform_partition_keys`), None if unknown.
        file_extension: the pipeline's file extension (checked against the encoding).
        excluded_prefixes: other prefixes in the bucket (error, source backup) the table must not cover.
        default_table_name: table name when the options name none. Default: from this construct's parent id.
            A database is created, named :func:`derived_glue_name` of the parent, when the options name none.
        encryption_key, access_logs_bucket, removal_policy: for the workgroup results bucket.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        delivery_role: DeliveryRole,
        bucket: s3.IBucket,
        data_output_prefix: str,
        error_output_prefix: str | None,
        buffering_interval: Duration,
        buffering_size: Size | None = None,
        compression: firehose.Compression | None = None,
        format_conversion: FormatConversion | None = None,
        dynamic_partitioning: DynamicPartitioning | None = None,
        query_table: QueryTable | None = None,
        lambda_processor: firehose.IDataProcessor | None = None,
        lambda_keys: Collection[str] | None = None,
        file_extension: str | None = None,
        excluded_prefixes: Sequence[str] = (),
        default_table_name: str | None = None,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        conversion = format_conversion is not None
        if conversion:
            check_conversion_compression(compression)
        self.buffering_size = check_analytics_buffering(
            buffering_size, buffering_interval, conversion=conversion, partitioning=dynamic_partitioning is not None
        )
        self.compression: firehose.Compression | None = None if conversion else compression or firehose.Compression.GZIP
        table_name = default_table_name or snake_name(scope.node.id)
        database_name = derived_glue_name(scope)
        columns: Mapping[str, str] | None = None
        if format_conversion is not None and format_conversion.schema is not None:
            columns = format_conversion.schema
        elif query_table is not None:
            columns = query_table.columns
        if dynamic_partitioning is not None:
            validate_partitioning(
                dynamic_partitioning,
                data_output_prefix=data_output_prefix,
                error_output_prefix=error_output_prefix,
                buffering_size=self.buffering_size,
                buffering_interval=buffering_interval,
                has_lambda=lambda_processor is not None,
                lambda_keys=lambda_keys,
                schema_columns=list(columns) if columns is not None else None,
            )

        self.conversion: DataFormatConversion | None = None
        self.athena_table: AthenaTable | None = None
        self.data_format_conversion: firehose.DataFormatConversionProps | None = None
        if format_conversion is not None:
            self.conversion = DataFormatConversion(
                self,
                "FormatConversion",
                conversion=format_conversion,
                delivery_role=delivery_role,
                bucket=bucket,
                data_output_prefix=data_output_prefix,
                compression=compression,
                buffering_size=self.buffering_size,
                buffering_interval=buffering_interval,
                file_extension=file_extension,
                query=query_table,
                default_table_name=table_name,
                default_database_name=database_name,
                excluded_prefixes=excluded_prefixes,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                removal_policy=removal_policy,
            )
            self.data_format_conversion = self.conversion.props
            self.athena_table = self.conversion.athena_table
        elif query_table is not None:
            if query_table.columns is None:
                raise ConfigurationError(
                    "QueryTable.columns is required without format conversion (the data columns of the JSON records)"
                )
            assert self.compression is not None
            json_compression = self.compression.value
            if json_compression not in _QUERYABLE_JSON_COMPRESSION:
                raise ConfigurationError(
                    f"a JSON query table needs GZIP or UNCOMPRESSED objects (Athena cannot read Firehose's "
                    f"{json_compression} output reliably), got {json_compression}"
                )
            if json_compression == "GZIP" and file_extension and not file_extension.endswith(".gz"):
                raise ConfigurationError(
                    f"file_extension {file_extension!r} hides the GZIP encoding; Athena picks the codec from the "
                    "'.gz' extension, so use one ending with '.gz' (e.g. '.json.gz') or None"
                )
            self.athena_table = AthenaTable(
                self,
                "QueryTable",
                bucket=bucket,
                data_output_prefix=data_output_prefix,
                columns=query_table.columns,
                format="json",
                table_name=query_table.table_name or table_name,
                database_name=query_table.database_name or database_name,
                create_database=True if query_table.database_name is None else None,
                compression=json_compression if json_compression == "GZIP" else None,
                partition_values=query_table.partition_values,
                projections=query_table.projections,
                projection_start=query_table.projection_start,
                projection_end_year=query_table.projection_end_year,
                json_key_mappings=query_table.json_key_mappings,
                excluded_prefixes=excluded_prefixes,
                workgroup=query_table.workgroup,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                removal_policy=removal_policy,
            )

        self.dynamic_partitioning: firehose.DynamicPartitioningProps | None = (
            dynamic_partitioning_props(dynamic_partitioning) if dynamic_partitioning is not None else None
        )
        self.processors = partitioning_processors(
            dynamic_partitioning, lambda_processor=lambda_processor, format_conversion=conversion
        )

"""Record format conversion: JSON to Parquet or ORC through a Glue table (:class:`FormatConversion`).

:class:`FormatConversion` holds the options; :class:`DataFormatConversion` creates (or names) the Glue schema
table, adds the three Glue read actions to the delivery role and returns ``firehose.DataFormatConversionProps``.
The destination-level rules (S3 compression UNCOMPRESSED, at least 64 MiB of buffer, a file extension that
does not hide the encoding) are checked by :func:`firehose_s3_constructs.config.resolve`
(https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import jsii
from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..delivery_role import DeliveryRole
from ..storage import AccessLogging
from ..validation import ConfigurationError, unresolved
from .glue_types import check_glue_name, check_schema
from .partition_layout import projectable
from .query_table import AthenaTable, QueryTable, snake_name
from .serializers import COMPRESSIONS, OrcOptions, ParquetOptions, orc_output_format, parquet_output_format

__all__ = ["GLUE_SCHEMA_ACTIONS", "DataFormatConversion", "FormatConversion", "add_glue_table_statements"]

#: What Firehose needs to read a conversion schema (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
GLUE_SCHEMA_ACTIONS = ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions")
_ACCOUNT = re.compile(r"\d{12}")
_VERSION = re.compile(r"LATEST|\d+")


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
        catalog_id: the Data Catalog (an account id) of an existing table given by ``database_name`` and
            ``table_name``. Default None (this account).
        region: the Region of an existing table (``existing_table`` or by name); Firehose reads schemas
            across Regions. Default None (this stack's Region).
        version_id: the table version of an existing table; ``LATEST`` always reads the newest. Default None
            (``LATEST``).
        parquet: Parquet serializer settings (block and page size, writer version, ...); only with
            ``output_format="PARQUET"``. Default None (Firehose's defaults).
        orc: ORC serializer settings (stripe and block size, bloom filters, ...); only with
            ``output_format="ORC"``. Default None (Firehose's defaults).
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
    catalog_id: str | None = None
    region: str | None = None
    version_id: str | None = None
    parquet: ParquetOptions | None = None
    orc: OrcOptions | None = None

    def __post_init__(self) -> None:
        if self.output_format not in ("PARQUET", "ORC"):
            raise ConfigurationError(f"output_format must be 'PARQUET' or 'ORC', got {self.output_format!r}")
        if self.input_format not in ("OPENX", "HIVE"):
            raise ConfigurationError(
                f"input_format must be 'OPENX' or 'HIVE' (Firehose converts JSON input only), got {self.input_format!r}"
            )
        allowed = COMPRESSIONS[self.output_format]
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
        self._check_existing_table()
        self._check_serializer()

    def _check_existing_table(self) -> None:
        if self.schema is not None and (self.catalog_id, self.region, self.version_id) != (None, None, None):
            raise ConfigurationError(
                "catalog_id, region and version_id describe an existing Glue table; with schema the library "
                "creates the table in this account and Region"
            )
        if self.existing_table is not None and self.catalog_id is not None:
            raise ConfigurationError("catalog_id cannot be combined with existing_table (its catalog_id is used)")
        if self.catalog_id is not None and not unresolved(self.catalog_id) and not _ACCOUNT.fullmatch(self.catalog_id):
            raise ConfigurationError(f"catalog_id must be a 12-digit account id, got {self.catalog_id!r}")
        if self.version_id is not None and not unresolved(self.version_id) and not _VERSION.fullmatch(self.version_id):
            raise ConfigurationError(f"version_id must be 'LATEST' or a version number, got {self.version_id!r}")

    def _check_serializer(self) -> None:
        if self.parquet is not None and self.output_format != "PARQUET":
            raise ConfigurationError(f"parquet settings need output_format='PARQUET', got {self.output_format!r}")
        if self.orc is not None and self.output_format != "ORC":
            raise ConfigurationError(f"orc settings need output_format='ORC', got {self.output_format!r}")
        if self.orc is not None and self.schema is not None:
            unknown = sorted(set(self.orc.bloom_filter_columns) - set(self.schema))
            if unknown:
                raise ConfigurationError(
                    f"OrcOptions.bloom_filter_columns names {', '.join(unknown)}, which are not schema columns"
                )

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
            return orc_output_format(self.compression, self.orc)
        return parquet_output_format(self.compression, self.parquet)


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

    def __init__(self, database_name: str, table_name: str, catalog_id: str, region: str, version_id: str) -> None:
        self._schema = firehose.CfnDeliveryStream.SchemaConfigurationProperty(
            database_name=database_name,
            table_name=table_name,
            catalog_id=catalog_id,
            region=region,
            version_id=version_id,
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
        query: make the created table query-ready (names, projection values, workgroup). Default None.
        default_table_name: table name when neither ``query`` nor ``conversion`` names one.
        default_database_name: name of the database created when neither names one (default: derived from
            this construct's path).
        excluded_prefixes, encryption_key, access_logs_bucket, access_logging, removal_policy: see
            :class:`AthenaTable`.

    Attributes:
        props: pass as ``data_format_conversion`` to ``firehose.S3Bucket``.
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
        query: QueryTable | None = None,
        default_table_name: str | None = None,
        default_database_name: str | None = None,
        excluded_prefixes: Sequence[str] = (),
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_logging: AccessLogging | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
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
                partition_projection=query is not None or projectable(data_output_prefix),
                excluded_prefixes=excluded_prefixes,
                workgroup=options.workgroup,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                access_logging=access_logging,
                removal_policy=removal_policy,
            )

        if conversion.schema is not None:
            # The schema table is also the query table (names agree: config.resolve checks it).
            self.athena_table = table(
                "Table",
                conversion.schema,
                conversion.table_name or options.table_name,
                conversion.database_name or options.database_name,
            )
        elif query is not None:
            # An existing schema table: the query table is a second table with the query's own columns.
            assert query.columns is not None  # config.resolve requires them
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
            schema = firehose.SchemaConfiguration.from_cfn_table(
                self.table, region=conversion.region, version_id=conversion.version_id
            )
            self.database_name, self.table_name = self.table.database_name, self.table.ref
            catalog_id = self.table.catalog_id
        else:
            assert conversion.database_name is not None
            assert conversion.table_name is not None
            self.database_name, self.table_name = conversion.database_name, conversion.table_name
            catalog_id = conversion.catalog_id or Aws.ACCOUNT_ID
            schema = _GlueTableByName(
                self.database_name,
                self.table_name,
                catalog_id,
                conversion.region or stack.region,
                conversion.version_id or "LATEST",
            )
        self.glue_statement = add_glue_table_statements(
            delivery_role,
            database_name=self.database_name,
            table_name=self.table_name,
            catalog_id=catalog_id,
            region=conversion.region,
        )
        self.props = firehose.DataFormatConversionProps(
            enabled=True,
            input_format=conversion.input_format_config(),
            output_format=conversion.output_format_config(),
            schema_configuration=schema,
        )

"""Query-ready output: a Glue table over what Firehose delivers, with partition projection, and an Athena workgroup.

:class:`AthenaTable` creates (or reuses) a Glue database and creates one external table whose SerDe matches
the delivered format (JSON lines, optionally GZIP; Parquet; ORC) and whose partition projection matches the
data prefix exactly (see :func:`~firehose_s3_constructs.analytics.partition_layout.partition_layout`): no crawler and no
``MSCK REPAIR TABLE`` are needed, new partitions are queryable as soon as Firehose writes them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Aws, Duration, Names, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..storage import AccessLogging, BucketLifecycle, SecureBucket, access_log_bucket
from ..validation import ConfigurationError, static_part, unresolved
from .glue_types import TABLE_FORMATS, FormatName, check_glue_name, check_schema
from .partition_layout import PartitionLayout, Projection, partition_layout

__all__ = [
    "AthenaTable",
    "QueryTable",
    "QueryWorkgroup",
    "check_table",
    "derived_glue_name",
    "snake_name",
    "table_layout",
    "workgroup_encryption",
]

#: Athena's minimum per-query data usage control (BytesScannedCutoffPerQuery), in bytes.
_MIN_CUTOFF_BYTES = 10_000_000
_WORKGROUP_NAME = re.compile(r"[a-zA-Z0-9._-]{1,128}")


@dataclass(frozen=True, kw_only=True)
class QueryWorkgroup:
    """An Athena workgroup for querying the table, with encrypted results and a per-query scan limit.

    Attributes:
        name: workgroup name. Default None (derived from the construct path, unique in the account).
        results_bucket: where query results go. Default None: a hardened bucket is created (versioned, TLS
            only, access-logged, SSE-S3 or SSE-KMS) whose objects expire after ``results_expiration``.
        results_prefix: key prefix of results in that bucket. Default ``athena-results/``.
        encryption: ``SSE_S3`` or ``SSE_KMS``. Default None: SSE_KMS when a key is available
            (``kms_key`` or the pipeline's key), else SSE_S3.
        kms_key: key for SSE_KMS results. Default None (the pipeline's key).
        bytes_scanned_cutoff: cancel any query that scans more than this. Default 10 GiB (min 10 MB).
        results_expiration: lifetime of results in a created results bucket. Default 30 days.
        enforce_configuration: clients cannot override the results location/encryption. Default True.
        publish_cloudwatch_metrics: publish per-query metrics. Default True.
    """

    name: str | None = None
    results_bucket: s3.IBucket | None = None
    results_prefix: str = "athena-results/"
    encryption: Literal["SSE_S3", "SSE_KMS"] | None = None
    kms_key: kms.IKey | None = None
    bytes_scanned_cutoff: Size = Size.mebibytes(10 * 1024)  # 10 GiB
    results_expiration: Duration = Duration.days(30)
    enforce_configuration: bool = True
    publish_cloudwatch_metrics: bool = True

    def __post_init__(self) -> None:
        if self.name is not None and not Token.is_unresolved(self.name) and not _WORKGROUP_NAME.fullmatch(self.name):
            raise ConfigurationError(
                f"workgroup name must be 1-128 letters, digits, '.', '_' or '-', got {self.name!r}"
            )
        if self.encryption not in (None, "SSE_S3", "SSE_KMS"):
            raise ConfigurationError(f"workgroup encryption must be 'SSE_S3' or 'SSE_KMS', got {self.encryption!r}")
        if self.encryption == "SSE_S3" and self.kms_key is not None:
            raise ConfigurationError("workgroup kms_key is only used with encryption='SSE_KMS' (or None)")
        cutoff = self.bytes_scanned_cutoff.to_bytes(rounding=SizeRoundingBehavior.NONE)
        if not unresolved(cutoff) and cutoff < _MIN_CUTOFF_BYTES:
            raise ConfigurationError(
                f"bytes_scanned_cutoff must be at least {_MIN_CUTOFF_BYTES} bytes (10 MB, Athena's minimum), "
                f"got {cutoff:g} bytes"
            )
        if self.results_prefix and not unresolved(self.results_prefix) and not self.results_prefix.endswith("/"):
            raise ConfigurationError(f"results_prefix must end with '/', got {self.results_prefix!r}")


@dataclass(frozen=True, kw_only=True)
class QueryTable:
    """Options of the Glue table (and optional Athena workgroup) over the delivered data.

    Attributes:
        columns: data columns, name -> Glue type (``string``, ``int``, ``struct<a:int>``, ...). Default None:
            the ``FormatConversion.schema`` (required when there is no format conversion). Partition columns
            come from the data prefix and must not be repeated here.
        database_name: an existing Glue database. Default None: a database is created, named after the stack
            and construct path (see :func:`derived_glue_name`).
        table_name: default None: derived from the pipeline's construct id (lowercase, '_' separated).
        partition_values: ``enum`` projection values of partition columns, e.g. ``{"device_type": [...]}``.
            Default none: ``injected`` for partition keys (queries must filter them with ``=``/``IN``).
        projections: explicit :class:`~.partition_layout.Projection` per partition column
            (overrides everything). Default none.
        projection_start: first date of projected time partitions (``year`` range, ``date`` range).
            Default 2024-01-01.
        projection_end_year: last projected ``year``. Default 2099.
        json_key_mappings: JSON tables only: column -> JSON key for keys that are not valid column names
            (OpenX SerDe ``mapping.<column>``). Default none.
        workgroup: an Athena workgroup to create, see :class:`QueryWorkgroup`. Default None (no workgroup).
    """

    columns: Mapping[str, str] | None = None
    database_name: str | None = None
    table_name: str | None = None
    partition_values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    projections: Mapping[str, Projection] = field(default_factory=dict)
    projection_start: datetime.date = datetime.date(2024, 1, 1)
    projection_end_year: int = 2099
    json_key_mappings: Mapping[str, str] = field(default_factory=dict)
    workgroup: QueryWorkgroup | None = None

    def __post_init__(self) -> None:
        if self.columns is not None:
            check_schema(self.columns)
        if self.database_name is not None:
            check_glue_name("database_name", self.database_name)
        if self.table_name is not None:
            check_glue_name("table_name", self.table_name)


def table_layout(
    data_output_prefix: str,
    *,
    partition_projection: bool = True,
    partition_values: Mapping[str, Sequence[str]] | None = None,
    projections: Mapping[str, Projection] | None = None,
    projection_start: datetime.date = datetime.date(2024, 1, 1),
    projection_end_year: int = 2099,
) -> PartitionLayout:
    """The partition layout of a table over ``data_output_prefix`` (unpartitioned at its static directory)."""
    if partition_projection:
        return partition_layout(
            data_output_prefix,
            partition_values=partition_values,
            projections=projections,
            projection_start=projection_start,
            projection_end_year=projection_end_year,
        )
    directory = static_part(data_output_prefix).rpartition("/")[0]
    return PartitionLayout(directory + "/" if directory else "", tuple(filter(None, [directory])))


def check_table(layout: PartitionLayout, columns: Collection[str], excluded_prefixes: Sequence[str]) -> None:
    """A table's partition columns are not data columns, and its location holds no other prefix's objects."""
    duplicated = sorted(set(layout.column_names) & set(columns))
    if duplicated:
        raise ConfigurationError(
            f"partition column(s) {', '.join(duplicated)} of the data prefix are also data columns; a partition "
            "value lives in the S3 path, not in the record, and Athena rejects a column that is both: remove "
            "them from the columns/schema"
        )
    location_prefix = layout.table_location("bucket").removeprefix("s3://bucket/")
    for other in excluded_prefixes:
        if static_part(other).startswith(location_prefix):
            raise ConfigurationError(
                f"the table location {location_prefix or '(bucket root)'!r} contains the prefix {other!r}; "
                "Athena reads every object under the location, so failed or backed-up records would be read "
                "as data: give the data prefix its own static directory (e.g. 'data/...')"
            )


def workgroup_encryption(options: QueryWorkgroup, *, has_pipeline_key: bool) -> str:
    """The results encryption of a workgroup: SSE_KMS needs a key (the workgroup's or the pipeline's)."""
    has_key = options.kms_key is not None or has_pipeline_key
    encryption = options.encryption or ("SSE_KMS" if has_key else "SSE_S3")
    if encryption == "SSE_KMS" and not has_key:
        raise ConfigurationError(
            "workgroup encryption 'SSE_KMS' needs a key: pass QueryWorkgroup(kms_key=...) or give the pipeline "
            "an encryption key"
        )
    return encryption


def snake_name(text: str) -> str:
    """``WebLogs-Pipeline`` -> ``weblogs_pipeline`` (lowercase, runs of other characters become '_')."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def derived_glue_name(scope: Construct, *, include_stack: bool = True) -> str:
    """A readable Glue name from the stack name and the construct path, e.g. ``firehoses3weblogs_pipeline``.

    Glue database names are unique per account and Region, and so are stack names; names longer than 255
    characters are cut and suffixed with a hash of the path.
    """
    stack = Stack.of(scope)
    scopes = scope.node.scopes
    parts = [s.node.id for s in scopes[scopes.index(stack) + 1 :]]
    if include_stack and not Token.is_unresolved(stack.stack_name):
        parts.insert(0, stack.stack_name)
    name = "_".join(p for p in (snake_name(part) for part in parts) if p) or "firehose"
    if len(name) > 255:
        name = f"{name[:246]}_{Names.unique_id(scope)[-8:].lower()}"
    return name


class AthenaTable(Construct):
    """A Glue external table over Firehose output, partition-projected from the data prefix.

    Args:
        bucket: the bucket Firehose writes to.
        data_output_prefix: Firehose's data prefix; each segment must be static or ``name=!{...}``.
        columns: data columns, name -> Glue type. Partition columns must not be repeated here.
        format: ``json`` (JSON lines, plain or GZIP), ``parquet`` or ``orc``. Default ``json``.
        table_name: the table name (lowercase letters, digits, '_').
        database_name: an existing database; default None creates one named :func:`derived_glue_name`.
        create_database: create ``database_name`` instead of expecting it. Default: only when not given.
        compression: informational compression of the objects (``GZIP``, ``SNAPPY``, ...). Default None.
        partition_values, projections, projection_start, projection_end_year: see :class:`QueryTable`.
        json_key_mappings: JSON only: column -> JSON key (OpenX ``mapping.<column>``). Default none.
        partition_projection: False creates an unpartitioned table at the prefix's static part instead
            (used for a conversion schema table when the prefix cannot be projected). Default True.
        excluded_prefixes: other prefixes in the same bucket (error output, source backup); the table
            location must not contain them or Athena would read failed records as data (:func:`check_table`,
            which ``FirehoseToS3``'s ``config.resolve`` applies before anything is built). Default none.
        workgroup: create an Athena workgroup. Default None.
        encryption_key: key for SSE_KMS workgroup results (and a created results bucket). Default None.
        access_logging: how a created results bucket is access-logged (:class:`AccessLogging`). Default None
            (logged to ``access_logs_bucket``).
        access_logs_bucket: server access log bucket of a created results bucket. Default None (one is
            created when needed).
        removal_policy: removal policy of a created results bucket. Default RETAIN.

    Attributes:
        database: the created ``glue.CfnDatabase`` or None. ``database_name``: its name.
        table: the ``glue.CfnTable``. ``table_name``: its name. ``layout``: the parsed partition layout.
        workgroup: the ``athena.CfnWorkGroup`` or None. ``results_bucket``: the results bucket or None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: s3.IBucket,
        data_output_prefix: str,
        columns: Mapping[str, str],
        table_name: str,
        format: FormatName = "json",
        database_name: str | None = None,
        create_database: bool | None = None,
        compression: str | None = None,
        partition_values: Mapping[str, Sequence[str]] | None = None,
        projections: Mapping[str, Projection] | None = None,
        projection_start: datetime.date = datetime.date(2024, 1, 1),
        projection_end_year: int = 2099,
        json_key_mappings: Mapping[str, str] | None = None,
        partition_projection: bool = True,
        excluded_prefixes: Sequence[str] = (),
        workgroup: QueryWorkgroup | None = None,
        encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        access_logging: AccessLogging | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        if format not in TABLE_FORMATS:
            raise ConfigurationError(f"format must be one of {sorted(TABLE_FORMATS)}, got {format!r}")
        check_glue_name("table_name", table_name)
        data_columns = check_schema(columns)
        json_key_mappings = dict(json_key_mappings or {})
        if json_key_mappings and format != "json":
            raise ConfigurationError(
                "json_key_mappings apply to JSON tables only; for Parquet/ORC use the conversion's "
                "openx_column_to_json_key_mappings"
            )
        unknown = sorted(set(json_key_mappings) - set(data_columns))
        if unknown:
            raise ConfigurationError(f"json_key_mappings names {', '.join(unknown)}, which are not columns")

        self.layout = table_layout(
            data_output_prefix,
            partition_projection=partition_projection,
            partition_values=partition_values,
            projections=projections,
            projection_start=projection_start,
            projection_end_year=projection_end_year,
        )
        check_table(self.layout, data_columns, excluded_prefixes)
        location = self.layout.table_location(bucket.bucket_name)

        self.database: glue.CfnDatabase | None = None
        if database_name is None:
            database_name = derived_glue_name(self)
            create_database = True if create_database is None else create_database
        check_glue_name("database_name", database_name)
        self.database_name = database_name
        if create_database:
            self.database = glue.CfnDatabase(
                self,
                "Database",
                catalog_id=Aws.ACCOUNT_ID,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=database_name, description="Firehose delivered data (created by firehose-s3-constructs)"
                ),
            )

        table_format = TABLE_FORMATS[format]
        parameters = {"EXTERNAL": "TRUE", "classification": table_format.classification}
        if compression:
            parameters["compressionType" if format == "json" else f"{format}.compression"] = (
                compression.lower() if format == "json" else compression.upper()
            )
        if self.layout.columns:
            parameters["projection.enabled"] = "true"
            parameters["storage.location.template"] = self.layout.location_template(bucket.bucket_name)
            parameters.update(self.layout.table_parameters())
        serde_parameters = {"serialization.format": "1"}
        serde_parameters.update({f"mapping.{column}": key for column, key in json_key_mappings.items()})
        self.table_name = table_name
        self.table = glue.CfnTable(
            self,
            "Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=table_name,
                description=f"Firehose output under s3://<bucket>/{data_output_prefix} ({format})",
                table_type="EXTERNAL_TABLE",
                parameters=parameters,
                partition_keys=[
                    glue.CfnTable.ColumnProperty(name=c.name, type=c.column_type) for c in self.layout.columns
                ],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in data_columns.items()],
                    location=location,
                    input_format=table_format.input_format,
                    output_format=table_format.output_format,
                    compressed=compression is not None and compression.upper() not in ("UNCOMPRESSED", "NONE"),
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=table_format.serde, parameters=serde_parameters
                    ),
                    stored_as_sub_directories=False,
                ),
            ),
        )
        if self.database is not None:
            self.table.node.add_dependency(self.database)

        self.workgroup: athena.CfnWorkGroup | None = None
        self.results_bucket: s3.IBucket | None = None
        if workgroup is not None:
            self._add_workgroup(workgroup, encryption_key, access_logs_bucket, access_logging, removal_policy)

    @property
    def partition_columns(self) -> tuple[str, ...]:
        return self.layout.column_names

    def _add_workgroup(
        self,
        options: QueryWorkgroup,
        pipeline_key: kms.IKey | None,
        access_logs_bucket: s3.IBucket | None,
        access_logging: AccessLogging | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        key = options.kms_key or pipeline_key
        encryption = workgroup_encryption(options, has_pipeline_key=pipeline_key is not None)
        results = options.results_bucket
        if results is None:
            logging = access_logging or AccessLogging()
            logs: s3.IBucket | None = None
            if logging.enabled:
                logs = (
                    logging.bucket
                    or access_logs_bucket
                    or access_log_bucket(self, "ResultsAccessLogs", removal_policy=removal_policy)
                )
            results = SecureBucket(
                self,
                "Results",
                access_logs_bucket=logs,
                access_logs_prefix=logging.prefix + "athena-results-bucket/",
                logging_disabled_reason=logging.disabled_reason,
                encryption_key=key if encryption == "SSE_KMS" else None,
                removal_policy=removal_policy,
                lifecycle=BucketLifecycle(expiration=options.results_expiration),
            ).bucket
        self.results_bucket = results
        cutoff = options.bytes_scanned_cutoff.to_bytes(rounding=SizeRoundingBehavior.NONE)
        if not unresolved(cutoff):
            cutoff = int(cutoff)
        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=options.name or Names.unique_resource_name(self, max_length=128, separator="-"),
            description=f"Queries of Glue table {self.database_name}.{self.table_name}",
            recursive_delete_option=True,
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=options.enforce_configuration,
                publish_cloud_watch_metrics_enabled=options.publish_cloudwatch_metrics,
                bytes_scanned_cutoff_per_query=cutoff,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{results.bucket_name}/{options.results_prefix}",
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option=encryption,
                        kms_key=key.key_arn if encryption == "SSE_KMS" and key is not None else None,
                    ),
                ),
            ),
        )

"""``PipelineAnalytics``: the Glue/Athena resources of a ``FirehoseToS3`` that has an analytics option.

Built only when format conversion, dynamic partitioning or a query table is configured, from the resolved
configuration (:func:`firehose_s3_constructs.config.resolve` has already checked every rule): the conversion's
schema table (which is also the query table), or a JSON query table, and the props to pass to
``firehose.S3Bucket``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..delivery_role import DeliveryRole
from ..storage import AccessLogging
from .format_conversion import DataFormatConversion
from .partitioning import dynamic_partitioning_props
from .query_table import AthenaTable, derived_glue_name, snake_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config import ResolvedPipeline

__all__ = ["PipelineAnalytics"]


class PipelineAnalytics(Construct):
    """The analytics units of one pipeline.

    Args:
        config: the pipeline's resolved configuration.
        delivery_role, bucket: the pipeline's (Glue read statements are added to the role).
        excluded_prefixes: other prefixes in the bucket (error, source backup) the table must not cover.
        encryption_key, access_logs_bucket, access_logging: for a created Athena results bucket.

    Attributes:
        conversion: the :class:`DataFormatConversion`, or None.
        athena_table: the :class:`AthenaTable` (the conversion's schema table, or the JSON query table), or None.
        data_format_conversion: pass as ``data_format_conversion`` to ``firehose.S3Bucket``, or None.
        dynamic_partitioning: pass as ``dynamic_partitioning`` to ``firehose.S3Bucket``, or None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: ResolvedPipeline,
        delivery_role: DeliveryRole,
        bucket: s3.IBucket,
        excluded_prefixes: Sequence[str],
        encryption_key: kms.IKey | None,
        access_logs_bucket: s3.IBucket | None,
        access_logging: AccessLogging | None = None,
    ) -> None:
        super().__init__(scope, id)
        o = config.options
        # Names when the options give none: the table after the pipeline's id, the database after its path.
        table_name = snake_name(scope.node.id)
        database_name = derived_glue_name(scope)
        self.conversion: DataFormatConversion | None = None
        self.athena_table: AthenaTable | None = None
        self.data_format_conversion: firehose.DataFormatConversionProps | None = None
        if o.format_conversion is not None:
            self.conversion = DataFormatConversion(
                self,
                "FormatConversion",
                conversion=o.format_conversion,
                delivery_role=delivery_role,
                bucket=bucket,
                data_output_prefix=o.data_output_prefix,
                query=o.query_table,
                default_table_name=table_name,
                default_database_name=database_name,
                excluded_prefixes=excluded_prefixes,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                access_logging=access_logging,
                removal_policy=o.removal_policy,
            )
            self.data_format_conversion = self.conversion.props
            self.athena_table = self.conversion.athena_table
        elif o.query_table is not None:
            query = o.query_table
            assert query.columns is not None
            assert config.compression is not None
            json_compression = config.compression.value
            self.athena_table = AthenaTable(
                self,
                "QueryTable",
                bucket=bucket,
                data_output_prefix=o.data_output_prefix,
                columns=query.columns,
                format="json",
                table_name=query.table_name or table_name,
                database_name=query.database_name or database_name,
                create_database=True if query.database_name is None else None,
                compression=json_compression if json_compression == "GZIP" else None,
                partition_values=query.partition_values,
                projections=query.projections,
                projection_start=query.projection_start,
                projection_end_year=query.projection_end_year,
                json_key_mappings=query.json_key_mappings,
                excluded_prefixes=excluded_prefixes,
                workgroup=query.workgroup,
                encryption_key=encryption_key,
                access_logs_bucket=access_logs_bucket,
                access_logging=access_logging,
                removal_policy=o.removal_policy,
            )
        self.dynamic_partitioning: firehose.DynamicPartitioningProps | None = (
            dynamic_partitioning_props(o.dynamic_partitioning) if o.dynamic_partitioning is not None else None
        )

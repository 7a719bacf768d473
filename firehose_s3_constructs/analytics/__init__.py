"""Analytics options of a Firehose -> S3 pipeline: record format conversion, dynamic partitioning, query tables.

Modules: ``format_conversion`` (:class:`FormatConversion`, :class:`DataFormatConversion`), ``partitioning``
(:class:`DynamicPartitioning`, the processors it needs), ``glue_types`` (column types, table formats),
``partition_layout`` (partition projection from a prefix, :class:`Projection`), ``query_table``
(:class:`QueryTable`, :class:`QueryWorkgroup`, :class:`AthenaTable`), ``pipeline_analytics`` (what
``FirehoseToS3`` builds when one of these options is set). The rules that tie them to the rest of the pipeline
are in :mod:`firehose_s3_constructs.config`.
"""

from .format_conversion import GLUE_SCHEMA_ACTIONS, DataFormatConversion, FormatConversion, add_glue_table_statements
from .glue_types import check_schema, parse_glue_type
from .partition_layout import PartitionLayout, Projection, partition_layout
from .partitioning import DynamicPartitioning, dynamic_partitioning_props, event_time_projections
from .query_table import AthenaTable, QueryTable, QueryWorkgroup, derived_glue_name, snake_name

__all__ = [
    "GLUE_SCHEMA_ACTIONS",
    "AthenaTable",
    "DataFormatConversion",
    "DynamicPartitioning",
    "FormatConversion",
    "PartitionLayout",
    "Projection",
    "QueryTable",
    "QueryWorkgroup",
    "add_glue_table_statements",
    "check_schema",
    "derived_glue_name",
    "dynamic_partitioning_props",
    "event_time_projections",
    "parse_glue_type",
    "partition_layout",
    "snake_name",
]

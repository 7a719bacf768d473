"""PipelineAnalytics: what a pipeline with an analytics option builds from its resolved configuration, the rules
its tables check while they are built, and cdk-nag on the Glue and Athena resources.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from cdk_helpers import make_app, nag_findings, only, template_json
from cdk_helpers.analytics import HOURLY, IOT_PREFIX, IOT_SCHEMA, AnalyticsScaffold, build_iot, build_weblogs

from firehose_s3_constructs import ConfigurationError, DynamicPartitioning, FormatConversion, QueryTable, QueryWorkgroup
from firehose_s3_constructs.analytics import DataFormatConversion


def _try_pipeline(**analytics: Any) -> AnalyticsScaffold:
    return AnalyticsScaffold(cdk.Stack(make_app(), "Bad"), "P", **analytics)


def test_conversion_builds_the_schema_table_that_is_also_the_query_table(analytics_built: dict[str, Any]) -> None:
    analytics = analytics_built["iot"].analytics
    assert isinstance(analytics.conversion, DataFormatConversion)
    assert analytics.athena_table is analytics.conversion.athena_table
    assert analytics.athena_table is not None
    assert analytics.athena_table.table_name == "iot_readings"
    assert analytics.data_format_conversion is analytics.conversion.props
    assert analytics.dynamic_partitioning is not None
    assert analytics.dynamic_partitioning.enabled is True


def test_json_query_table_needs_no_conversion(analytics_built: dict[str, Any]) -> None:
    analytics = analytics_built["web"].analytics
    assert analytics.conversion is None
    assert analytics.data_format_conversion is None
    assert analytics.athena_table is not None
    assert analytics.athena_table.table_name == "access_logs"
    assert analytics.athena_table.database_name == "analytics_weblogs"  # derived from the stack and the pipeline


def test_partitioning_alone_creates_no_table(analytics_built: dict[str, Any]) -> None:
    analytics = analytics_built["plain"].analytics
    assert (analytics.conversion, analytics.athena_table, analytics.data_format_conversion) == (None, None, None)
    assert analytics.dynamic_partitioning is not None


# --- rules checked while the tables are built ------------------------------------------------------------
def test_partition_column_that_is_also_a_data_column_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"partition column\(s\) device_type .* also data columns"):
        _try_pipeline(
            data_prefix=IOT_PREFIX,
            format_conversion=FormatConversion(schema={**IOT_SCHEMA, "device_type": "string"}),
            dynamic_partitioning=DynamicPartitioning(jq_keys={"device_type": ".device_type"}),
            query_table=QueryTable(),
        )


def test_query_table_rejections() -> None:
    with pytest.raises(ConfigurationError, match="random-string"):
        _try_pipeline(data_prefix="!{firehose:random-string}/data/", query_table=QueryTable(columns={"a": "string"}))
    with pytest.raises(ConfigurationError, match="contains the prefix"):
        _try_pipeline(data_prefix="year=!{timestamp:yyyy}/", query_table=QueryTable(columns={"a": "string"}))
    with pytest.raises(ConfigurationError, match="SSE_KMS' needs a key"):
        _try_pipeline(
            data_prefix=HOURLY,
            query_table=QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup(encryption="SSE_KMS")),
        )


def test_conversion_without_query_tolerates_an_unprojectable_prefix() -> None:
    stack = cdk.Stack(make_app(), "Unprojectable")
    pipeline = AnalyticsScaffold(
        stack, "P", data_prefix="raw/!{timestamp:yyyy/MM/dd}/", format_conversion=FormatConversion(schema={"a": "int"})
    )
    assert pipeline.analytics.athena_table is not None
    assert pipeline.analytics.athena_table.partition_columns == ()
    table = only(template_json(stack), "AWS::Glue::Table")["Properties"]["TableInput"]
    assert "projection.enabled" not in table["Parameters"]
    assert table["StorageDescriptor"]["Location"]["Fn::Join"][1][-1] == "/raw/"


# --- cdk-nag --------------------------------------------------------------------------------------------
def test_glue_and_athena_resources_are_nag_clean() -> None:
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Nag")
    build_iot(stack)
    build_weblogs(stack)
    findings = nag_findings(app)
    # The packs ran (the bare test Lambda stand-in has findings); everything else, including the Glue
    # databases and tables, the Athena workgroups, their results buckets and the delivery roles, is clean.
    assert findings
    assert [f for f in findings if "/Transform/" not in f[1]] == []

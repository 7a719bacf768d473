"""Query tables: QueryTable/QueryWorkgroup options, the JSON table and workgroups as synthesized, AthenaTable
on its own, and the Glue names derived from construct paths.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Size
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app, nag_findings, resources_of
from cdk_helpers.analytics import HOURLY, WEB_COLUMNS, flat, glue_table
from constructs import Construct

from firehose_s3_constructs import ConfigurationError, QueryTable, QueryWorkgroup
from firehose_s3_constructs.analytics import AthenaTable, derived_glue_name, snake_name


def test_json_query_table_matches_the_prefix(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    table = flat(glue_table(template, "access_logs")["Properties"])
    bucket = next(k for k in resources_of(template, "AWS::S3::Bucket") if k.startswith("WebLogsBucket"))
    inputs = table["TableInput"]
    descriptor = inputs["StorageDescriptor"]
    assert descriptor["SerdeInfo"] == {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"serialization.format": "1", "mapping.user_agent": "user-agent"},
    }
    assert descriptor["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert descriptor["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    assert descriptor["Compressed"] is True
    assert [c["Name"] for c in descriptor["Columns"]] == list(WEB_COLUMNS)
    assert [(k["Name"], k["Type"]) for k in inputs["PartitionKeys"]] == [
        ("site", "string"),
        ("year", "int"),
        ("month", "int"),
        ("day", "int"),
        ("hour", "int"),
    ]
    parameters = inputs["Parameters"]
    assert parameters["compressionType"] == "gzip"
    assert parameters["classification"] == "json"
    assert parameters["storage.location.template"] == (
        f"s3://${{{bucket}}}/weblogs/site=${{site}}/year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/"
    )
    assert parameters["projection.site.type"] == "injected"
    assert parameters["projection.year.range"] == "2025,2099"
    assert parameters["projection.month.digits"] == "2"
    assert descriptor["Location"] == f"s3://${{{bucket}}}/weblogs/"


def test_workgroups_encrypt_results_and_cap_scans(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    groups = {
        g["Properties"]["Name"]: flat(g["Properties"])
        for g in resources_of(template, "AWS::Athena::WorkGroup").values()
    }
    web = groups["web-logs"]
    key = next(k for k in resources_of(template, "AWS::KMS::Key") if k.startswith("WebLogsKey"))
    configuration = web["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 1024 * 1024 * 1024
    assert configuration["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": f"${{{key}.Arn}}",
    }
    assert configuration["ResultConfiguration"]["OutputLocation"].endswith("/athena-results/")
    (iot,) = [g for name, g in groups.items() if name != "web-logs"]
    assert iot["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert iot["WorkGroupConfiguration"]["ResultConfiguration"]["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_S3"
    }


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"bytes_scanned_cutoff": Size.kibibytes(1)}, "at least 10000000 bytes"),
        ({"name": "web logs"}, "workgroup name must be 1-128"),
        ({"encryption": "CSE_KMS"}, "workgroup encryption must be 'SSE_S3' or 'SSE_KMS'"),
        ({"results_prefix": "results"}, "results_prefix must end with '/'"),
    ],
)
def test_workgroup_rejects_bad_options(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        QueryWorkgroup(**kwargs)


def test_query_table_checks_its_names_and_columns() -> None:
    with pytest.raises(ConfigurationError, match="table_name must be"):
        QueryTable(table_name="Access-Logs")
    with pytest.raises(ConfigurationError, match=r"column 'tags': invalid Glue type 'set<string>'"):
        QueryTable(columns={"tags": "set<string>"})


def test_athena_table_alone_creates_database_table_and_workgroup() -> None:
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Alone")
    table = AthenaTable(
        stack,
        "Query",
        bucket=s3.Bucket.from_bucket_name(stack, "Data", "my-data-bucket"),
        data_output_prefix=HOURLY,
        columns={"message": "string"},
        table_name="messages",
        workgroup=QueryWorkgroup(name="messages"),
    )
    assert table.database is not None
    assert table.workgroup is not None
    assert table.results_bucket is not None
    assert table.database_name == "alone_query"
    assert table.partition_columns == ("year", "month", "day", "hour")
    assert [f for f in nag_findings(app) if f[1].startswith("Alone/Query")] == []


def test_glue_names_from_construct_paths() -> None:
    assert snake_name("WebLogs-Pipeline") == "weblogs_pipeline"
    stack = cdk.Stack(make_app(), "FirehoseS3WebLogs")
    scope = Construct(Construct(stack, "Pipeline"), "Analytics")
    assert derived_glue_name(scope) == "firehoses3weblogs_pipeline_analytics"
    assert derived_glue_name(scope, include_stack=False) == "pipeline_analytics"
    deep = Construct(stack, "x" * 200)
    long_name = derived_glue_name(Construct(deep, "y" * 200))
    assert len(long_name) == 255
    assert long_name.startswith("firehoses3weblogs_xxx")

"""Format conversion: FormatConversion's options, and what DataFormatConversion renders and grants (the
conversion's destination-level rules are resolve's: test_config.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from cdk_helpers import resources_of
from cdk_helpers.analytics import IOT_SCHEMA, destination_of, flat, glue_table

from firehose_s3_constructs import ConfigurationError, FormatConversion
from firehose_s3_constructs.analytics import GLUE_SCHEMA_ACTIONS, DataFormatConversion


def test_format_conversion_defaults() -> None:
    options = FormatConversion(schema={"a": "string"})
    assert (options.output_format, options.input_format, options.compression) == ("PARQUET", "OPENX", "SNAPPY")
    assert options.openx_case_insensitive is True
    assert options.openx_convert_dots_to_underscores is False
    assert options.file_extension == ".parquet"
    assert FormatConversion(schema={"a": "string"}, output_format="ORC").file_extension == ".orc"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"schema": {"a": "string"}, "output_format": "AVRO"}, "output_format must be"),
        ({"schema": {"a": "string"}, "input_format": "CSV"}, "JSON input only"),
        ({"schema": {"a": "string"}, "compression": "ZLIB"}, "PARQUET output must be one of SNAPPY, GZIP"),
        ({"schema": {"a": "string"}, "output_format": "ORC", "compression": "GZIP"}, "ORC output must be one of"),
        (
            {"schema": {"a": "string"}, "input_format": "HIVE", "openx_case_insensitive": False},
            "input_format='OPENX' only",
        ),
        ({"schema": {"a": "string"}, "hive_timestamp_formats": ("millis",)}, "input_format='HIVE' only"),
        ({"schema": {"a": "string"}, "openx_column_to_json_key_mappings": {"b": "B"}}, "not schema columns"),
        ({}, "needs a schema"),
        ({"database_name": "db"}, "needs a schema"),
        ({"schema": {"a": "string"}, "database_name": "Bad-Name"}, "database_name must be"),
    ],
)
def test_format_conversion_rejects_bad_options(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        FormatConversion(**kwargs)


def test_unknown_glue_type_in_a_schema_fails_the_format_conversion() -> None:
    with pytest.raises(ConfigurationError, match=r"column 'tags': invalid Glue type 'set<string>'"):
        FormatConversion(schema={"id": "string", "tags": "set<string>"})
    with pytest.raises(ConfigurationError, match="column name 'Device-Id' must be"):
        FormatConversion(schema={"Device-Id": "string"})


# --- synthesized (the analytics stack of analytics/conftest.py) -----------------------------------------
def test_conversion_renders_in_the_delivery_stream(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    destination = destination_of(template, "IoTStream")
    conversion = flat(destination["DataFormatConversionConfiguration"])
    table_id = next(k for k in resources_of(template, "AWS::Glue::Table") if k.startswith("IoTAnalytics"))
    role_id = next(k for k in resources_of(template, "AWS::IAM::Role") if k.startswith("IoTDeliveryRole"))
    assert conversion == {
        "Enabled": True,
        "InputFormatConfiguration": {
            "Deserializer": {"OpenXJsonSerDe": {"CaseInsensitive": True, "ConvertDotsInJsonKeysToUnderscores": False}}
        },
        "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}},
        "SchemaConfiguration": {
            "CatalogId": "${AWS::AccountId}",
            "DatabaseName": "analytics_iot",
            "Region": "${AWS::Region}",
            "RoleARN": f"${{{role_id}.Arn}}",
            "TableName": f"${{{table_id}}}",
            "VersionId": "LATEST",
        },
    }
    assert "CompressionFormat" not in destination
    assert destination["BufferingHints"] == {"IntervalInSeconds": 300, "SizeInMBs": 128}


def test_conversion_table_is_query_ready_parquet(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    table = flat(glue_table(template, "iot_readings")["Properties"])
    bucket = next(k for k in resources_of(template, "AWS::S3::Bucket") if k.startswith("IoTBucket"))
    inputs = table["TableInput"]
    descriptor = inputs["StorageDescriptor"]
    assert table["DatabaseName"] == "analytics_iot"
    assert inputs["TableType"] == "EXTERNAL_TABLE"
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert descriptor["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert descriptor["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == list(IOT_SCHEMA.items())
    assert inputs["PartitionKeys"] == [{"Name": "device_type", "Type": "string"}, {"Name": "dt", "Type": "string"}]
    assert descriptor["Location"] == f"s3://${{{bucket}}}/iot/"
    assert inputs["Parameters"] == {
        "EXTERNAL": "TRUE",
        "classification": "parquet",
        "parquet.compression": "SNAPPY",
        "projection.enabled": "true",
        "storage.location.template": f"s3://${{{bucket}}}/iot/device_type=${{device_type}}/dt=${{dt}}/",
        "projection.device_type.type": "enum",
        "projection.device_type.values": "thermostat,air_quality",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2024-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    databases = [
        d["Properties"]["DatabaseInput"]["Name"] for d in resources_of(template, "AWS::Glue::Database").values()
    ]
    assert "analytics_iot" in databases


def test_delivery_role_gets_exactly_the_glue_read_actions(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    glue_statements = [
        flat(s)
        for policy in resources_of(template, "AWS::IAM::ManagedPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("glue:") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    ]
    arn = "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}"
    cfn_table = next(k for k in resources_of(template, "AWS::Glue::Table") if k.startswith("ExistingOwnTable"))
    expected_resources = {
        ("analytics_iot", "iot_readings"),
        ("analytics", "sensor_readings"),
        ("shared", f"${{{cfn_table}}}"),
    }
    found = set()
    for s in glue_statements:
        assert s["Sid"] == "ReadConversionSchema"
        assert s["Effect"] == "Allow"
        assert s["Action"] == list(GLUE_SCHEMA_ACTIONS)
        catalog, database, table = s["Resource"]
        assert catalog == f"{arn}:catalog"
        db = database.removeprefix(f"{arn}:database/")
        assert table == f"{arn}:table/{db}/" + table.rpartition("/")[2]
        found.add((db, table.rpartition("/")[2]))
    assert found == expected_resources
    assert GLUE_SCHEMA_ACTIONS == ("glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions")


def test_existing_tables_by_name_and_by_cfn_table(analytics_template: dict[str, Any]) -> None:
    template = analytics_template
    by_name = flat(destination_of(template, "ExistingByNameStream")["DataFormatConversionConfiguration"])
    assert by_name["SchemaConfiguration"]["DatabaseName"] == "analytics"
    assert by_name["SchemaConfiguration"]["TableName"] == "sensor_readings"
    assert by_name["SchemaConfiguration"]["VersionId"] == "LATEST"
    assert by_name["InputFormatConfiguration"] == {
        "Deserializer": {"HiveJsonSerDe": {"TimestampFormats": ["millis", "yyyy-MM-dd'T'HH:mm:ss"]}}
    }
    assert by_name["OutputFormatConfiguration"] == {"Serializer": {"OrcSerDe": {"Compression": "ZLIB"}}}
    from_cfn = flat(destination_of(template, "ExistingFromCfnStream")["DataFormatConversionConfiguration"])
    assert from_cfn["SchemaConfiguration"]["DatabaseName"] == "shared"
    # No Glue table or database is created for tables the library does not own.
    owned = [k for k in resources_of(template, "AWS::Glue::Table") if k.startswith("Existing")]
    assert len(owned) == 1  # the app's own glue.CfnTable


def test_existing_tables_create_no_athena_table(analytics_built: dict[str, Any]) -> None:
    by_name, from_cfn = analytics_built["existing"]
    assert isinstance(by_name, DataFormatConversion)
    assert (by_name.athena_table, by_name.table) == (None, None)
    assert (by_name.database_name, by_name.table_name) == ("analytics", "sensor_readings")
    assert from_cfn.athena_table is None
    assert from_cfn.table is not None
    assert from_cfn.database_name == "shared"
    iot_conversion = analytics_built["iot"].analytics.conversion
    assert iot_conversion is not None
    assert iot_conversion.athena_table is analytics_built["iot"].analytics.athena_table
    assert iot_conversion.table is iot_conversion.athena_table.table


def test_an_existing_table_in_another_catalog_region_and_version() -> None:
    import aws_cdk as cdk
    from cdk_helpers import make_app, only, template_json

    from firehose_s3_constructs import FirehoseToS3

    stack = cdk.Stack(make_app(), "Test")
    conversion = FormatConversion(
        database_name="shared", table_name="events", catalog_id="123456789012", region="eu-west-1", version_id="7"
    )
    FirehoseToS3(stack, "P", format_conversion=conversion)
    template = template_json(stack)
    destination = only(template, "AWS::KinesisFirehose::DeliveryStream")["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    schema = destination["DataFormatConversionConfiguration"]["SchemaConfiguration"]
    assert {k: schema[k] for k in ("CatalogId", "DatabaseName", "TableName", "Region", "VersionId")} == {
        "CatalogId": "123456789012",
        "DatabaseName": "shared",
        "TableName": "events",
        "Region": "eu-west-1",
        "VersionId": "7",
    }
    policy = next(
        v for k, v in resources_of(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("PDeliveryRole")
    )
    glue = next(s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Sid"] == "ReadConversionSchema")
    rendered = str(glue["Resource"])
    assert "123456789012" in rendered
    assert "eu-west-1" in rendered
    assert ":table/shared/events" in "".join(str(part) for part in glue["Resource"][2]["Fn::Join"][1])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"schema": {"a": "string"}, "region": "eu-west-1"}, "catalog_id, region and version_id describe an existing"),
        ({"database_name": "d", "table_name": "t", "catalog_id": "12345"}, "catalog_id must be a 12-digit account id"),
        ({"database_name": "d", "table_name": "t", "version_id": "latest"}, "version_id must be 'LATEST' or a version"),
    ],
)
def test_existing_table_settings_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        FormatConversion(**options)

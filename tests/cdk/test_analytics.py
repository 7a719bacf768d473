"""Format conversion, dynamic partitioning, query tables, the format benchmark and the agent examples."""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_helpers import ROOT, make_app, nag_findings, only, resources_of, template_json
from constructs import Construct

from firehose_s3_constructs.analytics import (
    GLUE_SCHEMA_ACTIONS,
    DataFormatConversion,
    DynamicPartitioning,
    FormatConversion,
    PipelineAnalytics,
    Projection,
    QueryTable,
    QueryWorkgroup,
    check_analytics_buffering,
    check_conversion_compression,
    event_time_projections,
    parse_glue_type,
    partition_layout,
    partitioning_processors,
    transform_partition_keys,
    validate_partitioning,
)
from firehose_s3_constructs.athena import AthenaTable
from firehose_s3_constructs.compliance import acknowledge
from firehose_s3_constructs.delivery_role import DeliveryRole
from firehose_s3_constructs.storage import SecureBucket, access_log_bucket
from firehose_s3_constructs.validation import ConfigurationError

HOURLY = "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
ERRORS = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
IOT_PREFIX = "iot/device_type=!{partitionKeyFromQuery:device_type}/dt=!{timestamp:yyyy-MM-dd}/"
IOT_SCHEMA = {
    "device_id": "string",
    "ts": "timestamp",
    "temperature": "double",
    "humidity": "double",
    "battery": "int",
    "firmware": "string",
    "location": "struct<lat:double,lon:double>",
    "readings": "map<string,double>",
    "price": "decimal(10,2)",
}
WEB_PREFIX = (
    "weblogs/site=!{partitionKeyFromQuery:site}/year=!{partitionKeyFromLambda:year}/"
    "month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/hour=!{partitionKeyFromLambda:hour}/"
)
WEB_COLUMNS = {
    "ts": "string",
    "host": "string",
    "ip": "string",
    "method": "string",
    "path": "string",
    "status": "int",
    "bytes": "bigint",
    "referrer": "string",
    "user_agent": "string",
    "email": "string",
}


# --- helpers -----------------------------------------------------------------------------------------


def flat(value: Any) -> Any:
    """Render Fn::Join/Ref/GetAtt as one string (``${Logical}``), so ARNs and templates compare as text."""
    if isinstance(value, dict):
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(flat(p)) for p in parts)
        if "Ref" in value:
            return f"${{{value['Ref']}}}"
        if "Fn::GetAtt" in value:
            return f"${{{'.'.join(value['Fn::GetAtt'])}}}"
        return {k: flat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [flat(v) for v in value]
    return value


def destination_of(template: dict[str, Any], stream_id: str) -> dict[str, Any]:
    streams = resources_of(template, "AWS::KinesisFirehose::DeliveryStream")
    (config,) = [v for k, v in streams.items() if k.startswith(stream_id)]
    result: dict[str, Any] = config["Properties"]["ExtendedS3DestinationConfiguration"]
    return result


def glue_table(template: dict[str, Any], name: str) -> dict[str, Any]:
    tables = [
        t for t in resources_of(template, "AWS::Glue::Table").values() if t["Properties"]["TableInput"]["Name"] == name
    ]
    assert len(tables) == 1, f"expected one Glue table {name}"
    return tables[0]


class Pipeline:
    """The pieces FirehoseToS3 wires, built the way the lead wires PipelineAnalytics into it."""

    def __init__(
        self,
        stack: cdk.Stack,
        id: str,
        *,
        data_prefix: str,
        with_transform: bool = False,
        with_key: bool = False,
        file_extension: str | None = None,
        buffering_interval: Duration = Duration.seconds(300),
        **analytics: Any,
    ) -> None:
        self.scope = Construct(stack, id)
        logs = access_log_bucket(self.scope, "AccessLogs", removal_policy=cdk.RemovalPolicy.DESTROY)
        self.key = kms.Key(self.scope, "Key", enable_key_rotation=True) if with_key else None
        self.bucket = SecureBucket(self.scope, "Bucket", access_logs_bucket=logs, access_logs_prefix="data/").bucket
        self.role = DeliveryRole(self.scope, "DeliveryRole")
        self.role.add_s3_destination(self.bucket, [data_prefix, ERRORS], sid="Delivery")
        processor: firehose.IDataProcessor | None = None
        if with_transform:
            function = lambda_.Function(
                self.scope,
                "Transform",
                runtime=lambda_.Runtime.PYTHON_3_12,
                handler="index.handler",
                code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
            )
            self.role.add_lambda_processor(function)
            processor = firehose.LambdaFunctionProcessor(function)
        self.analytics = PipelineAnalytics(
            self.scope,
            "Analytics",
            delivery_role=self.role,
            bucket=self.bucket,
            data_output_prefix=data_prefix,
            error_output_prefix=ERRORS,
            buffering_interval=buffering_interval,
            lambda_processor=processor,
            file_extension=file_extension,
            excluded_prefixes=[ERRORS],
            encryption_key=self.key,
            access_logs_bucket=logs,
            **analytics,
        )
        destination = firehose.S3Bucket(
            self.bucket,
            role=self.role.role.without_policy_updates(),
            data_output_prefix=data_prefix,
            error_output_prefix=ERRORS,
            buffering_size=self.analytics.buffering_size,
            buffering_interval=buffering_interval,
            compression=self.analytics.compression,
            file_extension=file_extension,
            processors=self.analytics.processors or None,
            data_format_conversion=self.analytics.data_format_conversion,
            dynamic_partitioning=self.analytics.dynamic_partitioning,
        )
        self.stream = firehose.DeliveryStream(self.scope, "Stream", destination=destination)
        # Findings of the bare L2 stream used here (FirehoseToS3 handles them), not of this module.
        reason = "Test scaffold: FirehoseToS3 configures stream encryption and its log group."
        acknowledge(
            self.stream,
            {
                "AwsSolutions-KDF1": reason,
                "HIPAA.Security-CloudWatchLogGroupEncrypted": reason,
                "NIST.800.53.R5-CloudWatchLogGroupEncrypted": reason,
                "PCI.DSS.321-CloudWatchLogGroupEncrypted": reason,
            },
        )


def build_iot(stack: cdk.Stack) -> Pipeline:
    """IoT: JQ partitioning by device type + Parquet conversion + enum projection + workgroup (SSE-S3)."""
    return Pipeline(
        stack,
        "IoT",
        data_prefix=IOT_PREFIX,
        format_conversion=FormatConversion(schema=IOT_SCHEMA),
        dynamic_partitioning=DynamicPartitioning(jq_keys={"device_type": ".device_type"}),
        query_table=QueryTable(
            table_name="iot_readings",
            partition_values={"device_type": ["thermostat", "air_quality"]},
            workgroup=QueryWorkgroup(),
        ),
    )


def build_weblogs(stack: cdk.Stack) -> Pipeline:
    """Web logs: JSON de-aggregation + transform (event-time keys) + a JQ key + GZIP JSON table + KMS workgroup."""
    return Pipeline(
        stack,
        "WebLogs",
        data_prefix=WEB_PREFIX,
        with_transform=True,
        with_key=True,
        file_extension=".json.gz",
        buffering_interval=Duration.seconds(120),
        dynamic_partitioning=DynamicPartitioning(
            jq_keys={"site": ".host"}, lambda_keys=["year", "month", "day", "hour"], deaggregation="JSON"
        ),
        query_table=QueryTable(
            columns=WEB_COLUMNS,
            table_name="access_logs",
            projections=event_time_projections(first_year=2025),
            json_key_mappings={"user_agent": "user-agent"},
            workgroup=QueryWorkgroup(name="web-logs", bytes_scanned_cutoff=Size.mebibytes(1024)),
        ),
        lambda_keys=transform_partition_keys(["country"], "ts"),
    )


def build_plain_partitioning(stack: cdk.Stack) -> Pipeline:
    """No Lambda, no conversion: DELIMITED de-aggregation + JQ, so the delimiter processor is added."""
    return Pipeline(
        stack,
        "Plain",
        data_prefix="events/tenant=!{partitionKeyFromQuery:tenant}/",
        dynamic_partitioning=DynamicPartitioning(
            jq_keys={"tenant": ".tenant_id"}, deaggregation="DELIMITED", delimiter="####"
        ),
    )


def build_existing_tables(stack: cdk.Stack) -> tuple[DataFormatConversion, DataFormatConversion]:
    """Conversion against tables the library does not create: by names, and an app-defined glue.CfnTable."""
    scope = Construct(stack, "Existing")
    bucket = s3.Bucket(scope, "Bucket")
    role = DeliveryRole(scope, "ByNameRole")
    by_name = DataFormatConversion(
        scope,
        "ByName",
        conversion=FormatConversion(
            output_format="ORC",
            compression="ZLIB",
            input_format="HIVE",
            hive_timestamp_formats=("millis", "yyyy-MM-dd'T'HH:mm:ss"),
            database_name="analytics",
            table_name="sensor_readings",
        ),
        delivery_role=role,
        bucket=bucket,
        data_output_prefix="raw/",
    )
    table = glue.CfnTable(
        scope,
        "OwnTable",
        catalog_id=cdk.Aws.ACCOUNT_ID,
        database_name="shared",
        table_input=glue.CfnTable.TableInputProperty(
            name="own",
            storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                columns=[glue.CfnTable.ColumnProperty(name="a", type="string")]
            ),
        ),
    )
    cfn_role = DeliveryRole(scope, "CfnTableRole")
    from_cfn = DataFormatConversion(
        scope,
        "FromCfnTable",
        conversion=FormatConversion(existing_table=table, openx_column_to_json_key_mappings={}),
        delivery_role=cfn_role,
        bucket=bucket,
        data_output_prefix="raw2/",
    )
    for name, conversion, conversion_role in (("ByName", by_name, role), ("FromCfn", from_cfn, cfn_role)):
        destination = firehose.S3Bucket(
            bucket,
            role=conversion_role.role.without_policy_updates(),
            data_output_prefix=f"{name.lower()}/",
            buffering_size=conversion.buffering_size,
            data_format_conversion=conversion.props,
        )
        firehose.DeliveryStream(scope, f"{name}Stream", destination=destination)
    return by_name, from_cfn


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = make_app()
    stack = cdk.Stack(app, "Analytics")
    built: dict[str, Any] = {
        "iot": build_iot(stack),
        "web": build_weblogs(stack),
        "plain": build_plain_partitioning(stack),
        "existing": build_existing_tables(stack),
    }
    built["template"] = template_json(stack)
    return built


@pytest.fixture(scope="module")
def template(synthesized: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = synthesized["template"]
    return result


# --- Glue column types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("string", "string"),
        ("BIGINT", "bigint"),
        ("timestamp", "timestamp"),
        ("decimal", "decimal(10,0)"),
        ("decimal(38, 9)", "decimal(38,9)"),
        ("varchar(64)", "varchar(64)"),
        ("array<struct<k:string, v:array<int>>>", "array<struct<k:string,v:array<int>>>"),
        ("map<string, map<int,boolean>>", "map<string,map<int,boolean>>"),
        (" STRUCT < lat : double , lon : double > ", "struct<lat:double,lon:double>"),
    ],
)
def test_glue_types_are_parsed_to_their_canonical_spelling(given: str, canonical: str) -> None:
    assert parse_glue_type("c", given) == canonical


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("set<string>", "set<...> is not supported.*use array"),
        ("array<set<int>>", "set<...> is not supported"),
        ("integer", "unknown type 'integer'.*did you mean 'int'"),
        ("strin", "unknown type 'strin'"),
        ("struct<a:int", "unexpected end of type"),
        ("struct<a int>", "expected ':'"),
        ("struct<a:int,a:string>", "'a' appears twice"),
        ("map<array<int>,string>", "map keys must be a primitive"),
        ("decimal(39,2)", "precision must be between 1 and 38"),
        ("decimal(5,6)", "scale must be between 0 and the precision"),
        ("varchar", "varchar needs a length"),
        ("int int", "after a complete type"),
        ("uniontype<int,string>", "uniontype is not supported"),
        ("", "non-empty"),
    ],
)
def test_bad_glue_types_name_the_column_and_the_type(given: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=f"column 'payload'.*{reason}"):
        parse_glue_type("payload", given)


def test_unknown_glue_type_in_a_schema_fails_the_format_conversion() -> None:
    with pytest.raises(ConfigurationError, match=r"column 'tags': invalid Glue type 'set<string>'"):
        FormatConversion(schema={"id": "string", "tags": "set<string>"})
    with pytest.raises(ConfigurationError, match="column name 'Device-Id' must be"):
        FormatConversion(schema={"Device-Id": "string"})


# --- partition layout and projection ------------------------------------------------------------------------


def test_hourly_timestamp_prefix_projects_integer_partitions() -> None:
    layout = partition_layout(HOURLY)
    assert layout.column_names == ("year", "month", "day", "hour")
    assert layout.location_template("B") == "s3://B/data/year=${year}/month=${month}/day=${day}/hour=${hour}/"
    assert layout.table_location("B") == "s3://B/data/"
    assert layout.table_parameters() == {
        "projection.year.type": "integer",
        "projection.year.range": "2024,2099",
        "projection.month.type": "integer",
        "projection.month.range": "1,12",
        "projection.month.digits": "2",
        "projection.day.type": "integer",
        "projection.day.range": "1,31",
        "projection.day.digits": "2",
        "projection.hour.type": "integer",
        "projection.hour.range": "0,23",
        "projection.hour.digits": "2",
    }
    assert {c.column_type for c in layout.columns} == {"int"}


def test_partition_keys_are_injected_or_enum_and_combined_dates_use_date_projection() -> None:
    layout = partition_layout(IOT_PREFIX, partition_values={"device_type": ["a", "b"]})
    assert layout.location_template("B") == "s3://B/iot/device_type=${device_type}/dt=${dt}/"
    assert layout.table_parameters() == {
        "projection.device_type.type": "enum",
        "projection.device_type.values": "a,b",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2024-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    injected = partition_layout("x/k=!{partitionKeyFromLambda:k}/static/h=!{timestamp:yyyyMMddHH}/")
    assert injected.location_template("B") == "s3://B/x/k=${k}/static/h=${h}/"
    assert injected.table_parameters()["projection.k.type"] == "injected"
    assert injected.table_parameters()["projection.h.range"] == "2024010100,NOW"
    assert injected.table_parameters()["projection.h.interval.unit"] == "HOURS"


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("data/!{timestamp:yyyy/MM/dd}/", "spans several path segments.*one key per segment"),
        ("data/!{timestamp:yyyy}/", "segment '!{timestamp:yyyy}' cannot be projected.*one Hive-style key"),
        ("data/ym=!{timestamp:yyyy}-!{timestamp:MM}/", "cannot be projected"),
        ("!{firehose:random-string}/year=!{timestamp:yyyy}/", "random-string.*projection impossible"),
        ("data/year=!{timestamp:yyyy}", "must end with '/'"),
        ("data//year=!{timestamp:yyyy}/", "empty path segment"),
        ("data/Year=!{timestamp:yyyy}/", "lowercase"),
        ("data/y=!{timestamp:yyyy}/y=!{timestamp:MM}/", "appears twice"),
        ("data/m=!{timestamp:mm}/", "timestamp format 'mm' cannot be projected"),
    ],
)
def test_prefixes_that_cannot_be_projected_are_rejected(prefix: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        partition_layout(prefix)


def test_projection_options_must_name_prefix_columns() -> None:
    with pytest.raises(ConfigurationError, match="partition_values names region"):
        partition_layout(HOURLY, partition_values={"region": ["eu"]})
    with pytest.raises(ConfigurationError, match="no ',' or '/'"):
        Projection.enum(["a,b"])


# --- format conversion rules -------------------------------------------------------------------------------


def test_format_conversion_defaults() -> None:
    options = FormatConversion(schema={"a": "string"})
    assert (options.output_format, options.input_format, options.compression) == ("PARQUET", "OPENX", "SNAPPY")
    assert options.openx_case_insensitive is True
    assert options.openx_convert_dots_to_underscores is False
    assert options.file_extension == ".parquet"


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


def test_conversion_refuses_s3_level_compression() -> None:
    check_conversion_compression(None)
    check_conversion_compression(firehose.Compression.UNCOMPRESSED)
    with pytest.raises(ConfigurationError, match=r"compression must be UNCOMPRESSED.*got GZIP"):
        check_conversion_compression(firehose.Compression.GZIP)
    app = make_app()
    stack = cdk.Stack(app, "Compression")
    with pytest.raises(ConfigurationError, match="got Snappy"):
        DataFormatConversion(
            stack,
            "Conversion",
            conversion=FormatConversion(schema={"a": "string"}),
            delivery_role=DeliveryRole(stack, "Role"),
            bucket=s3.Bucket(stack, "Bucket"),
            data_output_prefix="d/",
            compression=firehose.Compression.SNAPPY,
        )


def test_buffering_minimums_and_defaults() -> None:
    five_minutes = Duration.seconds(300)
    assert check_analytics_buffering(None, five_minutes, conversion=True, partitioning=False).to_mebibytes() == 128
    assert check_analytics_buffering(None, five_minutes, conversion=False, partitioning=False).to_mebibytes() == 5
    with pytest.raises(ConfigurationError, match="between 64 and 128 MiB \\(AWS minimum with format conversion\\)"):
        check_analytics_buffering(Size.mebibytes(32), five_minutes, conversion=True, partitioning=False)
    with pytest.raises(ConfigurationError, match=r"between 60 and 900 seconds.*dynamic partitioning"):
        check_analytics_buffering(Size.mebibytes(64), Duration.seconds(30), conversion=False, partitioning=True)


# --- dynamic partitioning rules --------------------------------------------------------------------------------

_DP_OK: dict[str, Any] = {
    "data_output_prefix": "d/site=!{partitionKeyFromQuery:site}/year=!{partitionKeyFromLambda:year}/",
    "error_output_prefix": ERRORS,
    "buffering_size": None,
    "buffering_interval": Duration.seconds(300),
    "has_lambda": True,
    "lambda_keys": {"year", "month"},
}


@pytest.mark.parametrize(
    ("partitioning", "overrides", "reason"),
    [
        ({}, {}, "partitionKeyFromQuery key\\(s\\) site that no JQ expression produces"),
        (
            {"jq_keys": {"site": ".host", "zone": ".zone"}},
            {},
            "jq_keys zone are never used in data_output_prefix",
        ),
        ({"jq_keys": {"site": ".host"}}, {"lambda_keys": {"month"}}, "year are not produced by the transform"),
        ({"jq_keys": {"site": ".host"}}, {"has_lambda": False, "lambda_keys": None}, "no transform Lambda runs"),
        (
            {"jq_keys": {"site": ".host"}, "lambda_keys": ["year", "month"]},
            {},
            "lambda_keys month are never used",
        ),
        ({"jq_keys": {"site": ".host"}}, {"error_output_prefix": None}, "error_output_prefix is required"),
        ({"jq_keys": {"site": ".host"}}, {"buffering_size": Size.mebibytes(16)}, "between 64 and 128 MiB"),
        ({"jq_keys": {"site": ".host"}}, {"buffering_interval": Duration.seconds(0)}, "between 60 and 900"),
        ({}, {"data_output_prefix": "d/!{timestamp:yyyy}/"}, "at least one !{partitionKeyFromQuery:key}"),
        (
            {"jq_keys": {"site": ".hots"}},
            {"schema_columns": ["host", "ts"]},
            "reads .hots, which is neither a schema column nor a partition key",
        ),
    ],
)
def test_partitioning_mismatches_fail_at_synth(
    partitioning: dict[str, Any], overrides: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        validate_partitioning(DynamicPartitioning(**partitioning), **{**_DP_OK, **overrides})


def test_partitioning_trusts_an_unknown_user_function_and_accepts_schema_fields() -> None:
    validate_partitioning(
        DynamicPartitioning(jq_keys={"site": ".host | ascii_downcase"}),
        **{**_DP_OK, "lambda_keys": None, "schema_columns": ["host"]},
    )
    assert transform_partition_keys(["country"], "ts") == {"country", "year", "month", "day", "hour"}
    assert transform_partition_keys(["country"], None) == {"country"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"deaggregation": "DELIMITED"}, "needs a delimiter"),
        ({"delimiter": "##"}, "only used with deaggregation='DELIMITED'"),
        ({"deaggregation": "CSV"}, "deaggregation must be"),
        ({"jq_keys": {f"k{i}": ".a" for i in range(51)}}, "at most 50 keys"),
        ({"jq_keys": {"k": " "}}, "must be a JQ expression"),
        ({"jq_keys": {"bad key": ".a"}}, "letters, digits"),
        ({"lambda_keys": "year"}, "list of key names"),
        ({"retry_duration": Duration.hours(3)}, "between 0 and 7200 seconds"),
    ],
)
def test_dynamic_partitioning_rejects_bad_options(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        DynamicPartitioning(**kwargs)


def test_processors_follow_firehose_order_and_the_delimiter_is_automatic() -> None:
    lambda_processor = firehose.AppendDelimiterToRecordProcessor()  # any IDataProcessor stands in here
    partitioning = DynamicPartitioning(jq_keys={"k": ".k"}, deaggregation="JSON", append_delimiter=True)
    kinds = [type(p).__name__ for p in partitioning_processors(partitioning, lambda_processor=lambda_processor)]
    assert kinds == [
        "RecordDeAggregationProcessor",
        "AppendDelimiterToRecordProcessor",  # the stand-in Lambda
        "MetadataExtractionProcessor",
        "AppendDelimiterToRecordProcessor",
    ]
    automatic = DynamicPartitioning(jq_keys={"k": ".k"})
    assert [type(p).__name__ for p in partitioning_processors(automatic)] == [
        "MetadataExtractionProcessor",
        "AppendDelimiterToRecordProcessor",
    ]
    assert len(partitioning_processors(automatic, lambda_processor=lambda_processor)) == 2  # Lambda adds newlines
    assert [type(p).__name__ for p in partitioning_processors(automatic, format_conversion=True)] == [
        "MetadataExtractionProcessor"
    ]
    assert partitioning_processors(None, lambda_processor=lambda_processor) == [lambda_processor]
    assert partitioning_processors(None) == []


# --- synthesized: format conversion ------------------------------------------------------------------------


def test_conversion_renders_in_the_delivery_stream(template: dict[str, Any]) -> None:
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


def test_conversion_table_is_query_ready_parquet(template: dict[str, Any]) -> None:
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


def test_delivery_role_gets_exactly_the_glue_read_actions(template: dict[str, Any]) -> None:
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


def test_existing_tables_by_name_and_by_cfn_table(template: dict[str, Any]) -> None:
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


# --- synthesized: dynamic partitioning and JSON query table ----------------------------------------------------


def test_web_log_processors_and_partitioning_configuration(template: dict[str, Any]) -> None:
    destination = flat(destination_of(template, "WebLogsStream"))
    processors = destination["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["RecordDeAggregation", "Lambda", "MetadataExtraction"]
    assert processors[0]["Parameters"] == [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]
    assert processors[2]["Parameters"] == [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": '{"site":.host}'},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
    ]
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": 300},
    }
    assert destination["BufferingHints"] == {"IntervalInSeconds": 120, "SizeInMBs": 128}
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["Prefix"] == WEB_PREFIX


def test_plain_partitioning_adds_delimiter_after_extraction(template: dict[str, Any]) -> None:
    processors = destination_of(template, "PlainStream")["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["RecordDeAggregation", "MetadataExtraction", "AppendDelimiterToRecord"]
    assert processors[0]["Parameters"] == [
        {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
        {"ParameterName": "Delimiter", "ParameterValue": base64.b64encode(b"####").decode()},
    ]


def test_json_query_table_matches_the_prefix(template: dict[str, Any]) -> None:
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


def test_workgroups_encrypt_results_and_cap_scans(template: dict[str, Any]) -> None:
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


# --- pipeline-level bad input ---------------------------------------------------------------------------------


def _try_pipeline(**analytics: Any) -> None:
    app = make_app()
    stack = cdk.Stack(app, "Bad")
    Pipeline(stack, "P", **analytics)


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
    with pytest.raises(ConfigurationError, match=r"QueryTable\.columns is required"):
        _try_pipeline(data_prefix=HOURLY, query_table=QueryTable())
    with pytest.raises(ConfigurationError, match="contains the prefix"):
        _try_pipeline(data_prefix="year=!{timestamp:yyyy}/", query_table=QueryTable(columns={"a": "string"}))
    with pytest.raises(ConfigurationError, match="needs GZIP or UNCOMPRESSED"):
        _try_pipeline(
            data_prefix=HOURLY, compression=firehose.Compression.ZIP, query_table=QueryTable(columns={"a": "string"})
        )
    with pytest.raises(ConfigurationError, match="hides the GZIP encoding"):
        _try_pipeline(data_prefix=HOURLY, file_extension=".json", query_table=QueryTable(columns={"a": "string"}))
    with pytest.raises(ConfigurationError, match="hides the PARQUET encoding"):
        _try_pipeline(
            data_prefix=HOURLY, file_extension=".json", format_conversion=FormatConversion(schema={"a": "int"})
        )
    with pytest.raises(ConfigurationError, match="SSE_KMS' needs a key"):
        _try_pipeline(
            data_prefix=HOURLY,
            query_table=QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup(encryption="SSE_KMS")),
        )
    with pytest.raises(ConfigurationError, match="at least 10000000 bytes"):
        QueryWorkgroup(bytes_scanned_cutoff=Size.kibibytes(1))


def test_conversion_without_query_tolerates_an_unprojectable_prefix() -> None:
    app = make_app()
    stack = cdk.Stack(app, "Unprojectable")
    pipeline = Pipeline(
        stack, "P", data_prefix="raw/!{timestamp:yyyy/MM/dd}/", format_conversion=FormatConversion(schema={"a": "int"})
    )
    assert pipeline.analytics.athena_table is not None
    assert pipeline.analytics.athena_table.partition_columns == ()
    table = only(template_json(stack), "AWS::Glue::Table")["Properties"]["TableInput"]
    assert "projection.enabled" not in table["Parameters"]
    assert table["StorageDescriptor"]["Location"]["Fn::Join"][1][-1] == "/raw/"


# --- cdk-nag ---------------------------------------------------------------------------------------------


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
    assert [f for f in nag_findings(app) if f[1].startswith("Alone/Query")] == []


# --- benchmark --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = ROOT / "benchmarks" / "format_bench.py"
    spec = importlib.util.spec_from_file_location("format_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["format_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_writers_round_trip_and_compress(bench: ModuleType) -> None:
    for workload, low, high in (("web-log", 400, 650), ("iot", 120, 200)):
        records = bench.WORKLOADS[workload](300, 7)
        raw = bench.json_lines(records)
        assert raw.count(b"\n") == 300
        assert low <= len(raw) / 300 <= high, f"{workload} records are {len(raw) / 300:.0f} bytes"
        assert [json.loads(line) for line in raw.splitlines()] == records
        packed = bench.gzip_bytes(raw)
        assert gzip.decompress(packed) == raw
        assert len(packed) < len(raw) / 3
        parquet = bench.parquet_bytes(records)
        assert bench.read_parquet_rows(parquet) == 300
        assert len(parquet) < len(raw)
        assert bench.arrow_table(records).schema.field("ts").type.tz == "UTC"


def test_benchmark_billing_model(bench: ModuleType) -> None:
    assert bench.billed_bytes(1) == 5120
    assert bench.billed_bytes(5120) == 5120
    assert bench.billed_bytes(5121) == 10240
    sizes = [500] * 10_000
    assert sum(bench.billed_bytes(s) for s in sizes) == 10_000 * 5120
    aggregated = bench.billed_bytes_aggregated(sizes, 1_000_000)
    assert 5_000_000 <= aggregated <= 5_000_000 + 5 * 5120


def test_benchmark_main_prints_both_tables(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--records", "200"]) == 0
    out = capsys.readouterr().out
    assert "| web-log | parquet |" in out
    assert "| iot | json.gz |" in out
    assert "UNVERIFIED" in out


# --- agent examples ---------------------------------------------------------------------------------------

EXAMPLES = ROOT / "examples"


def read_fluent_bit(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Classic Fluent Bit configuration: ``[SECTION]`` headers, then ``key value`` lines; '#' comments."""
    section: str | None = None
    entries: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            if section is not None:
                yield section, entries
            section, entries = line[1:-1], {}
            continue
        assert section is not None, f"{path}: entry outside a section: {line!r}"
        key, _, value = line.partition(" ")
        entries[key.lower()] = value.strip()
    if section is not None:
        yield section, entries


def test_kinesis_agent_example() -> None:
    config = json.loads((EXAMPLES / "kinesis-agent" / "agent.json").read_text())
    assert config["firehose.endpoint"] == "https://firehose.${AWS_REGION}.amazonaws.com"
    (flow,) = config["flows"]
    assert flow["deliveryStream"] == "${DELIVERY_STREAM}"
    assert flow["filePattern"].startswith("/var/log/")
    (option,) = flow["dataProcessingOptions"]
    assert (option["optionName"], option["logFormat"]) == ("LOGTOJSON", "COMBINEDAPACHELOG")
    assert len(option["customFieldNames"]) == 9  # COMBINEDAPACHELOG's nine fields
    # Packs lines into records just under Firehose's 1,000 KiB record limit (5 KiB billing per record).
    assert 512 * 1024 <= flow["aggregatedRecordSizeBytes"] < 1_024_000
    assert flow["maxBufferSizeRecords"] <= 500


def test_fluent_bit_example() -> None:
    sections = list(read_fluent_bit(EXAMPLES / "fluent-bit" / "fluent-bit.conf"))
    by_name = dict(sections)
    output = by_name["OUTPUT"]
    assert output["name"] == "kinesis_firehose"
    assert output["delivery_stream"] == "${DELIVERY_STREAM}"
    assert output["region"] == "${AWS_REGION}"
    assert output["time_key"] == "ts"
    assert by_name["INPUT"]["name"] == "tail"
    parsers = {e["name"]: e for _, e in read_fluent_bit(EXAMPLES / "fluent-bit" / by_name["SERVICE"]["parsers_file"])}
    parser = parsers[by_name["INPUT"]["parser"]]
    # Fluent Bit's Onigmo named groups (?<name>...) are Python's (?P<name>...).
    pattern = re.compile(parser["regex"].replace("(?<", "(?P<"))
    line = (
        '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /products/42?x=1 HTTP/1.1" 200 5120 '
        '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"'
    )
    match = pattern.match(line)
    assert match is not None
    assert match.groupdict() == {
        "ip": "203.0.113.9",
        "ident": "-",
        "user": "-",
        "time": "10/Oct/2026:13:55:36 +0000",
        "method": "GET",
        "path": "/products/42?x=1",
        "protocol": "HTTP/1.1",
        "status": "200",
        "bytes": "5120",
        "referrer": "https://example.com/",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    }
    assert parser["types"] == "status:integer bytes:integer"

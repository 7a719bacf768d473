"""Glue tables read from a template: type parsing, value resolution, lookup by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.simulate.assembly import StackTemplate, load_stack
from firehose_s3_client.simulate.glue_table import (
    SchemaError,
    find_table,
    glue_tables,
    parse_glue_type,
    resolve,
)

TABLE = {
    "Type": "AWS::Glue::Table",
    "Properties": {
        "CatalogId": {"Ref": "AWS::AccountId"},
        "DatabaseName": {"Ref": "Db"},
        "TableInput": {
            "Name": "telemetry",
            "Parameters": {
                "projection.enabled": "true",
                "storage.location.template": {
                    "Fn::Join": ["", ["s3://", {"Ref": "DataBucket"}, "/iot/device_type=${device_type}/"]]
                },
            },
            "PartitionKeys": [{"Name": "device_type", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "Device_ID", "Type": "string"},
                    {"Name": "location", "Type": "STRUCT< Lat : DOUBLE, `order` : int >"},
                ],
                "Location": {"Fn::Join": ["", ["s3://", {"Ref": "DataBucket"}, "/iot/"]]},
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        },
    },
}
RESOURCES: dict[str, Any] = {
    "Db": {"Type": "AWS::Glue::Database", "Properties": {"DatabaseInput": {"Name": "iot_db"}}},
    "DataBucket": {"Type": "AWS::S3::Bucket"},
    "Table": TABLE,
}


def stack_of(tmp_path: Path, resources: dict[str, Any]) -> StackTemplate:
    (tmp_path / "Stack.template.json").write_text(json.dumps({"Resources": resources}))
    manifest = {
        "artifacts": {
            "Stack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Stack.template.json"}}
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return load_stack(tmp_path, "Stack")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("string", "string"),
        ("INTEGER", "int"),
        ("decimal", "decimal(10,0)"),
        ("decimal(12)", "decimal(12,0)"),
        ("DECIMAL( 12 , 4 )", "decimal(12,4)"),
        ("varchar(64)", "varchar(64)"),
        ("char(1)", "char(1)"),
        (
            "array<map<string,struct<a:int,b:array<decimal(10,2)>>>>",
            "array<map<string,struct<a:int,b:array<decimal(10,2)>>>>",
        ),
        ("struct<Lat:double,`order`:int,`a``b`:string>", "struct<lat:double,order:int,a`b:string>"),
        ("map<int,string>", "map<int,string>"),
    ],
)
def test_types_parse_to_their_canonical_spelling(text: str, canonical: str) -> None:
    assert str(parse_glue_type(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("set<string>", "uses set"),
        ("uniontype<int,string>", "uses uniontype"),
        ("decimal(39,2)", "precision 1-38"),
        ("decimal(5,6)", "precision 1-38"),
        ("varchar(70000)", "varchar length out of range"),
        ("char", "ends too early"),
        ("map<array<string>,int>", "map keys must be primitive"),
        ("struct<a:int,A:string>", "appears twice"),
        ("array<string", "ends too early"),
        ("array<string>x", "unexpected 'x'"),
        ("long", "unknown type 'long'"),
        ("", "non-empty string"),
    ],
)
def test_types_firehose_cannot_write_or_that_are_malformed(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        parse_glue_type(text)


def test_a_table_resolves_names_columns_location_and_parameters(tmp_path: Path) -> None:
    (table,) = glue_tables(stack_of(tmp_path, RESOURCES))
    assert (table.database, table.name, table.logical_id) == ("iot_db", "telemetry", "Table")
    assert [name for name, _ in table.columns] == ["device_id", "location"]  # Glue lowercases names
    assert str(table.columns[1][1]) == "struct<lat:double,order:int>"
    assert table.location == "s3://DataBucket/iot/"  # a bucket is its logical ID: the simulator's folder
    assert table.parameters["storage.location.template"] == "s3://DataBucket/iot/device_type=${device_type}/"
    assert [name for name, _ in table.partition_keys] == ["device_type"]
    assert table.storage_format == "parquet"


def test_find_table_is_case_insensitive_and_names_what_is_missing(tmp_path: Path) -> None:
    stack = stack_of(tmp_path, RESOURCES)
    assert find_table(stack, "IOT_DB", "Telemetry").name == "telemetry"
    with pytest.raises(
        SchemaError, match=r"Glue table iot_db\.other is not in stack Stack's template \(tables: iot_db\.telemetry\)"
    ):
        find_table(stack, "iot_db", "other")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Db"}, "iot_db"),
        ({"Ref": "Table"}, "telemetry"),
        ({"Ref": "DataBucket"}, "DataBucket"),
        ({"Fn::GetAtt": ["DataBucket", "Arn"]}, "DataBucket"),
        ({"Ref": "AWS::AccountId"}, "123456789012"),
        ({"Ref": "AWS::StackName"}, "Stack"),
        ({"Fn::Sub": "${AWS::Region}-${Db}"}, "us-east-1-iot_db"),
        (42, "42"),
    ],
)
def test_values_resolve(tmp_path: Path, value: Any, expected: str) -> None:
    assert resolve(stack_of(tmp_path, RESOURCES), value, "here") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Ref": "Nope"}, "Ref 'Nope' is not a resource"),
        ({"Fn::ImportValue": "x"}, "unsupported intrinsic"),
        ({"Fn::GetAtt": ["Db", "Arn"]}, "unsupported intrinsic"),
    ],
)
def test_unresolvable_values_name_their_place(tmp_path: Path, value: Any, message: str) -> None:
    with pytest.raises(SchemaError, match=rf"^here: .*{message}"):
        resolve(stack_of(tmp_path, RESOURCES), value, "here")


def test_a_bad_column_type_names_the_column(tmp_path: Path) -> None:
    resources = json.loads(json.dumps(RESOURCES))
    resources["Table"]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"].append(
        {"Name": "t", "Type": "set<int>"}
    )
    with pytest.raises(SchemaError, match=r"column 't'.*uses set"):
        glue_tables(stack_of(tmp_path, resources))


def test_an_unknown_storage_format_is_named(tmp_path: Path) -> None:
    resources = json.loads(json.dumps(RESOURCES))
    storage = resources["Table"]["Properties"]["TableInput"]["StorageDescriptor"]
    storage["SerdeInfo"]["SerializationLibrary"] = "org.apache.hadoop.hive.serde2.avro.AvroSerDe"
    storage["InputFormat"] = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat"
    (table,) = glue_tables(stack_of(tmp_path, resources))
    with pytest.raises(SchemaError, match=r"AvroSerDe.*not JSON, Parquet or ORC"):
        _ = table.storage_format

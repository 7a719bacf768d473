"""Parquet and ORC objects from JSON records: the Glue table from the template, the serializer's settings."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import orc

from firehose_s3_client.simulate.assembly import StackTemplate, load_stack
from firehose_s3_client.simulate.conversion import ConversionFailure, RecordConverter, SchemaError, converter_for
from firehose_s3_client.verify import count_records

ALL_TYPES = {
    "flag": "boolean",
    "tiny": "tinyint",
    "small": "smallint",
    "n": "int",
    "big": "bigint",
    "ratio": "float",
    "value": "double",
    "amount": "decimal(12,2)",
    "code": "char(4)",
    "label": "varchar(8)",
    "name": "string",
    "blob": "binary",
    "day": "date",
    "ts": "timestamp",
    "tags": "array<string>",
    "attrs": "map<string,int>",
    "location": "struct<lat:double,lon:double>",
}
FULL = {
    "flag": True, "tiny": 1, "small": 2, "n": 3, "big": 2**40, "ratio": 0.5, "value": 21.5, "amount": "1234.567",
    "code": "ABCDE", "label": "labelled!", "name": "dev-1", "blob": "xy", "day": "2026-11-26",
    "ts": "2026-11-26T09:00:00.123456Z", "tags": ["a", "b"], "attrs": {"Floor": 3}, "location": {"lat": 1, "lon": 2},
}  # fmt: skip
EXPECTED = {
    "flag": True, "tiny": 1, "small": 2, "n": 3, "big": 2**40, "ratio": 0.5, "value": 21.5,
    "amount": Decimal("1234.57"), "code": "ABCD", "label": "labelled", "name": "dev-1", "blob": b"xy",
    "day": date(2026, 11, 26), "ts": datetime(2026, 11, 26, 9, 0, 0, 123456), "tags": ["a", "b"],
    "attrs": [("floor", 3)], "location": {"lat": 1.0, "lon": 2.0},
}  # fmt: skip


def assembly(tmp_path: Path, columns: dict[str, str]) -> StackTemplate:
    resources: dict[str, Any] = {
        "Db": {"Type": "AWS::Glue::Database", "Properties": {"DatabaseInput": {"Name": "iot_db"}}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Table": {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "DatabaseName": {"Ref": "Db"},
                "TableInput": {
                    "Name": "telemetry",
                    "StorageDescriptor": {"Columns": [{"Name": k, "Type": v} for k, v in columns.items()]},
                },
            },
        },
    }
    (tmp_path / "S.template.json").write_text(json.dumps({"Resources": resources}))
    artifact = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"S": artifact}}))
    return load_stack(tmp_path, "S")


def config(serializer: dict[str, Any] | None = None, deserializer: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Enabled": True,
        "InputFormatConfiguration": {"Deserializer": deserializer or {"OpenXJsonSerDe": {"CaseInsensitive": True}}},
        "OutputFormatConfiguration": {"Serializer": serializer or {"ParquetSerDe": {"Compression": "SNAPPY"}}},
        "SchemaConfiguration": {"DatabaseName": {"Ref": "Db"}, "TableName": {"Ref": "Table"}, "VersionId": "LATEST"},
    }


@pytest.fixture
def stack(tmp_path: Path) -> StackTemplate:
    return assembly(tmp_path, ALL_TYPES)


def convert(converter: RecordConverter, *records: dict[str, Any]) -> bytes:
    rows = [r for record in records for r in converter.convert(json.dumps(record).encode())]
    return converter.write(rows)


def read_rows(table: pa.Table) -> list[dict[str, Any]]:
    """The rows, with nanosecond timestamps as microseconds (what datetime holds)."""
    index = table.schema.get_field_index("ts")
    rows: list[dict[str, Any]] = table.set_column(index, "ts", table["ts"].cast(pa.timestamp("us"))).to_pylist()
    return rows


def test_every_glue_type_round_trips_through_parquet(stack: StackTemplate) -> None:
    converter = converter_for(stack, config())
    body = convert(converter, FULL, {})
    assert converter.extension == ".parquet"
    assert read_rows(pq.read_table(io.BytesIO(body))) == [EXPECTED, dict.fromkeys(ALL_TYPES)]
    assert count_records("k/o.parquet", body) == 2


def test_every_glue_type_round_trips_through_orc(stack: StackTemplate) -> None:
    converter = converter_for(stack, config({"OrcSerDe": {}}))
    body = convert(converter, FULL, {})
    assert converter.extension == ".orc"
    assert read_rows(orc.read_table(io.BytesIO(body))) == [EXPECTED, dict.fromkeys(ALL_TYPES)]


def test_parquet_is_written_like_hives_writer(stack: StackTemplate) -> None:
    body = convert(converter_for(stack, config()), FULL)
    metadata = pq.ParquetFile(io.BytesIO(body)).metadata
    schema = pq.ParquetFile(io.BytesIO(body)).schema
    assert schema.column(schema.names.index("ts")).physical_type == "INT96"
    assert {metadata.row_group(0).column(i).compression for i in range(metadata.num_columns)} == {"SNAPPY"}
    assert metadata.num_row_groups == 1


@pytest.mark.parametrize(("setting", "codec"), [("GZIP", "GZIP"), ("UNCOMPRESSED", "UNCOMPRESSED")])
def test_parquet_compression(stack: StackTemplate, setting: str, codec: str) -> None:
    body = convert(converter_for(stack, config({"ParquetSerDe": {"Compression": setting}})), FULL)
    assert pq.ParquetFile(io.BytesIO(body)).metadata.row_group(0).column(0).compression == codec


def test_parquet_dictionary_page_version_and_block_size(stack: StackTemplate) -> None:
    records = [{**FULL, "name": f"device-{i}"} for i in range(2000)]
    no_dictionary = convert(
        converter_for(stack, config({"ParquetSerDe": {"EnableDictionaryCompression": "false"}})), *records
    )
    with_dictionary = convert(converter_for(stack, config({"ParquetSerDe": {}})), *records)
    column = pq.ParquetFile(io.BytesIO(no_dictionary)).metadata.row_group(0).column(ALL_TYPES_NAMES.index("name"))
    assert not column.has_dictionary_page
    assert (
        pq.ParquetFile(io.BytesIO(with_dictionary))
        .metadata.row_group(0)
        .column(ALL_TYPES_NAMES.index("name"))
        .has_dictionary_page
    )
    version_2 = convert(converter_for(stack, config({"ParquetSerDe": {"WriterVersion": "V2"}})), *records)
    assert version_2 != with_dictionary
    assert pq.read_table(io.BytesIO(version_2)).equals(pq.read_table(io.BytesIO(with_dictionary)))
    small_blocks = converter_for(stack, config({"ParquetSerDe": {"BlockSizeBytes": 16 * 1024}}))
    assert pq.ParquetFile(io.BytesIO(convert(small_blocks, *records))).metadata.num_row_groups > 1
    assert small_blocks.notes == ("ParquetSerDe.BlockSizeBytes: row groups are cut by an estimate of the rows' size",)


ALL_TYPES_NAMES = list(ALL_TYPES)


@pytest.mark.parametrize(("setting", "codec"), [("SNAPPY", "SNAPPY"), ("ZLIB", "ZLIB"), ("NONE", "UNCOMPRESSED")])
def test_orc_compression(stack: StackTemplate, setting: str, codec: str) -> None:
    body = convert(converter_for(stack, config({"OrcSerDe": {"Compression": setting}})), FULL)
    assert orc.ORCFile(io.BytesIO(body)).compression == codec


def test_orc_format_version_stride_and_bloom_filters(stack: StackTemplate) -> None:
    serde = {"FormatVersion": "V0_11", "RowIndexStride": 2000, "BloomFilterColumns": ["Name"], "EnablePadding": "true"}
    converter = converter_for(stack, config({"OrcSerDe": serde}))
    reader = orc.ORCFile(io.BytesIO(convert(converter, FULL)))
    assert reader.file_version == "0.11"
    assert reader.row_index_stride == 2000
    assert converter.notes == ("OrcSerDe.EnablePadding/BlockSizeBytes: stripes are written without HDFS block padding",)
    unknown = converter_for(stack, config({"OrcSerDe": {"BloomFilterColumns": ["nope"]}}))
    with pytest.raises(SchemaError, match="BloomFilterColumns names nope"):
        convert(unknown, FULL)


def test_concatenated_objects_in_one_record_are_rows(stack: StackTemplate) -> None:
    converter = converter_for(stack, config())
    rows = converter.convert(b'{"n": 1}{"n": 2}\n{"n": 3}\n')
    assert [r["n"] for r in rows] == [1, 2, 3]


@pytest.mark.parametrize(
    ("record", "code"),
    [(b"not json", "DataFormatConversion.ParseError"), (b'{"n": "x"}', "DataFormatConversion.MalformedData")],
)
def test_records_that_do_not_match_are_conversion_failures(stack: StackTemplate, record: bytes, code: str) -> None:
    with pytest.raises(ConversionFailure) as caught:
        converter_for(stack, config()).convert(record)
    assert caught.value.error_code == code


def test_hive_deserializer_with_timestamp_formats(stack: StackTemplate) -> None:
    hive = {"HiveJsonSerDe": {"TimestampFormats": ["millis", "dd/MM/yyyy"]}}
    converter = converter_for(stack, config(deserializer=hive))
    assert converter.convert(b'{"ts": "26/11/2026"}')[0]["ts"] == 1795651200 * 10**9
    with pytest.raises(ConversionFailure, match="Current token"):
        converter.convert(b'{"n": "3"}')
    bad = {"HiveJsonSerDe": {"TimestampFormats": ["EEE yyyy"]}}
    with pytest.raises(SchemaError, match="not 'EEE'"):
        converter_for(stack, config(deserializer=bad))


def test_openx_options_from_the_template(stack: StackTemplate) -> None:
    openx = {"OpenXJsonSerDe": {"CaseInsensitive": "false", "ColumnToJsonKeyMappings": {"name": "deviceName"}}}
    converter = converter_for(stack, config(deserializer=openx))
    assert converter.convert(b'{"deviceName": "d", "N": 5}')[0] == {**dict.fromkeys(ALL_TYPES), "name": "d"}
    with pytest.raises(SchemaError, match=r"ColumnToJsonKeyMappings names other, not columns of iot_db\.telemetry"):
        converter_for(stack, config(deserializer={"OpenXJsonSerDe": {"ColumnToJsonKeyMappings": {"other": "x"}}}))


@pytest.mark.parametrize(
    ("conversion", "message"),
    [
        (
            config(deserializer={"OpenXJsonSerDe": {}, "HiveJsonSerDe": {}}),
            "exactly one of OpenXJsonSerDe or HiveJsonSerDe",
        ),
        (config(serializer={"ParquetSerDe": {}, "OrcSerDe": {}}), "exactly one of ParquetSerDe or OrcSerDe"),
        (
            config(serializer={"ParquetSerDe": {"Compression": "LZO"}}),
            "Compression must be one of SNAPPY, GZIP, UNCOMPRESSED",
        ),
        (config(serializer={"OrcSerDe": {"Compression": "GZIP"}}), "Compression must be one of SNAPPY, ZLIB, NONE"),
        (
            config(serializer={"ParquetSerDe": {"BloomFilter": True}}),
            "BloomFilter is not a setting this engine reproduces",
        ),
        (config(deserializer={"OpenXJsonSerDe": {"Strict": True}}), "Strict is not a setting this engine reproduces"),
        (
            {**config(), "SchemaConfiguration": {"DatabaseName": "iot_db", "TableName": "other"}},
            r"iot_db\.other is not in stack S",
        ),
        ({**config(), "SchemaConfiguration": {"DatabaseName": "iot_db"}}, "must name a DatabaseName and a TableName"),
    ],
)
def test_configurations_this_engine_cannot_reproduce_are_named(
    stack: StackTemplate, conversion: dict[str, Any], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        converter_for(stack, conversion)


def test_hive_refuses_dotted_column_names(tmp_path: Path) -> None:
    stack = assembly(tmp_path, {"a.b": "int"})
    with pytest.raises(SchemaError, match=r"does not allow '\.' in column names: a\.b"):
        converter_for(stack, config(deserializer={"HiveJsonSerDe": {}}))


def test_parquet_padding_is_reported(stack: StackTemplate) -> None:
    converter = converter_for(stack, config({"ParquetSerDe": {"MaxPaddingBytes": 1024}}))
    assert converter.notes == ("ParquetSerDe.MaxPaddingBytes: objects are written without padding",)

"""Records read by the OpenX and Hive JSON SerDe rules, as Firehose was observed to read them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from firehose_s3_client.simulate.glue_table import GlueType, parse_glue_type
from firehose_s3_client.simulate.json_serde import (
    MALFORMED_DATA,
    PARSE_ERROR,
    RecordError,
    SerDeOptions,
    parse_records,
    to_row,
)

# The table of the observations: a string, an array, a struct, an array of structs and a map of arrays.
COLUMNS: list[tuple[str, GlueType]] = [
    (name, parse_glue_type(kind))
    for name, kind in [
        ("id", "string"),
        ("tags", "array<string>"),
        ("person", "struct<name:string,age:int>"),
        ("items", "array<struct<sku:string,qty:int>>"),
        ("attrs", "map<string,array<string>>"),
    ]
]
OPENX = SerDeOptions()
HIVE = SerDeOptions(kind="hive")


def row(record: dict[str, Any] | str, options: SerDeOptions = OPENX, columns: Any = None) -> dict[str, Any]:
    text = record if isinstance(record, str) else json.dumps(record)
    (value,) = parse_records(text.encode())
    return to_row(value, columns or COLUMNS, options)


def failure(record: dict[str, Any] | str, options: SerDeOptions = OPENX, columns: Any = None) -> RecordError:
    with pytest.raises(RecordError) as caught:
        row(record, options, columns)
    return caught.value


def one(kind: str, value: Any, options: SerDeOptions = OPENX) -> Any:
    return row({"v": value}, options, [("v", parse_glue_type(kind))])["v"]


def test_concatenated_objects_are_several_values_and_whitespace_between_is_fine() -> None:
    assert parse_records(b'{"a":1}{"a":2}\n {"a":3}\n') == [{"a": "1"}, {"a": "2"}, {"a": "3"}]


@pytest.mark.parametrize("record", [b"", b"  \n", b"{oops}", b'{"a":1', b"\xff{}", b'{"a": NaN}'])
def test_records_that_are_not_json_are_parse_errors(record: bytes) -> None:
    with pytest.raises(RecordError) as caught:
        parse_records(record)
    assert caught.value.error_code == PARSE_ERROR
    assert caught.value.error_message.startswith("Encountered malformed JSON.")


def test_an_array_record_does_not_match() -> None:
    error = failure('[{"id": "a"}]')
    assert error.error_code == MALFORMED_DATA
    assert "A JSON object is required" in error.error_message


def test_keys_are_lowercased_at_every_depth_and_members_match() -> None:
    found = row({"ID": "r2", "PERSON": {"NAME": "Bob", "AGE": 41}, "ITEMS": [{"SKU": "s2", "QTY": "3"}]})
    assert found == {
        "id": "r2",
        "tags": None,
        "person": {"name": "Bob", "age": 41},
        "items": [{"sku": "s2", "qty": 3}],
        "attrs": None,
    }


def test_map_keys_and_stringified_objects_carry_lowercased_keys() -> None:
    found = row({"id": {"Outer": {"Inner": 1}}, "tags": [{"MixedKey": 1}], "attrs": {"K": ["v"]}})
    assert found["id"] == '{"outer":{"inner":1}}'
    assert found["tags"] == ['{"mixedkey":1}']
    assert found["attrs"] == [("k", ["v"])]


def test_case_sensitive_openx_matches_exactly_and_keeps_map_keys() -> None:
    options = SerDeOptions(case_insensitive=False)
    found = row({"id": "s", "person": {"NAME": "Bob", "age": 2}, "attrs": {"MixedKey": ["v"]}}, options)
    assert found["person"] == {"name": None, "age": 2}
    assert found["attrs"] == [("MixedKey", ["v"])]
    assert row({"ID": "x"}, options)["id"] is None


def test_openx_coercions() -> None:
    found = row({"id": 12.50, "tags": "notanarray", "items": {"sku": "x", "qty": 1}, "person": ["Zoe", 9, "ignored"]})
    assert found["id"] == "12.5"  # a number keeps its JSON text (json.dumps wrote 12.5)
    assert found["tags"] == ["notanarray"]  # wrapped into an array
    assert found["items"] == [{"sku": "x", "qty": 1}]
    assert found["person"] == {"name": "Zoe", "age": 9}  # by position, extras ignored
    assert row({"person": ["Zoe"]})["person"] == {"name": "Zoe", "age": None}
    assert row({"tags": [1, 2, 3]})["tags"] == ["1", "2", "3"]
    assert row({"person": {"name": "Carol", "extra": "dropped"}})["person"] == {"name": "Carol", "age": None}
    assert row({"person": {}, "tags": [], "attrs": {}}) == {
        "id": None,
        "tags": [],
        "person": {"name": None, "age": None},
        "items": None,
        "attrs": [],
    }
    assert row({"tags": ["a", None], "items": [None], "attrs": {"k": None}})["tags"] == ["a", None]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"person": 42}, "Data does not match the schema. Data is not JSONObject  but java.lang.Long with value 42"),
        ({"person": "x"}, "Data is not JSONObject  but java.lang.String with value x"),
        ({"items": [{"sku": "s5", "qty": "oops"}]}, 'Data does not match the schema. For input string: "oops"'),
        ({"attrs": [["k", ["v"]]]}, "A map column cannot hold org.json.JSONArray"),
    ],
)
def test_openx_mismatches_fail_the_record(record: dict[str, Any], message: str) -> None:
    error = failure(record)
    assert error.error_code == MALFORMED_DATA
    assert message in error.error_message


def test_hive_keeps_map_keys_but_matches_members_case_insensitively() -> None:
    found = row({"id": "h1", "ATTRS": {"MixedKey": ["v"]}, "PERSON": {"NAME": "Bob", "AGE": 2}}, HIVE)
    assert found["attrs"] == [("MixedKey", ["v"])]
    assert found["person"] == {"name": "Bob", "age": 2}
    assert row({"tags": [1, 2, 3], "id": 7}, HIVE)["tags"] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"tags": "solo"}, "Data does not match the schema. java.io.IOException: Start of Array expected"),
        (
            {"items": {"sku": "x", "qty": 1}},
            "Data does not match the schema. java.io.IOException: Start of Array expected",
        ),
        ({"person": ["Bob", 41]}, "Data does not match the schema. java.io.IOException: Start of Object expected"),
        ({"person": 42}, "Data does not match the schema. java.io.IOException: Start of Object expected"),
        (
            {"person": {"name": "Eve", "age": "7"}},
            "Data does not match the schema. Current token (VALUE_STRING) not numeric, can not use numeric value "
            "accessors",
        ),
        ({"id": {"nested": 1}}, "One or more fields have incorrect format. Exception when validating field (root)"),
        (
            {"tags": [{"MixedKey": 1}]},
            "One or more fields have incorrect format. Exception when validating field (root)",
        ),
    ],
)
def test_hive_fails_where_openx_coerces(record: dict[str, Any], message: str) -> None:
    error = failure(record, HIVE)
    assert (error.error_code, error.error_message) == (MALFORMED_DATA, message)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("int", "12", 12),
        ("int", 2147483647, 2147483647),
        ("tinyint", -128, -128),
        ("bigint", "9223372036854775807", 9223372036854775807),
        ("boolean", "TRUE", True),
        ("boolean", False, False),
        ("double", "1.5e3", 1500.0),
        ("float", 1e39, float("inf")),  # Float.parseFloat overflows to infinity
        ("decimal(5,2)", "123.455", Decimal("123.46")),  # half-up to the scale
        ("decimal(5,2)", 1234.5, None),  # does not fit the precision: null, as Hive enforces it
        (
            "decimal(38,10)",
            "1234567890123456789012345678.0123456789",
            Decimal("1234567890123456789012345678.0123456789"),
        ),
        ("char(3)", "ab  cd", "ab"),
        ("varchar(3)", "abcdef", "abc"),
        ("string", True, "true"),
        ("binary", "héllo", "héllo".encode()),
        ("date", "2026-1-2", date(2026, 1, 2)),
        ("timestamp", "2026-11-26T09:00:00Z", 1795683600 * 10**9),
        ("timestamp", 1795683600, 1795683600 * 10**9),
        ("timestamp", "1795683600000", 1795683600 * 10**9),
        ("map<int,boolean>", {"1": "true"}, [(1, True)]),
        ("array<timestamp>", ["2026-11-26 9:0:0"], [1795683600 * 10**9]),
    ],
)
def test_openx_primitives(kind: str, value: Any, expected: Any) -> None:
    assert one(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("int", 2147483648, "2147483648"),  # out of range: as Integer.parseInt
        ("tinyint", "128", "128"),
        ("int", 1.5, "1.5"),
        ("boolean", "yes", "yes"),
        ("boolean", 1, "1"),
        ("double", "abc", "abc"),
        ("date", "2026-02-30", "2026-02-30"),
        ("timestamp", "2026-9-7T12:00:02Z", "2026-9-7T12:00:02Z"),
        ("decimal(5,2)", "1,5", "1,5"),
    ],
)
def test_openx_values_that_do_not_parse(kind: str, value: Any, text: str) -> None:
    with pytest.raises(RecordError) as caught:
        one(kind, value)
    assert caught.value.error_message == f'Data does not match the schema. For input string: "{text}"'


def test_a_timestamp_beyond_int64_nanoseconds_fails() -> None:
    with pytest.raises(RecordError, match="out of range"):
        one("timestamp", "9999999999999999")


def test_hive_booleans_and_default_timestamps() -> None:
    assert one("boolean", "yes", HIVE) is False  # Boolean.valueOf
    assert one("timestamp", "2026-11-26 09:00:00", HIVE) == 1795683600 * 10**9
    with pytest.raises(RecordError, match=r"Timestamp format must be yyyy-mm-dd hh:mm:ss\[\.fffffffff\]"):
        one("timestamp", "2026-11-26T09:00:00Z", HIVE)
    hive_millis = SerDeOptions(kind="hive", timestamp_formats=("millis",))
    assert one("timestamp", 1795683600000, hive_millis) == 1795683600 * 10**9


def test_column_mappings_and_dots() -> None:
    columns = [("ts", parse_glue_type("string")), ("a_b", parse_glue_type("int"))]
    mapped = SerDeOptions(key_mappings={"ts": "Timestamp"}, dots_to_underscores=True)
    assert row({"timestamp": "t", "a.b": 3}, mapped, columns) == {"ts": "t", "a_b": 3}
    assert row({"timestamp": "t", "a.b": 3}, OPENX, columns) == {"ts": None, "a_b": None}


def test_keys_that_lowercase_alike_keep_the_last() -> None:
    assert row('{"ID": "first", "id": "second"}')["id"] == "second"


def test_nesting_deeper_than_jacksons_limit_is_a_parse_error() -> None:
    deep = b'{"id": ' + b"[" * 1001 + b"]" * 1001 + b"}"
    with pytest.raises(RecordError) as caught:
        parse_records(deep)
    assert caught.value.error_code == PARSE_ERROR
    assert "nesting depth (1002) exceeds the maximum allowed (1000)" in caught.value.error_message
    within = b'{"id": ' + b"[" * 300 + b"]" * 300 + b"}"  # Jackson reads it: a string column gets its text
    assert row(within.decode())["id"] == "[" * 300 + "]" * 300
    # Deeper than Python's stack allows (but within Jackson's limit): this engine's documented deviation.
    deeper = b'{"id": ' + b"[" * 900 + b"]" * 900 + b"}"
    assert "nested too deeply" in failure(deeper.decode()).error_message


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert parse_records(b'{"id": "' + b"[" * 2000 + b'"}') == [{"id": "[" * 2000}]

"""Partition keys from a MetadataExtractionQuery, with jq 1.6's numbers and Firehose's error records."""

from __future__ import annotations

import json
import math

import jq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.simulate.jq_keys import (
    ERROR_CODE,
    ERROR_OUTPUT_TYPE,
    NON_JSON_MESSAGE,
    JqQueryError,
    KeyExtractionError,
    PartitionKeyQuery,
    jq16_number,
)

IOT_QUERY = '{"device_type":.device_type,"dt":.ts[0:10]}'
# The double printer jq itself uses for non-literal numbers (jvp_dtoa_fmt): an oracle in C.
JQ_DOUBLE_TEXT = jq.compile(". + 0 | tojson")


def reading(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def failure(query: PartitionKeyQuery, record: bytes) -> KeyExtractionError:
    with pytest.raises(KeyExtractionError) as caught:
        query.extract(record)
    assert caught.value.error_code == ERROR_CODE
    return caught.value


def test_error_code_and_output_type_are_firehoses() -> None:
    assert ERROR_CODE == "DynamicPartitioning.MetadataExtractionFailed"
    assert ERROR_OUTPUT_TYPE == "metadata-extraction-failed"


def test_the_iot_stacks_query() -> None:
    query = PartitionKeyQuery(IOT_QUERY)
    record = reading(device_id="dev-1", device_type="thermostat", ts="2026-11-26T09:00:00Z", temperature=21.5)
    assert query.extract(record) == {"device_type": "thermostat", "dt": "2026-11-26"}


def test_the_developer_guides_example() -> None:
    query = PartitionKeyQuery('{customer_id:.customer_id, device:.type.device, year:.event_timestamp|strftime("%Y")}')
    record = b'{"type":{"device":"mobile","event":"click"},"customer_id":"1234567890","event_timestamp":1565382027}'
    assert query.extract(record) == {"customer_id": "1234567890", "device": "mobile", "year": "2019"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1.0", "1"),
        ("100000000000000000", "1e+17"),
        ("12345678901234567890", "12345678901234567000"),
        ("0.0001", "0.0001"),
        ("0.00001", "1e-05"),
        ("-2.50", "-2.5"),
        ("1e1000", "1.7976931348623157e+308"),
        ("true", "true"),
        ("false", "false"),
    ],
)
def test_numbers_and_booleans_become_jq_1_6_text(value: str, text: str) -> None:
    query = PartitionKeyQuery('{k: .v, s: (.v | tostring), i: "\\(.v)"}')
    assert query.extract(b'{"v": %s}' % value.encode()) == {"k": text, "s": text, "i": text}


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != 0))
def test_jq16_number_matches_jqs_double_printer(value: float) -> None:
    assert jq16_number(value) == json.loads(JQ_DOUBLE_TEXT.input_value(value).text())


def test_jq16_number_edges() -> None:
    assert [jq16_number(x) for x in (0.0, -0.0, math.nan, -math.inf)] == ["0", "-0", "null", "-1.7976931348623157e+308"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (b'{"device_type": null, "ts": "2026-11-26"}', "partition key 'device_type' is null"),
        (b'{"ts": "2026-11-26"}', "partition key 'device_type' is null"),
        (b'{"device_type": "", "ts": "2026-11-26"}', "partition key 'device_type' is an empty string"),
        (b'{"device_type": ["a"], "ts": "2026-11-26"}', "partition key 'device_type' is an array"),
        (b'{"device_type": {"a": 1}, "ts": "2026-11-26"}', "partition key 'device_type' is an object"),
        (b'{"device_type": "t", "ts": 5}', "the MetadataExtractionQuery failed on the record: Cannot index number"),
        (b'[{"device_type": "t"}]', "failed on the record: Cannot index array"),
    ],
)
def test_keys_that_cannot_be_extracted_fail_the_record(record: bytes, message: str) -> None:
    assert message in failure(PartitionKeyQuery(IOT_QUERY), record).error_message


@pytest.mark.parametrize(
    "record",
    [b"not json", b"", b"  ", b'{"a":1}{"a":2}', b'{"a":1}\n{"a":2}\n', b'{"a": NaN}', b'{"a": 1', b"\xff\xfe{}"],
)
def test_a_record_that_is_not_one_json_document(record: bytes) -> None:
    assert failure(PartitionKeyQuery(IOT_QUERY), record).error_message == NON_JSON_MESSAGE


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("empty", "produced 0 results"),
        ("{k: 1}, {k: 2}", "produced 2 results"),
        (".device_type", 'produced str "t", not an object'),
        ('{k: error("custom")}', "failed on the record: custom"),
    ],
)
def test_a_query_must_produce_one_object(query: str, message: str) -> None:
    assert message in failure(PartitionKeyQuery(query), b'{"device_type": "t"}').error_message


@pytest.mark.parametrize(
    ("query", "engine", "message"),
    [
        (IOT_QUERY, "JQ-1.5", "JsonParsingEngine must be JQ-1.6, got 'JQ-1.5'"),
        ("  ", "JQ-1.6", "MetadataExtractionQuery is empty"),
        ("{k: .a", "JQ-1.6", "does not compile: syntax error, unexpected end of file"),
        ("{k: pick(.a)}", "JQ-1.6", "cannot run: the builtin pick/1"),
        ("{k: [leaf_paths]}", "JQ-1.6", "uses leaf_paths, a JQ-1.6 builtin that the jq bundled with this engine"),
        ("{k: nosuchthing}", "JQ-1.6", "does not compile: nosuchthing/0 is not defined"),
    ],
)
def test_queries_firehose_or_this_engine_cannot_run(query: str, engine: str, message: str) -> None:
    with pytest.raises(JqQueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        PartitionKeyQuery(query, engine)


def test_a_query_is_compiled_once_and_reused() -> None:
    query = PartitionKeyQuery("{n: .n}")
    assert [query.extract(reading(n=i))["n"] for i in range(3)] == ["0", "1", "2"]


def test_jq_1_6_parses_at_most_256_levels() -> None:
    query = PartitionKeyQuery("{k: .k}")
    assert query.extract(b'{"k": "v", "d": ' + b"[" * 255 + b"]" * 255 + b"}") == {"k": "v"}
    too_deep = b'{"k": "v", "d": ' + b"[" * 256 + b"]" * 256 + b"}"
    assert "Exceeds depth limit for parsing" in failure(query, too_deep).error_message

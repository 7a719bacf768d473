"""Bad input: each case is that record's ProcessingFailed with its original data, on both paths, never an exception."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.engine import Engine

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]

GOOD = b'{"ok": true}'

BAD_JSON: dict[str, bytes] = {
    "non_utf8": b'{"a": "\xff\xfe"}',
    "encoded_surrogate_utf8": b'{"a": "\xed\xa0\x80"}',  # CESU-style surrogate bytes
    "empty": b"",
    "whitespace_only": b" \n\t ",
    "invalid_json": b"{a: 1}",
    "truncated_json": b'{"a": [1, 2',
    "trailing_garbage": b'{"a": 1} x',
    "two_documents_on_one_line": b'{"a": 1} {"b": 2}',
    "array": b"[1, 2, 3]",
    "string": b'"text"',
    "number": b"42",
    "null": b"null",
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": Infinity}',
    "negative_infinity": b'{"a": -Infinity}',
    "float_overflowing_to_infinity": b'{"a": 1e400}',
    "negative_float_overflow": b'{"a": -2.5E+999}',
    "lone_high_surrogate_escape": b'{"a": "\\ud800"}',
    "lone_low_surrogate_escape": b'{"a": "x\\udc00y"}',
    "reversed_surrogate_pair": b'{"a": "\\ude00\\ud83d"}',
    "lone_surrogate_in_key": b'{"\\uD834": 1}',
    "surrogate_in_nested_array": b'{"a": [1, {"b": ["\\udbff"]}]}',
    "int_above_64_bits": b'{"id": 18446744073709551616}',
    "int_below_int64": b'{"id": -9223372036854775809}',
    "huge_int": b'{"id": ' + b"9" * 5000 + b"}",
    "big_int_nested": b'{"a": {"b": [1, 123456789012345678901234567890]}}',
    "byte_order_mark": b'\xef\xbb\xbf{"a": 1}',
    "control_character_in_string": b'{"a": "x\x01y"}',
    "single_quotes": b"{'a': 1}",
    "too_deep_arrays": b'{"a": ' + b"[" * 254 + b"]" * 254 + b"}",
    "too_deep_objects": b'{"a": ' + b'{"a": ' * 254 + b"1" + b"}" * 254 + b"}",
    "one_bad_line_of_several": b'{"a": 1}\n{"a": 2\n{"a": 3}\n',
}


@pytest.mark.parametrize("payload", list(BAD_JSON.values()), ids=list(BAD_JSON))
@pytest.mark.parametrize("drop", [(), ("a", "id")], ids=["no-drop", "drop-the-field"])
def test_bad_document_fails_only_its_record_with_original_data(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode, payload: bytes, drop: tuple[str, ...]
) -> None:
    event = event_of(GOOD, payload, GOOD)
    records = make_engine(drop_fields=drop).process(event)["records"]
    assert [r["result"] for r in records] == ["Ok", "ProcessingFailed", "Ok"]
    assert records[1]["data"] == event["records"][1]["data"]  # byte-identical original
    assert decode(records[0]) == b'{"ok":true}\n'


BAD_BASE64 = {
    "not_base64": "%%%",
    "missing_padding": "eyJhIjoxfQ",
    "excess_padding": "eyJhIjoxfQ====",
    "padding_after_full_quantum": "e30=",  # valid: b"{}" - control case below
    "embedded_newline": "eyJh\nIjoxfQ==",
    "urlsafe_alphabet": "eyJhIjoi-_8ifQ==",
    "non_ascii": "eyJhIjoxfQ==é",
    "padding_in_the_middle": "e30=e30=",
}


@pytest.mark.parametrize("data", list(BAD_BASE64.values()), ids=list(BAD_BASE64))
def test_invalid_base64_fails_with_original_data(make_engine: EngineFactory, data: str) -> None:
    records = make_engine().process({"records": [{"recordId": "x", "data": data}]})["records"]
    if data == "e30=":
        assert records[0]["result"] == "Ok"
        return
    assert records == [{"recordId": "x", "result": "ProcessingFailed", "data": data}]


def test_canonical_base64_variants_are_accepted(make_engine: EngineFactory, decode: Decode) -> None:
    # Non-zero padding bits are tolerated by both decoders ("e31=" decodes like "e30=").
    for data in ("e30=", "e31=", "eyJhIjoxfQ=="):
        records = make_engine().process({"records": [{"recordId": "x", "data": data}]})["records"]
        assert records[0]["result"] == "Ok", data


ACCEPTED_EDGES: dict[str, tuple[bytes, bytes]] = {
    "uint64_max": (b'{"a": 18446744073709551615}', b'{"a":18446744073709551615}\n'),
    "int64_min": (b'{"a": -9223372036854775808}', b'{"a":-9223372036854775808}\n'),
    "int64_max_plus_one": (b'{"a": 9223372036854775808}', b'{"a":9223372036854775808}\n'),
    "float_1e19_is_a_float": (b'{"a": 1e19}', b'{"a":1e+19}\n'),
    "float_with_many_digits": (b'{"a": 123456789012345678901234.5}', b'{"a":1.2345678901234569e+23}\n'),
    "numeric_string": (b'{"a": "123456789012345678901234567890"}', b'{"a":"123456789012345678901234567890"}\n'),
    "valid_surrogate_pair_escape": (b'{"a": "\\ud83d\\ude00"}', '{"a":"😀"}\n'.encode()),
    "escaped_backslash_u": (b'{"a": "\\\\ud800"}', b'{"a":"\\\\ud800"}\n'),
    "plus_in_strings": (b'{"q": "a+b e+19"}', b'{"q":"a+b e+19"}\n'),
    "depth_254": (
        b'{"a": ' + b"[" * 253 + b"]" * 253 + b"}",
        b'{"a":' + b"[" * 253 + b"]" * 253 + b"}\n",
    ),
    "leading_and_trailing_whitespace": (b' \r\n\t{"a": 1} \r\n', b'{"a":1}\n'),
    "duplicate_keys_last_wins": (b'{"a": 1, "a": 2}', b'{"a":2}\n'),
    "negative_zero": (b'{"a": -0, "b": -0.0}', b'{"a":0,"b":-0.0}\n'),
    "tiny_float_underflows_to_zero": (b'{"a": 1e-400}', b'{"a":0.0}\n'),
}


@pytest.mark.parametrize(("payload", "expected"), list(ACCEPTED_EDGES.values()), ids=list(ACCEPTED_EDGES))
def test_edge_values_that_are_valid(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode, payload: bytes, expected: bytes
) -> None:
    record = make_engine().process(event_of(payload))["records"][0]
    assert record["result"] == "Ok"
    assert decode(record) == expected


def test_big_integer_in_a_dropped_field_still_fails(make_engine: EngineFactory, event_of: EventFactory) -> None:
    # orjson would read it as a float and the drop would hide it: both paths must still refuse the record.
    records = make_engine(drop_fields=("id",)).process(event_of(b'{"id": 18446744073709551616, "b": 1}'))["records"]
    assert records[0]["result"] == "ProcessingFailed"


def test_big_float_in_a_dropped_field_is_fine(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    records = make_engine(drop_fields=("f",)).process(event_of(b'{"f": 1.8446744073709552e19, "b": 1}'))["records"]
    assert decode(records[0]) == b'{"b":1}\n'


def test_failure_reasons_are_logged_without_content(
    make_engine: EngineFactory, event_of: EventFactory, log_stream: Any
) -> None:
    make_engine().process(event_of(b"", b"[1]", b'{"a": 18446744073709551616}', "%%", b"\xff"))
    summary = next(json.loads(line) for line in log_stream.getvalue().splitlines() if "batch transformed" in line)
    assert summary["failureReasons"] == {
        "empty": 1,
        "not_object": 1,
        "integer_out_of_range": 1,
        "invalid_base64": 1,
        "invalid_utf8": 1,
    }


def test_never_raises_on_garbage_records(make_engine: EngineFactory) -> None:
    garbage: list[Any] = [
        {"recordId": "a", "data": ["list"]},
        {"recordId": "b", "data": {"dict": 1}},
        {"recordId": "c", "data": b"bytes?"},
        {"recordId": "d", "data": "e30=", "kinesisRecordMetadata": "not a dict"},
        {"recordId": "e", "data": base64.b64encode(b"\x00" * 100).decode()},
        {"recordId": ["x"], "data": "e30="},
        1.5,
    ]
    response = make_engine().process({"records": garbage})
    assert [r["recordId"] for r in response["records"]] == ["a", "b", "c", "d", "e"]

"""The standard library's strict JSON and base64 (the pieces the fast path calls directly, and the checks)."""

from __future__ import annotations

import json

import pytest

from firehose_transform.json_limits import InvalidDocumentError
from firehose_transform.stdlib_json import (
    canonical_json,
    has_big_int,
    has_lone_surrogate,
    holds_out_of_range,
    may_hold_surrogate,
    scan,
    stdlib_b64decode,
    stdlib_dumps,
    stdlib_loads,
    too_deep,
)


def test_stdlib_loads_is_strict() -> None:
    assert stdlib_loads(b' {"a": [1, 2.5, "x"]} \n') == {"a": [1, 2.5, "x"]}
    assert stdlib_loads(b"[1]") == [1]  # any JSON value: the engine checks for objects
    for text in (
        b"NaN",
        b"[1e400]",
        b'"\\udfff"',
        b"\xed\xa0\x80",
        b"\xef\xbb\xbf{}",
        b"{} {}",
        b"",
        b"[18446744073709551616]",
    ):
        with pytest.raises(InvalidDocumentError):
            stdlib_loads(text)


def test_too_deep_and_has_big_int() -> None:
    assert not too_deep({"a": [1, {"b": []}]}, limit=4)  # object, array, object, array
    assert too_deep({"a": [1, {"b": []}]}, limit=3)
    assert has_big_int(b'{"a": [1, 99999999999999999999]}')
    assert not has_big_int(b'{"a": [1, 9999999999999999999.0]}')


def test_stdlib_dumps_refuses_what_orjson_refuses() -> None:
    for value in ({"nan": float("nan")}, {"s": "\udc00"}, {"set": {1}}, json.loads("[" * 300 + "]" * 300)):
        with pytest.raises((ValueError, TypeError)):
            stdlib_dumps(value)


def test_stdlib_base64_is_strict() -> None:
    assert stdlib_b64decode("e30=") == b"{}"
    for data in ("e30", "e30==", "e30=e30=", "e3 0=", "e30=\n", "YWJj===="):
        with pytest.raises(ValueError, match=r"(?i)padding|excess|invalid|incorrect|only base64|non-base64"):
            stdlib_b64decode(data)


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a":"\\ud800"}', True),
        (b'{"a":"\\uDC00"}', True),
        (b'{"a":"\\u00e9 \\n"}', False),
        (b'{"a":"\xc3\xa9"}', False),
    ],
)
def test_may_hold_surrogate(raw: bytes, expected: bool) -> None:
    assert may_hold_surrogate(raw) is expected


def test_lone_surrogates_are_found_in_every_member_duplicates_included() -> None:
    for raw in (b'{"a": "\\ud800"}', b'{"a": "\\ud800", "a": 1}', b'{"o": {"\\udfff": 1, "\\udfff": 2}}'):
        assert has_lone_surrogate(raw, json.loads(raw))
    for raw in (b'{"a": "\\ud83d\\ude00"}', b'{"a": "\\\\ud800"}', b'{"a": "\\u00e9"}'):
        assert not has_lone_surrogate(raw, json.loads(raw))


def test_an_out_of_range_integer_is_a_marker_until_it_is_known_to_stay() -> None:
    doc, _end = scan('{"id": 18446744073709551616, "id": 1, "x": [-9223372036854775809]}', 0)
    assert doc["id"] == 1
    assert holds_out_of_range(doc)  # the one in "x" stays
    del doc["x"]
    assert not holds_out_of_range(doc)
    with pytest.raises(InvalidDocumentError, match="integer_out_of_range"):
        stdlib_loads(b'{"x": [1, -9223372036854775809]}')
    with pytest.raises(TypeError):  # the encoder cannot write the marker: it never becomes a wrong number
        stdlib_dumps({"x": scan("[18446744073709551616]", 0)[0]})

"""The fast path: every hostile input keeps its result, neighbours are untouched, both paths agree.

Bad input: each case is that record's ProcessingFailed with its original data, on both codecs, never an
exception, whether or not a drop removes the offending field. Edge values that are valid stay Ok and exact.
The overflow guard costs one scan of a chunk whatever the data holds: ``+`` everywhere (URL query strings),
look-alikes of an overflowed integer and real big integers keep the other records of the chunk column-wise
(checked through the engine's ``fallbackChunks``/``exactRecords`` counters, not timings).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firehose_s3_client import sample_data
from firehose_transform import codec as codec_module
from firehose_transform import stdlib_json
from firehose_transform.codec import Codec
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.fast_path import CHUNK
from firehose_transform.observability import StructuredLogger
from firehose_transform.shapes import FirehoseResponse

CODECS: list[Codec] = [codec_module.STDLIB] + ([codec_module.FAST] if codec_module.FAST is not None else [])
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
    # A later duplicate key discards the bad value from the document; orjson still refuses it while parsing.
    "overflowing_float_in_a_discarded_duplicate": b'{"a": 1e400, "a": 1}',
    "nested_overflow_in_a_discarded_duplicate": b'{"a": {"b": [-1e999]}, "a": 1}',
    "lone_surrogate_in_a_discarded_duplicate": b'{"a": "\\ud800", "a": 1}',
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
    # A big integer that a later duplicate key discards is valid JSON that reaches no output (codec docstring).
    "big_int_in_a_discarded_duplicate": (b'{"id": 18446744073709551616, "id": 1}', b'{"id":1}\n'),
    "nested_big_int_in_a_discarded_duplicate": (b'{"a": {"x": [-9223372036854775809], "x": 2}}', b'{"a":{"x":2}}\n'),
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


def test_a_bad_record_in_a_chunk_does_not_change_its_neighbours(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    payloads: list[bytes | str | dict[str, Any]] = [{"i": i, "email": "x@y.z"} for i in range(CHUNK)]
    payloads[CHUNK // 2] = b"[1, 2]"
    records = make_engine(drop_fields=("email",)).process(event_of(*payloads))["records"]
    for index, record in enumerate(records):
        if index == CHUNK // 2:
            assert record["result"] == "ProcessingFailed"
        else:
            assert decode(record) == f'{{"i":{index}}}\n'.encode()


def test_fast_and_exact_paths_agree(codec: Codec, make_engine: EngineFactory, event_of: EventFactory) -> None:
    payloads: list[bytes | str | dict[str, Any]] = [
        {"a": 1, "email": "e@x.io", "ip": "10.0.0.1"},
        {"email": {"nested": [1e300]}},
        {"email": 1.5e19, "n": 1},
        b'{"email": 18446744073709551616}',
        b'{"e": "a+b", "f": 1e18}',
        {"ip": 5},
        b"{}",
        b"[]",
    ]
    event = event_of(*payloads)
    engine = make_engine(drop_fields=("email",), mask_fields=("ip",))
    fast = engine.process(event)
    engine.fast_loop = False
    exact = engine.process(event)
    assert fast == exact


def test_metrics_match_the_response_when_a_chunk_falls_back(
    make_engine: EngineFactory, event_of: EventFactory, log_stream: Any
) -> None:
    # An empty record makes the chunk go record by record: nothing may be counted twice.
    response = make_engine(drop_fields=("x",)).process(event_of({"a": 1}, b"", b" \n", {"a": 2}))
    emf = next(json.loads(line) for line in log_stream.getvalue().splitlines() if '"_aws"' in line)
    results = [r["result"] for r in response["records"]]
    assert results == ["Ok", "ProcessingFailed", "ProcessingFailed", "Ok"]
    assert (emf["RecordsOk"], emf["RecordsProcessingFailed"]) == (2, 2)
    assert emf["BytesOut"] == 2 * len(b'{"a":1}\n')


# ---------------------------------------------------------------------------------- cost independent of the data


def summary(log_stream: Any) -> dict[str, Any]:
    """The engine's last ``batch transformed`` log entry (logged at DEBUG when all is well)."""
    entries = [json.loads(line) for line in log_stream.getvalue().splitlines() if "batch transformed" in line]
    last: dict[str, Any] = entries[-1]
    return last


def weblog_event(count: int, **changes: bytes) -> dict[str, Any]:
    """``count`` realistic web-log records (query strings full of "+"); ``changes`` replace lines by index."""
    lines = list(sample_data.lines(sample_data.WEBLOG, seed=3, count=count))
    for index, line in changes.items():
        lines[int(index.removeprefix("at"))] = line
    return sample_data.firehose_event(lines)


def test_plus_signs_in_the_data_keep_every_chunk_column_wise(make_engine: EngineFactory, log_stream: Any) -> None:
    event = weblog_event(3 * CHUNK)
    assert all(b"+" in base64.b64decode(r["data"]) for r in event["records"][:3])
    response = make_engine(drop_fields=("email",), log_level="DEBUG").process(event)
    assert {r["result"] for r in response["records"]} == {"Ok"}
    assert (summary(log_stream)["fallbackChunks"], summary(log_stream)["exactRecords"]) == (0, 0)


def test_look_alikes_of_an_overflow_keep_the_chunk_column_wise(
    make_engine: EngineFactory, log_stream: Any, decode: Decode
) -> None:
    # Text that reads like a big exponent, and real floats of 1e18 or more: re-checked exactly, no fallback.
    look_alikes = [b'{"q": "iphone e+19 / 2e+18"}\n', b'{"f": 1.5e19, "g": -9.3e+18}\n', b'{"big": 1e300}\n']
    event = weblog_event(CHUNK, at5=look_alikes[0], at6=look_alikes[1], at7=look_alikes[2])
    records = make_engine(log_level="DEBUG").process(event)["records"]
    assert [json.loads(decode(records[i])) for i in (5, 6, 7)] == [json.loads(line) for line in look_alikes]
    assert (summary(log_stream)["fallbackChunks"], summary(log_stream)["exactRecords"]) == (0, 0)


@pytest.mark.parametrize(
    "big", [b'{"id": 18446744073709551616}\n', b'{"a": {"b": [-9223372036854775809]}}\n', b'{"n": 1' + b"0" * 30 + b"}"]
)
def test_only_the_record_with_a_big_integer_leaves_the_column_path(
    make_engine: EngineFactory, log_stream: Any, big: bytes
) -> None:
    event = weblog_event(2 * CHUNK, at70=big)
    records = make_engine(drop_fields=("email",), log_level="DEBUG").process(event)["records"]
    assert [r["result"] for r in records] == ["Ok"] * 70 + ["ProcessingFailed"] + ["Ok"] * (2 * CHUNK - 71)
    assert records[70]["data"] == event["records"][70]["data"]  # never altered: the original, byte for byte
    logged = summary(log_stream)
    assert (logged["fallbackChunks"], logged["exactRecords"]) == (1, 1)  # that chunk only, that record only
    assert logged["failureReasons"] == {"integer_out_of_range": 1}


# ---------------------------------------------------------------------------------- property: fast == exact stdlib

big_ints = st.one_of(
    st.integers(min_value=2**64, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**63) - 1),
    st.sampled_from([2**64, -(2**63) - 1, 10**20, 10**400]),
)
edge_ints = st.sampled_from([2**64 - 1, -(2**63), 2**63, 9_999_999_999_999_999_999, 10**18]) | st.integers()
exponent_floats = st.floats(min_value=1e15, max_value=1e25) | st.floats(min_value=-1e25, max_value=-1e15)
plus_text = st.text(st.sampled_from("ae+19%2B.0 "), max_size=12) | st.sampled_from(["a+b", "e+19", "1e+20", "x e+300"])
leaves = (
    st.none()
    | st.booleans()
    | edge_ints
    | big_ints
    | exponent_floats
    | st.floats(allow_nan=False, allow_infinity=False)
    | plus_text
)
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plus_text, inner, max_size=3), max_leaves=8
)
documents = st.dictionaries(st.sampled_from(["email", "q", "n", "f", "x"]) | plus_text, values, max_size=5)


def quiet_engine(codec: Codec, **config: Any) -> Engine:
    return Engine(TransformConfig(**config), codec=codec, logger=StructuredLogger("ERROR", io.StringIO()))


def same_documents(fast: FirehoseResponse, exact: FirehoseResponse) -> bool:
    """Same ids, results and data; Ok data compared as documents (orjson writes 1e-05 as 0.00001)."""
    pairs = zip(fast["records"], exact["records"], strict=True)
    for a, b in pairs:
        if (a["recordId"], a["result"]) != (b["recordId"], b["result"]):
            return False
        if a["result"] != "Ok":
            if a["data"] != b["data"]:
                return False
        elif json.loads(base64.b64decode(a["data"])) != json.loads(base64.b64decode(b["data"])):
            return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=st.lists(documents, min_size=1, max_size=CHUNK + 8), drop=st.booleans())
def test_both_fast_paths_agree_with_the_exact_stdlib_path(docs: list[dict[str, Any]], drop: bool) -> None:
    lines = [json.dumps(doc).encode() for doc in docs]
    event = sample_data.firehose_event(lines)
    config: dict[str, Any] = {"drop_fields": ("email",) if drop else ()}
    exact = quiet_engine(codec_module.STDLIB, **config)
    exact.fast_loop = False
    expected = exact.process(event)
    # Every out-of-range integer fails its own record, wherever it is (a dropped field included).
    for line, record in zip(lines, expected["records"], strict=True):
        assert (record["result"] == "ProcessingFailed") == stdlib_json.has_big_int(line)
    for codec in CODECS:
        engine = quiet_engine(codec, **config)
        assert engine.fast_loop
        assert same_documents(engine.process(event), expected)

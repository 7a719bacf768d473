"""documents.py, the one definition of a record the transform accepts: it agrees with the engine on every input.

The engine decides with its own code (fast loop and exact path); these tests check that ``parse_record``
reaches the same verdict, with the same documents, on both codecs, and that any aggregate of lines
``parse_line`` accepts is accepted whole - which is what lets ``firehose-s3 put`` check lines one by one.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firehose_transform import codec as codec_module
from firehose_transform import documents
from firehose_transform.codec import Codec, InvalidDocumentError
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

CODECS: list[Codec] = [codec_module.STDLIB] + ([codec_module.FAST] if codec_module.FAST is not None else [])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# (line, reason) for lines the transform rejects; each would fail a whole aggregate.
REJECTED: dict[str, tuple[bytes, str]] = {
    "utf16_le": ('{"a": 1}'.encode("utf-16-le"), "invalid_json"),
    "utf16_with_bom": ('{"a": 1}'.encode("utf-16"), "invalid_utf8"),
    "utf8_bom": (b'\xef\xbb\xbf{"a": 1}', "invalid_json"),
    "latin1": (b'{"name": "caf\xe9"}', "invalid_utf8"),
    "nan": (b'{"a": NaN}', "invalid_json"),
    "infinity": (b'{"a": -Infinity}', "invalid_json"),
    "overflow": (b'{"a": 1e400}', "invalid_json"),
    "bare_number": (b"42", "not_object"),
    "bare_array": (b"[1, 2]", "not_object"),
    "bare_string": (b'"text"', "not_object"),
    "null": (b"null", "not_object"),
    "lone_surrogate": (b'{"a": "\\ud800"}', "invalid_json"),
    "big_int": (b'{"id": 18446744073709551616}', "integer_out_of_range"),
    "too_deep": (b'{"a": ' + b"[" * 254 + b"]" * 254 + b"}", "too_deep"),
    "two_documents": (b'{"a": 1} {"b": 2}', "invalid_json"),
    "truncated": (b'{"a": [1, 2', "invalid_json"),
    "single_quotes": (b"{'a': 1}", "invalid_json"),
    "control_character": (b'{"a": "x\x01y"}', "invalid_json"),
    "form_feed_only": (b"\x0c", "invalid_json"),
}
ACCEPTED = [
    b'{"a": 1}',
    b'  {"a": 1}\r',  # surrounding JSON whitespace (a CRLF file's line keeps its CR)
    b'{"e": "\\ud83d\\ude00", "n": -9223372036854775808, "m": 18446744073709551615}',
    b'{"a": ' + b"[" * 253 + b"]" * 253 + b"}",
    b'{"nested": {"x": [1, 2.5, null, true, "\xc3\xa9"]}}',
    b"{}",
]


def engine(codec: Codec) -> Engine:
    return Engine(TransformConfig(), codec=codec, logger=StructuredLogger("ERROR", io.StringIO()))


def transform(codec: Codec, raw: bytes) -> dict[str, Any]:
    event = {"records": [{"recordId": "r0", "data": base64.b64encode(raw).decode(), "approximateArrivalTimestamp": 1}]}
    return dict(engine(codec).process(event)["records"][0])


def verdict(function: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", function(raw)
    except InvalidDocumentError as error:
        return "rejected", error.reason


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_lines_are_rejected_by_the_engine_for_the_same_reason(codec: Codec, name: str) -> None:
    line, reason = REJECTED[name]
    assert verdict(lambda raw: documents.parse_line(raw, codec), line) == ("rejected", reason)
    assert verdict(engine(codec).documents, line) == ("rejected", reason)
    assert transform(codec, line)["result"] == "ProcessingFailed"
    # ... and it fails a whole aggregate of otherwise good lines.
    aggregate = b'{"ok": 1}\n' + line + b'\n{"ok": 2}\n'
    assert verdict(lambda raw: documents.parse_record(raw, codec), aggregate)[0] == "rejected"
    assert transform(codec, aggregate)["result"] == "ProcessingFailed"


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
@pytest.mark.parametrize("line", ACCEPTED, ids=range(len(ACCEPTED)))
def test_accepted_lines_are_accepted_by_the_engine(codec: Codec, line: bytes) -> None:
    assert documents.check_line(line, codec) is None
    assert transform(codec, line)["result"] == "Ok"
    assert documents.parse_record(line + b"\n", codec) == engine(codec).documents(line + b"\n")


def test_blank_lines_are_only_json_whitespace() -> None:
    assert documents.is_blank(b"")
    assert documents.is_blank(b" \t\r\n")
    assert not documents.is_blank(b"\x0c")  # bytes.strip() would call it blank; JSON does not
    assert not documents.is_blank(b"\xc2\xa0")
    with pytest.raises(InvalidDocumentError) as excinfo:
        documents.parse_line(b"  ")
    assert excinfo.value.reason == "empty"
    with pytest.raises(InvalidDocumentError) as excinfo:
        documents.parse_record(b"\n \n")
    assert excinfo.value.reason == "empty"


def test_a_line_holding_a_newline_is_not_a_line() -> None:
    with pytest.raises(InvalidDocumentError):
        documents.parse_line(b'{"a": 1}\n{"b": 2}')


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b'\xef\xbb\xbf{"a": 1}', "byte-order mark"),
        ('{"a": 1}'.encode("utf-16-le"), "UTF-16"),
        ('{"a": 1}'.encode("utf-16"), "UTF-16"),
        (b'{"a": "caf\xe9"}', "byte 0xe9 at byte 11"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": 1e400}', "overflows to infinity"),
        (b'{"a": "\\udc00"}', "lone UTF-16 surrogate"),
        (b"[1]", "an array, not a JSON object"),
        (b"3.5", "a number, not a JSON object"),
        (b"true", "true/false, not a JSON object"),
        (b'{"id": 18446744073709551616}', "an integer outside [-9223372036854775808, 18446744073709551615]"),
        (b'{"id": ' + b"1" * 5000 + b"}", "an integer outside"),
        (b'{"a": 1} {"b": 2}', "more than one JSON value on the line (the second starts at column 10)"),
        (b'{"a": [1, 2', "not valid JSON (Expecting ',' delimiter at column 12)"),
        (b'{"a": "x\x01"}', "not valid JSON (Invalid control character at column 9)"),
        (b"[" * 300 + b"]" * 300, "nested deeper than 254"),
        (b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}", "nested deeper than 254"),
    ],
)
def test_rejections_are_explained(line: bytes, fragment: str) -> None:
    rejection = documents.check_line(line)
    assert rejection is not None
    assert fragment in rejection.explanation
    assert "\n" not in rejection.explanation


# ---------------------------------------------------------------------------------------------- properties

# Fragments that make valid and invalid JSON lines, including every trap above.
_GOOD_VALUES = st.sampled_from(["1", "-2.5e3", "true", "null", '"x"', '"\\u00e9"', '"\\ud83d\\ude00"', "[]", "{}"])
_BAD_VALUES = st.sampled_from(
    ["NaN", "1e400", '"\\ud800"', "18446744073709551616", "'q'", "01", "[1,]", '"\x01"', "Infinity"]
)
_values = st.one_of(_GOOD_VALUES, _BAD_VALUES)
# Keys may repeat: the value a later key discards must be judged too (see the repeated-key test below).
_objects = st.lists(st.tuples(st.sampled_from(["a", "b", "é"]), _values), max_size=3).map(
    lambda pairs: "{" + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}"
)
_texts = st.one_of(_objects, _values, _objects.map(lambda o: o + " " + o), _objects.map(lambda o: o[:-1]))
_lines = st.one_of(
    _texts.map(lambda t: t.encode("utf-8")),
    _texts.map(lambda t: t.encode("utf-16-le")),
    _texts.map(lambda t: b"\xef\xbb\xbf" + t.encode()),
    _texts.map(lambda t: t.encode() + b"\r"),
    st.sampled_from([b"", b"  ", b"\xff", b"\x0c", b"\r"]),
)
_records = st.one_of(
    _lines,
    st.lists(_lines, min_size=1, max_size=5).map(b"\n".join),
    st.lists(_lines, min_size=1, max_size=5).map(lambda ls: b"".join(line + b"\n" for line in ls)),
)


@SETTINGS
@given(raw=_records)
@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_parse_record_agrees_with_the_engine(codec: Codec, raw: bytes) -> None:
    ours = verdict(lambda data: documents.parse_record(data, codec), raw)
    assert ours == verdict(engine(codec).documents, raw)
    result = transform(codec, raw)["result"]
    assert result == ("Ok" if ours[0] == "ok" else "ProcessingFailed")


@SETTINGS
@given(lines=st.lists(_lines, min_size=1, max_size=8))
@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_any_aggregate_of_accepted_lines_is_accepted_whole(codec: Codec, lines: list[bytes]) -> None:
    accepted = [line for line in lines if not documents.is_blank(line) and documents.check_line(line, codec) is None]
    if not accepted:
        return
    aggregate = b"".join(line + b"\n" for line in accepted)
    docs = documents.parse_record(aggregate, codec)
    assert docs == [documents.parse_line(line, codec) for line in accepted]
    response = transform(codec, aggregate)
    assert response["result"] == "Ok"
    delivered = base64.b64decode(response["data"]).splitlines()
    assert [json.loads(line) for line in delivered] == docs


@SETTINGS
@given(line=_lines)
@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_the_fast_line_acceptor_gives_parse_line_s_verdict(codec: Codec, line: bytes) -> None:
    if documents.is_blank(line) or b"\n" in line:
        return  # outside the acceptor's contract: the caller skips blank lines and splits on newlines
    assert documents.line_acceptor(codec)(line) is (documents.check_line(line, codec) is None)


# Repeated keys, where the property above once found the paths disagreeing: the value a later key discards
# escaped the standard-library fast loop's float check, and the standard-library codec's surrogate check.
DUPLICATE_KEY_CASES = {
    "stdlib fast loop vs exact path": (b'{"a": 1e400, "a": 1}', codec_module.STDLIB),
    "stdlib codec vs orjson codec": (b'{"a": "\\ud800", "a": 1}', codec_module.STDLIB),
}


@pytest.mark.parametrize("name", sorted(DUPLICATE_KEY_CASES))
def test_a_repeated_key_does_not_hide_an_invalid_value(name: str) -> None:
    raw, codec = DUPLICATE_KEY_CASES[name]
    verdicts = {transform(codec, raw)["result"]}
    verdicts |= {transform(other, raw)["result"] for other in CODECS}
    verdicts.add("Ok" if documents.check_line(raw, codec) is None else "ProcessingFailed")
    assert verdicts == {"ProcessingFailed"}

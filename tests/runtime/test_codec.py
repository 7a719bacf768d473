"""The two codecs: what orjson does that the design relies on, and the standard-library path behaving the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firehose_transform import codec as codec_module
from firehose_transform.codec import INT_MAX, INT_MIN, MAX_DEPTH, Codec, InvalidDocumentError
from firehose_transform.stdlib_json import has_big_int

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "lambda_src"

SAME_BYTES_DOCS: list[Any] = [
    {"a": 1, "b": "text", "c": None, "d": True, "e": False},
    {"unicode": "é ü ß 中文 😀 \u2028\u2029 \ufeff", "ctrl": "".join(map(chr, range(32))) + '"\\/\x7f'},
    {"ints": [0, -1, INT_MIN, INT_MAX, 2**63, 10**18], "nested": {"list": [[], {}, [{}]]}},
    {"floats": [0.0, -0.0, 0.1, 1.5, 1e16, 1.5e16, 9.9e15, 1e22, 1.7976931348623157e308, 0.0001, 5e-324, 1e-10]},
    {"": "empty key", "key with spaces": 1, "é": 2},
]


@pytest.mark.parametrize("doc", SAME_BYTES_DOCS)
def test_both_codecs_write_the_same_bytes(both_codecs: tuple[Codec, Codec], doc: Any) -> None:
    fast, stdlib = both_codecs
    assert fast.dumps(doc) == stdlib.dumps(doc)
    text = json.dumps(doc).encode()
    assert fast.loads(text) == stdlib.loads(text) == doc


def test_tiny_floats_are_the_one_formatting_difference(both_codecs: tuple[Codec, Codec]) -> None:
    fast, stdlib = both_codecs
    for value in (1e-5, 2.5e-5, 1e-6, 3e-8, 1.5e-9):
        assert fast.dumps(value) != stdlib.dumps(value)
        assert json.loads(fast.dumps(value)) == json.loads(stdlib.dumps(value)) == value


def test_output_is_compact_utf8(codec: Codec) -> None:
    assert codec.dumps({"a": [1, {"b": "é"}]}) == '{"a":[1,{"b":"é"}]}'.encode()


def test_orjson_behaviour_the_fast_path_relies_on() -> None:
    """If a new orjson changes any of this, the fast path's validation must be revisited."""
    orjson = pytest.importorskip("orjson")
    # orjson silently reads integers beyond [-2**63, 2**64 - 1] as floats: the fast path must catch them.
    assert orjson.loads(b"18446744073709551616") == 1.8446744073709552e19
    assert isinstance(orjson.loads(b"-9223372036854775809"), float)
    assert orjson.loads(b"18446744073709551615") == 2**64 - 1
    # ...and writes floats of magnitude >= 1e16 with an exponent "e+" (the cheap output check).
    assert orjson.dumps(1.8446744073709552e19) == b"1.8446744073709552e+19"
    assert orjson.dumps(-9.223372036854776e18) == b"-9.223372036854776e+18"
    assert orjson.dumps(9.9e15) == b"9900000000000000.0"
    # It rejects NaN, infinity, overflowing floats, lone surrogates, invalid UTF-8 and the BOM by itself.
    for text in (b"NaN", b"[Infinity]", b"-Infinity", b"1e400", b'"\\ud800"', b'"\xed\xa0\x80"', b"\xef\xbb\xbf1"):
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(text)
    # It cannot write more than 254 nested containers (the MAX_DEPTH both paths enforce).
    assert orjson.dumps(json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH))
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)))
    # It writes NaN as null: the engine checks user-function output for it.
    assert orjson.dumps(float("nan")) == b"null"


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 2000])
@pytest.mark.parametrize("bracket", ["[]", '{"k":}'])
def test_depth_limit_is_the_same_on_both_paths(codec: Codec, depth: int, bracket: str) -> None:
    opening, closing = (bracket[0], bracket[-1]) if bracket == "[]" else ('{"k":', "}")
    inner = "1" if bracket != "[]" else ""
    text = (opening * depth + inner + closing * depth).encode()
    if depth <= MAX_DEPTH:
        assert codec.loads(text) is not None
    else:
        with pytest.raises(InvalidDocumentError):
            codec.loads(text)


def _run(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "FIREHOSE_TRANSFORM_PURE_PYTHON"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=TRANSFORM_DIR, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_pure_python_switch_is_read_at_import() -> None:
    code = "import sys, firehose_transform.codec as c; print(c.DEFAULT.name, 'orjson' in sys.modules)"
    assert _run(code, FIREHOSE_TRANSFORM_PURE_PYTHON="1") == "stdlib False"
    if codec_module.FAST is not None or os.environ.get("FIREHOSE_TRANSFORM_PURE_PYTHON") == "1":
        expected = "orjson True" if _orjson_installed() else "stdlib False"
        assert _run(code) == expected


def _orjson_installed() -> bool:
    try:
        import orjson  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------- fast-path checks


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (b'{"id":1.8446744073709552e+19}', True),  # how orjson writes 2**64 read as a float
        (b'{"id":-9.223372036854776e+18}', True),  # -(2**63) - 1
        (b'{"id":1e+20}', True),
        (b'{"f":1.5e+300}', True),  # a legitimate big float matches too: then the input is re-checked exactly
        (b'{"f":1e+17}', False),  # below 2**63: cannot be an overflowed integer
        (b'{"q":"blue+jeans size+19 e+19"}', False),  # "+" in text, even "e+19" without a digit before the "e"
        (b'{"q":"iphone1e+19"}', True),  # text that looks exactly like one: re-checked exactly
        (b"", False),
    ],
)
def test_may_hold_big_int(out: bytes, expected: bool) -> None:
    assert codec_module.may_hold_big_int(out) is expected


big_integers = st.integers(min_value=2**64, max_value=10**40) | st.integers(min_value=-(10**40), max_value=-(2**63) - 1)
texts_with_plus = st.text(st.sampled_from("e+1289 .%2Bab"), max_size=16)


@settings(max_examples=200, deadline=None)
@given(
    before=st.dictionaries(texts_with_plus, texts_with_plus | st.floats(allow_nan=False, allow_infinity=False)),
    big=big_integers,
    nested=st.booleans(),
)
def test_every_overflowed_integer_is_caught_by_the_output_check(before: dict[str, Any], big: int, nested: bool) -> None:
    """Soundness of the fast path's guard: orjson's output of a document with a big integer always matches."""
    orjson = pytest.importorskip("orjson")
    doc = {**before, "big": [{"v": big}] if nested else big}
    raw = json.dumps(doc).encode()
    assert has_big_int(raw)
    assert codec_module.may_hold_big_int(orjson.dumps(orjson.loads(raw)))
    with pytest.raises(InvalidDocumentError, match="integer_out_of_range"):
        codec_module.STDLIB.loads(raw)


DUPLICATES = {
    "discarded_big_int": (b'{"id": 18446744073709551616, "id": 1}', {"id": 1}),
    "kept_big_int": (b'{"id": 1, "id": 18446744073709551616}', None),
    "discarded_nested_big_int": (b'{"a": {"x": [-9223372036854775809], "x": 2}}', {"a": {"x": 2}}),
    "discarded_overflowing_float": (b'{"a": 1e400, "a": 1}', None),
    "discarded_lone_surrogate": (b'{"a": "\\ud800", "a": 1}', None),
    "discarded_lone_surrogate_key": (b'{"a": {"\\udc00": 1}, "a": 1}', None),
    "discarded_int_beyond_the_float_range": (b'{"a": ' + b"9" * 400 + b', "a": 1}', None),
}


@pytest.mark.parametrize(("raw", "expected"), list(DUPLICATES.values()), ids=list(DUPLICATES))
def test_a_discarded_duplicate_is_judged_alike_on_both_codecs(codec: Codec, raw: bytes, expected: Any) -> None:
    """Invalid text is refused wherever it is; an out-of-range integer only if it stays in the document."""
    if expected is None:
        with pytest.raises(InvalidDocumentError):
            codec.loads(raw)
    else:
        assert codec.loads(raw) == expected


json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=4)


@settings(max_examples=200, deadline=None)
@given(first=json_scalars, second=json_scalars, nested=st.booleans())
def test_both_codecs_agree_on_any_duplicate_key(first: Any, second: Any, nested: bool) -> None:
    if codec_module.FAST is None:
        pytest.skip("orjson is not available or FIREHOSE_TRANSFORM_PURE_PYTHON=1")
    values = [json.dumps(v, allow_nan=True).encode("utf-8", "surrogatepass") for v in (first, second)]
    body = b'{"k": ' + values[0] + b', "k": ' + values[1] + b"}"
    raw = b'{"o": ' + body + b"}" if nested else body
    verdicts = []
    for codec in (codec_module.FAST, codec_module.STDLIB):
        try:
            verdicts.append(("ok", codec.loads(raw)))
        except InvalidDocumentError:
            verdicts.append(("invalid", None))
    assert verdicts[0] == verdicts[1]

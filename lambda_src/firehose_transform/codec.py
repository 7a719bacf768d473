"""Strict JSON and base64 codecs: orjson + pybase64 when importable, the standard library otherwise.

``FIREHOSE_TRANSFORM_PURE_PYTHON=1`` (read once, at import) forces the standard-library codec; orjson and
pybase64 are then not even imported.

Both codecs accept exactly the same documents and write the same bytes:

* input: RFC 8259 JSON in UTF-8, with no byte-order mark, no ``NaN``/``Infinity``, no number that
  overflows to infinity (``1e400``), no lone UTF-16 surrogate (``"\\ud800"``), every integer within
  ``[-2**63, 2**64 - 1]`` (what orjson reads exactly; it would silently turn larger ones into floats) and
  at most :data:`MAX_DEPTH` nested arrays/objects (orjson cannot write deeper documents). Invalid text is
  refused wherever it is, even in a value a later duplicate key discards (``{"a": 1e400, "a": 1}``: orjson
  cannot parse it); an out-of-range integer only when it is in the document (``{"id": 2**64, "id": 1}``
  gives ``{"id": 1}``: the discarded integer is valid JSON and reaches no output, so nothing is altered);
* output: compact JSON (no spaces), non-ASCII characters as UTF-8, the same escapes, the same bytes.
  The one known difference: a float whose magnitude is between 1e-10 and 1e-4 is written ``1e-05`` /
  ``2.5e-07`` by the standard library and ``0.00001`` / ``2.5e-7`` by orjson (the same value).

orjson already rejects NaN, infinity, lone surrogates, invalid UTF-8 and the byte-order mark, so the only
check the fast path adds is for big integers. It is done on the *output*: orjson writes every float of
magnitude >= 1e16 as ``<digits>e+<exponent>``, so an overflowed integer always shows as an exponent of 18 or
more (:func:`may_hold_big_int`). The engine scans a whole chunk's output at once (one ``memchr`` for ``+``,
then one regex pass that jumps from ``+`` to ``+``), and re-parses exactly, with the standard library, only
a record whose own output matches (:func:`has_big_int`): the cost does not depend on how many ``+`` the
data holds. Values a step removes from a document (a dropped field) are checked by
:meth:`Codec.removed_value_ok` for the same reason.
"""

from __future__ import annotations

import _thread
import json
import os
import re
from json import encoder as _json_encoder

from firehose_transform.contract import PURE_PYTHON as PURE_PYTHON_ENV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

PURE_PYTHON: Final = os.environ.get(PURE_PYTHON_ENV, "").strip() == "1"

INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**64 - 1
#: Deepest nesting of arrays/objects accepted (the top-level object counts as 1); orjson's writer limit.
MAX_DEPTH: Final = 254
#: Failure reasons (logged, never with the record content).
REASON_INVALID_JSON: Final = "invalid_json"
REASON_INVALID_UTF8: Final = "invalid_utf8"
REASON_INT_RANGE: Final = "integer_out_of_range"
REASON_TOO_DEEP: Final = "too_deep"
REASON_NOT_OBJECT: Final = "not_object"
REASON_EMPTY: Final = "empty"

_JSON_WS: Final = " \t\n\r"
# Patterns for the rare paths, compiled on first use (re caches them): cold start.
# A float written with an exponent of 18 or more: orjson writes every float of magnitude >= 1e16 as
# "<digits>e+<exponent>", so an overflowed integer (magnitude >= 2**63 > 9.2e18) always shows as "e+18" or more.
# The pattern starts with the literal "+" (the lookbehind then checks the "e" and the digit before it): the
# regex engine skips from one "+" to the next instead of trying a match at every byte, 10x faster.
_BIG_EXPONENT: Final = rb"\+(?<=[0-9]e\+)(?:1[89]|[2-9][0-9]|[0-9]{3})"
# A \uD800-\uDFFF escape in the raw JSON text (may be a valid pair: checked exactly afterwards).
_SURROGATE_ESCAPE: Final = rb"\\u[dD][89abcdefABCDEF]"
_FLOAT_LIMIT: Final = 9.2e18  # below 2**63: floats at or beyond it may come from an overflowed integer


class InvalidDocumentError(ValueError):
    """The bytes are not one valid JSON document; ``reason`` says why (no content in the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject_constant(name: str) -> Any:
    raise InvalidDocumentError(REASON_INVALID_JSON)


class OutOfRangeInteger:
    """What the standard-library scanner makes of an integer outside [INT_MIN, INT_MAX] (one shared instance).

    The scanner's hooks cannot know whether a later duplicate key discards the value, so the integer is
    replaced by this marker: :func:`stdlib_loads` refuses a document still holding one, and the encoder cannot
    write it (a surviving marker fails its record, it never becomes a wrong number).
    """

    __slots__ = ()


OUT_OF_RANGE: Final = OutOfRangeInteger()
#: Per thread: whether the parse in progress met an out-of-range integer (the hooks take no context).
_PARSE: Final = _thread._local()


def _parse_int(text: str) -> int | OutOfRangeInteger:
    value = int(text)  # more than 4300 digits raises ValueError: invalid JSON for orjson too (infinity)
    if len(text) > 18 and not INT_MIN <= value <= INT_MAX:
        try:
            float(value)
        except OverflowError:  # beyond the float range: orjson cannot parse it at all, wherever it is
            raise InvalidDocumentError(REASON_INT_RANGE) from None
        _PARSE.big_int = True
        return OUT_OF_RANGE
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if value - value:  # infinity - infinity is NaN, which is true; 0.0 is false (cheapest test: per float)
        raise InvalidDocumentError(REASON_INVALID_JSON)
    return value


def _no_default(obj: Any) -> Any:
    raise TypeError(f"{type(obj).__name__} is not a JSON type")


_STRICT_DECODER: Final = json.JSONDecoder(
    parse_float=_parse_float, parse_int=_parse_int, parse_constant=_reject_constant, strict=True
)
#: The C scanner with the hooks above: ``scan(text, index) -> (value, end)``. The float hook costs a Python call
#: per float, but only a hook sees a value that a later duplicate key discards: ``{"a": 1e400, "a": 1}`` must
#: fail as orjson fails it, although no infinity is left in the document.
scan: Final[Callable[[str, int], tuple[Any, int]]] = _STRICT_DECODER.scan_once  # type: ignore[attr-defined]
#: A scanner keeping every member of every object, duplicates included, as lists of (key, value) pairs.
_scan_pairs: Final[Callable[[str, int], tuple[Any, int]]] = json.JSONDecoder(  # type: ignore[attr-defined]
    object_pairs_hook=list, strict=True
).scan_once
#: The C encoder: compact, UTF-8 (not ASCII-escaped), NaN/Infinity rejected, no circular check.
_c_make_encoder: Any = _json_encoder.c_make_encoder  # type: ignore[attr-defined]
if _c_make_encoder is None:  # pragma: no cover - CPython always has _json
    _py_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_no_default)

    def _encode_chunks(obj: Any, _indent: int) -> list[str]:
        return [_py_encoder.encode(obj)]

    encode_chunks: Callable[[Any, int], list[str]] = _encode_chunks
else:
    encode_chunks = _c_make_encoder(
        None, _no_default, _json_encoder.encode_basestring, None, ":", ",", False, False, False
    )


def too_deep(obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``obj`` nests more than ``limit`` arrays/objects (iterative: safe on any depth)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def holds_out_of_range(obj: Any) -> bool:
    """Whether ``obj`` (parsed by the standard-library scanner) still holds an :data:`OUT_OF_RANGE` integer."""
    stack = [obj]
    while stack:
        value = stack.pop()
        if value is OUT_OF_RANGE:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def maybe_deep(data: bytes) -> bool:
    """Whether JSON text ``data`` may nest more than :data:`MAX_DEPTH` containers (cheap upper bound).

    Along the deepest path, an array level takes at least 2 bytes (``[]``) and an object level at least 5
    (``{"":}``), and each array level has its own ``[``: depth <= count("[") + len / 5.
    """
    return len(data) > 2 * MAX_DEPTH and data.count(b"[") + len(data) // 5 > MAX_DEPTH


def stdlib_loads(raw: bytes) -> Any:
    """Parse one JSON text with the exact rules of the module docstring (standard library only)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidDocumentError(REASON_INVALID_UTF8) from None
    index = 0 if text[:1] == "{" else len(text) - len(text.lstrip(_JSON_WS))
    _PARSE.big_int = False
    try:
        obj, end = scan(text, index)
    except InvalidDocumentError:
        raise
    except RecursionError:
        raise InvalidDocumentError(REASON_TOO_DEEP) from None
    except (StopIteration, ValueError):
        raise InvalidDocumentError(REASON_INVALID_JSON) from None
    if end != len(text) and text[end:].strip(_JSON_WS):
        raise InvalidDocumentError(REASON_INVALID_JSON)
    if _PARSE.big_int and holds_out_of_range(obj):
        raise InvalidDocumentError(REASON_INT_RANGE)
    if 92 in raw and has_lone_surrogate(raw, obj):  # 92 is the backslash
        raise InvalidDocumentError(REASON_INVALID_JSON)
    if maybe_deep(raw) and too_deep(obj):
        raise InvalidDocumentError(REASON_TOO_DEEP)
    return obj


def may_hold_surrogate(raw: bytes) -> bool:
    """Whether JSON text ``raw`` (one document or many) may hold a lone surrogate: a \\uD800-\\uDFFF escape."""
    return 92 in raw and re.search(_SURROGATE_ESCAPE, raw) is not None  # 92 is the backslash: one memchr first


def has_lone_surrogate(raw: bytes, obj: Any) -> bool:
    """Whether the JSON text ``raw`` (``obj`` once parsed) holds a lone surrogate, from a ``\\uD800`` escape.

    Checked on every member of the text, including one a later duplicate key discards from ``obj``
    (``{"a": "\\ud800", "a": 1}``): orjson rejects it while parsing.
    """
    if not re.search(_SURROGATE_ESCAPE, raw):
        return False
    text = raw.decode("utf-8")
    members = _scan_pairs(text, len(text) - len(text.lstrip(_JSON_WS)))[0]
    try:
        "".join(encode_chunks(members, 0)).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def has_big_int(raw: bytes) -> bool:
    """Whether the JSON text ``raw`` (already known to be valid JSON) holds an integer out of range."""
    try:
        stdlib_loads(raw)
    except InvalidDocumentError as exc:
        return exc.reason == REASON_INT_RANGE
    return False


def stdlib_dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON; raises ValueError/TypeError on what orjson would refuse to write."""
    out = "".join(encode_chunks(obj, 0)).encode("utf-8")
    if maybe_deep(out) and too_deep(obj):
        raise ValueError("document nested too deeply")
    return out


def stdlib_line(obj: Any) -> bytes:
    """Compact UTF-8 JSON plus a newline (no depth check: for documents parsed by :func:`stdlib_loads`)."""
    chunks = encode_chunks(obj, 0)
    chunks.append("\n")
    return "".join(chunks).encode("utf-8")


def canonical_json(value: Any) -> str:
    """Deterministic compact JSON text of ``value`` (sorted keys), identical on both codecs."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


_base64_functions: list[Callable[..., bytes]] = []


def stdlib_base64() -> tuple[Callable[[str], bytes], Callable[[bytes], bytes]]:
    """binascii's strict decoder and newline-free encoder (binascii is imported on first use: cold start)."""
    if not _base64_functions:
        import binascii
        import functools

        _base64_functions.append(functools.partial(binascii.a2b_base64, strict_mode=True))
        _base64_functions.append(functools.partial(binascii.b2a_base64, newline=False))
        _base64_functions.append(binascii.b2a_base64)
        _base64_functions.append(binascii.a2b_base64)
    return _base64_functions[0], _base64_functions[1]


def stdlib_b64encode_newline() -> Callable[[bytes], bytes]:
    """binascii's encoder as is: its output ends with a newline (no keyword argument: faster in a ``map``)."""
    stdlib_base64()
    return _base64_functions[2]


def stdlib_a2b_base64() -> Callable[..., bytes]:
    """binascii's decoder as is, for hot loops that call it with ``strict_mode=True`` themselves.

    A keyword in the call is cheaper than a ``functools.partial`` with keywords, which builds a dict per call.
    """
    stdlib_base64()
    return _base64_functions[3]


def overpadded(data: str) -> bool:
    """Padding binascii's strict mode still accepts (after a full quantum) but base64 does not allow."""
    return bool(len(data) & 3) or data.endswith("===")


def stdlib_b64decode(data: str) -> bytes:
    """Strict base64: the standard alphabet, correct padding, nothing else (not even a newline)."""
    raw = stdlib_base64()[0](data)
    if overpadded(data):
        raise ValueError("excess padding")
    return raw


def stdlib_b64encode(raw: bytes) -> str:
    return stdlib_base64()[1](raw).decode("ascii")


class Codec:
    """The primitives the engine needs; two instances exist: :data:`STDLIB` and (if importable) orjson's.

    The engine's hot loops bind the underlying functions directly; these methods are the readable
    (and slower) version used everywhere else.
    """

    name: str
    fast: bool

    def b64decode(self, data: str) -> bytes:
        raise NotImplementedError

    def b64encode(self, raw: bytes) -> str:
        raise NotImplementedError

    def loads(self, raw: bytes) -> Any:
        """Parse and fully validate one JSON text; raises :class:`InvalidDocumentError`."""
        raise NotImplementedError

    def dumps(self, obj: Any) -> bytes:
        """Compact JSON without a newline; raises TypeError/ValueError for what cannot be written."""
        raise NotImplementedError

    def removed_value_ok(self, value: Any) -> bool:
        """Whether removing ``value`` (parsed by the hot loop) cannot hide an invalid input value."""
        raise NotImplementedError


class StdlibCodec(Codec):
    """``json`` + ``binascii``: slower, always available, exact at parse time."""

    name = "stdlib"
    fast = False

    def b64decode(self, data: str) -> bytes:
        return stdlib_b64decode(data)

    def b64encode(self, raw: bytes) -> str:
        return stdlib_b64encode(raw)

    def loads(self, raw: bytes) -> Any:
        return stdlib_loads(raw)

    def dumps(self, obj: Any) -> bytes:
        return stdlib_dumps(obj)

    def removed_value_ok(self, value: Any) -> bool:
        # The fast path parses with every hook and checks the raw text for lone surrogates and depth before any
        # drop: only an out-of-range integer (kept as a marker until it is known to be in the document) is left.
        if value is OUT_OF_RANGE:
            return False
        if isinstance(value, (dict, list)):
            try:
                "".join(encode_chunks(value, 0))
            except TypeError:  # the encoder cannot write a marker
                return False
        return True


class OrjsonCodec(Codec):
    """orjson (+ pybase64 when importable)."""

    name = "orjson"
    fast = True

    def __init__(self) -> None:
        import orjson

        self.orjson = orjson
        #: datetime/dataclass objects are refused, as the standard library does.
        self.dump_option: int = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
        self.line_option: int = self.dump_option | orjson.OPT_APPEND_NEWLINE
        self.decode_error: type[Exception] = orjson.JSONDecodeError
        try:
            import pybase64
        except ImportError:  # pragma: no cover - pybase64 is optional
            self.b64decode_fn: Callable[..., bytes] = _stdlib_b64decode_validate
            self.b64encode_fn: Callable[[bytes], str] = stdlib_b64encode
            self.pybase64 = False
        else:
            self.b64decode_fn = pybase64.b64decode
            self.b64encode_fn = pybase64.b64encode_as_string
            self.pybase64 = True

    def b64decode(self, data: str) -> bytes:
        return self.b64decode_fn(data, None, True)  # (altchars, validate): positional is much faster

    def b64encode(self, raw: bytes) -> str:
        return self.b64encode_fn(raw)

    def loads(self, raw: bytes) -> Any:
        try:
            obj = self.orjson.loads(raw)
        except self.decode_error:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidDocumentError(REASON_INVALID_UTF8) from None
            raise InvalidDocumentError(REASON_INVALID_JSON) from None
        try:
            out = self.orjson.dumps(obj)
        except TypeError:  # orjson.JSONEncodeError: recursion limit
            raise InvalidDocumentError(REASON_TOO_DEEP) from None
        if may_hold_big_int(out) and has_big_int(raw):
            raise InvalidDocumentError(REASON_INT_RANGE)
        return obj

    def dumps(self, obj: Any) -> bytes:
        return self.orjson.dumps(obj, option=self.dump_option)

    def removed_value_ok(self, value: Any) -> bool:
        if type(value) is float:
            return -_FLOAT_LIMIT < value < _FLOAT_LIMIT
        if isinstance(value, (dict, list)):
            try:
                out = self.orjson.dumps(value)
            except TypeError:
                return False
            if may_hold_big_int(out):
                return False
            return out.count(b"[") + out.count(b"{") < MAX_DEPTH
        return True


def _stdlib_b64decode_validate(data: str, altchars: Any = None, validate: bool = True) -> bytes:  # pragma: no cover
    return stdlib_b64decode(data)


def may_hold_big_int(out: bytes) -> bool:
    """Whether orjson output ``out`` (one document or many) may hold an overflowed integer.

    False means it certainly holds none; True is also returned for a legitimate float of 1e18 or more and
    for such text in a string: then the input is re-checked exactly (:func:`has_big_int`).
    """
    return 43 in out and re.search(_BIG_EXPONENT, out) is not None  # 43 is "+": one memchr first


STDLIB: Final = StdlibCodec()


def _load_fast() -> Codec | None:
    if PURE_PYTHON:
        return None
    try:
        return OrjsonCodec()
    except ImportError:
        return None


#: The orjson codec, or None when orjson is not importable or the pure-Python path is forced.
FAST: Final = _load_fast()
#: The codec the handler uses.
DEFAULT: Final[Codec] = FAST if FAST is not None else STDLIB

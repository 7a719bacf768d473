"""The standard library's strict JSON and base64: the rules of :mod:`firehose_transform.codec`, without orjson.

``json``'s C scanner and encoder with hooks (integer range, overflowing floats, ``NaN``/``Infinity``) and the
checks the scanner cannot make (lone surrogates, depth, a value a later duplicate key discards), plus
``binascii``'s strict base64. The engine's fast path calls the hot pieces (:data:`scan`, :data:`encode_chunks`,
the base64 functions) directly; everything else goes through :data:`firehose_transform.codec.STDLIB`.
"""

from __future__ import annotations

import _thread
import json
import re
from json import encoder as _json_encoder

from firehose_transform.json_limits import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    REASON_INT_RANGE,
    REASON_INVALID_JSON,
    REASON_INVALID_UTF8,
    REASON_TOO_DEEP,
    InvalidDocumentError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

_JSON_WS: Final = " \t\n\r"
# A \uD800-\uDFFF escape in the raw JSON text (may be a valid pair: checked exactly afterwards).
_SURROGATE_ESCAPE: Final = rb"\\u[dD][89abcdefABCDEF]"


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

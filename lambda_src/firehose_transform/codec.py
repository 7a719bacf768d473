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
then one regex pass that jumps from ``+`` to ``+``), and re-parses exactly, with the standard library
(:mod:`firehose_transform.stdlib_json`), only a record whose own output matches: the cost does not depend on
how many ``+`` the data holds. Values a step removes from a document (a dropped field) are checked by
:meth:`Codec.removed_value_ok` for the same reason.
"""

from __future__ import annotations

import os
import re

from firehose_transform.contract import PURE_PYTHON as PURE_PYTHON_ENV
from firehose_transform.json_limits import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    REASON_EMPTY,
    REASON_INT_RANGE,
    REASON_INVALID_JSON,
    REASON_INVALID_UTF8,
    REASON_NOT_OBJECT,
    REASON_TOO_DEEP,
    InvalidDocumentError,
)
from firehose_transform.stdlib_json import (
    OUT_OF_RANGE,
    canonical_json,
    encode_chunks,
    has_big_int,
    stdlib_b64decode,
    stdlib_b64encode,
    stdlib_dumps,
    stdlib_loads,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

__all__ = [
    "DEFAULT",
    "FAST",
    "INT_MAX",
    "INT_MIN",
    "MAX_DEPTH",
    "PURE_PYTHON",
    "REASON_EMPTY",
    "REASON_INT_RANGE",
    "REASON_INVALID_JSON",
    "REASON_INVALID_UTF8",
    "REASON_NOT_OBJECT",
    "REASON_TOO_DEEP",
    "STDLIB",
    "Codec",
    "InvalidDocumentError",
    "OrjsonCodec",
    "StdlibCodec",
    "canonical_json",
    "may_hold_big_int",
]

PURE_PYTHON: Final = os.environ.get(PURE_PYTHON_ENV, "").strip() == "1"

# A float written with an exponent of 18 or more: orjson writes every float of magnitude >= 1e16 as
# "<digits>e+<exponent>", so an overflowed integer (magnitude >= 2**63 > 9.2e18) always shows as "e+18" or more.
# The pattern starts with the literal "+" (the lookbehind then checks the "e" and the digit before it): the
# regex engine skips from one "+" to the next instead of trying a match at every byte, 10x faster.
_BIG_EXPONENT: Final = rb"\+(?<=[0-9]e\+)(?:1[89]|[2-9][0-9]|[0-9]{3})"
_FLOAT_LIMIT: Final = 9.2e18  # below 2**63: floats at or beyond it may come from an overflowed integer


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

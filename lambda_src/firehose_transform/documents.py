"""What the transform accepts: the one definition of a valid record, shared by the Lambda and the client tools.

A Firehose record (its decoded ``data``) is **accepted** when it holds one or more JSON objects:

* the whole record is first parsed as one JSON text (so a pretty-printed document spanning lines is one
  document); only when that fails and the record has inner newlines is it split on ``"\\n"`` and every
  non-blank line parsed on its own (the newline-delimited records of an aggregating producer). Blank lines
  (JSON whitespace only: space, tab, CR, LF) are ignored; one invalid line fails the whole record;
* every JSON text follows the rules of :mod:`firehose_transform.codec`: UTF-8 without a byte-order mark,
  RFC 8259 JSON, no ``NaN``/``Infinity``, no number overflowing to infinity, no lone UTF-16 surrogate,
  integers within ``[-2**63, 2**64 - 1]``, at most 254 nested arrays/objects;
* every document is a JSON **object** (not an array, string, number, ``true``/``false``/``null``);
* a record that is empty or blank is rejected (``empty``).

A **line** (what ``firehose-s3 put`` sends for one input line, without its line ending) is accepted when
:func:`parse_line` accepts it. Any aggregate of accepted lines, each followed by ``"\\n"``, is then accepted by
:func:`parse_record` and yields exactly the lines' documents, which is what lets a producer pack lines into
one Firehose record: what ``put`` accepts, the transform accepts.

The transform's own steps (a user function, partition keys, CSV columns) can still fail a valid document; they
depend on its configuration and are not part of this definition.

Rejections carry a reason code (never record content: the Lambda logs them) and, for the client tools, a
human explanation computed only on rejection (:func:`explain`). Standard library only: this module ships in
the Lambda bundle.
"""

from __future__ import annotations

import json
import re

from firehose_transform import codec as codec_module
from firehose_transform.codec import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    REASON_EMPTY,
    REASON_INT_RANGE,
    REASON_INVALID_JSON,
    REASON_INVALID_UTF8,
    REASON_NOT_OBJECT,
    REASON_TOO_DEEP,
    Codec,
    InvalidDocumentError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

    Document = dict[str, Any]

__all__ = [
    "JSON_WHITESPACE",
    "REASON_EMPTY",
    "REASON_INTERNAL",
    "REASON_INT_RANGE",
    "REASON_INVALID_JSON",
    "REASON_INVALID_UTF8",
    "REASON_NOT_OBJECT",
    "REASON_TOO_DEEP",
    "InvalidDocumentError",
    "Rejection",
    "check_line",
    "explain",
    "is_blank",
    "line_acceptor",
    "parse_document",
    "parse_line",
    "parse_record",
]

#: The whitespace RFC 8259 allows around values; a line of nothing else is blank.
JSON_WHITESPACE: Final = b" \t\n\r"
#: The codec raised something other than InvalidDocumentError: the engine fails such a record too.
REASON_INTERNAL: Final = "internal_error"

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_JSON_TYPE_NAMES: Final = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}


def is_blank(data: bytes) -> bool:
    """Whether ``data`` holds nothing but JSON whitespace (a blank line is not a record)."""
    return not data.strip(JSON_WHITESPACE)


def parse_document(text: bytes, codec: Codec | None = None) -> Document:
    """One JSON text that must be an object; raises :class:`InvalidDocumentError` with the reason."""
    try:
        doc = (codec or codec_module.DEFAULT).loads(text)
    except InvalidDocumentError:
        raise
    except Exception:  # the engine fails a record whatever the parser raised
        raise InvalidDocumentError(REASON_INTERNAL) from None
    if not isinstance(doc, dict):
        raise InvalidDocumentError(REASON_NOT_OBJECT)
    return doc


def parse_record(raw: bytes, codec: Codec | None = None) -> list[Document]:
    """The documents of one Firehose record, by the rules of the module docstring.

    Raises:
        InvalidDocumentError: the record is rejected; ``reason`` says why.
    """
    if is_blank(raw):
        raise InvalidDocumentError(REASON_EMPTY)
    try:
        return [parse_document(raw, codec)]
    except InvalidDocumentError:
        if b"\n" not in raw.strip(JSON_WHITESPACE):
            raise
    return [parse_document(line, codec) for line in raw.split(b"\n") if not is_blank(line)]


def parse_line(line: bytes, codec: Codec | None = None) -> Document:
    """The document of one line (no ``"\\n"`` inside; surrounding JSON whitespace allowed).

    Raises:
        InvalidDocumentError: the line is blank (``empty``), holds a newline or is not one valid JSON object.
    """
    if is_blank(line):
        raise InvalidDocumentError(REASON_EMPTY)
    if b"\n" in line:
        raise InvalidDocumentError(REASON_INVALID_JSON)  # several lines: not what a line-oriented sender means
    return parse_document(line, codec)


def line_acceptor(codec: Codec | None = None) -> Callable[[bytes], bool]:
    """A fast ``accepts(line) -> bool`` giving :func:`parse_line`'s verdict for a line that is known to be
    non-blank and to hold no newline (the caller splits and skips blank lines). For hot loops: ask
    :func:`check_line` why a line was refused."""
    loads = (codec or codec_module.DEFAULT).loads

    def accepts(line: bytes) -> bool:
        try:
            return loads(line).__class__ is dict
        except Exception:  # the engine fails a record whatever the parser raised
            return False

    return accepts


class Rejection:
    """Why a line or record is not accepted: ``reason`` (a code) and ``explanation`` (for people)."""

    __slots__ = ("explanation", "reason")

    def __init__(self, reason: str, explanation: str) -> None:
        self.reason = reason
        self.explanation = explanation

    def __repr__(self) -> str:
        return f"Rejection({self.reason!r}, {self.explanation!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rejection) and (self.reason, self.explanation) == (other.reason, other.explanation)

    def __hash__(self) -> int:
        return hash((self.reason, self.explanation))


def check_line(line: bytes, codec: Codec | None = None) -> Rejection | None:
    """None when :func:`parse_line` accepts ``line``, else the :class:`Rejection` (with an explanation)."""
    try:
        parse_line(line, codec)
    except InvalidDocumentError as error:
        return Rejection(error.reason, explain(line, error.reason))
    return None


# --------------------------------------------------------------------------- explanations (rejections only)


def explain(data: bytes, reason: str) -> str:
    """A one-line explanation of why ``data`` was rejected for ``reason`` (never quotes more than a few bytes).

    The verdict always comes from the codec; this only describes it, so it may be less precise than the
    reason code but never contradicts it.
    """
    if reason == REASON_EMPTY:
        return "empty record"
    if reason == REASON_NOT_OBJECT:
        return f"{_top_level_kind(data)}, not a JSON object"
    if reason == REASON_INT_RANGE:
        return f"an integer outside [{INT_MIN}, {INT_MAX}] (the range JSON parsers read exactly)"
    if reason == REASON_TOO_DEEP:
        return f"nested deeper than {MAX_DEPTH} arrays/objects"
    if reason == REASON_INVALID_UTF8:
        return _explain_utf8(data)
    if reason == REASON_INTERNAL:
        return "the JSON parser failed on it"
    return _explain_json(data)


def _top_level_kind(data: bytes) -> str:
    try:
        value = json.loads(data)
    except ValueError:
        return "not an object"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _JSON_TYPE_NAMES.get(type(value), "not an object")


def _explain_utf8(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS) or b"\x00" in data:
        return "not UTF-8 (UTF-16 text? convert the input to UTF-8)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not valid UTF-8 (byte 0x{data[error.start]:02x} at byte {error.start + 1})"
    return "not valid UTF-8"


def _explain_json(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        return "starts with a UTF-8 byte-order mark (BOM), which JSON does not allow"
    if b"\x00" in data:
        return "contains NUL bytes (UTF-16 text? convert the input to UTF-8)"
    if b"\n" in data.strip(JSON_WHITESPACE):
        return "spans several lines"
    text = data.decode("utf-8", "replace")
    constants: list[str] = []
    try:
        value = json.loads(text, parse_constant=constants.append)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            return f"more than one JSON value on the line (the second starts at column {error.colno})"
        return f"not valid JSON ({error.msg.removesuffix(' at')} at column {error.colno})"
    except ValueError as error:
        if "digits" in str(error):  # int() refuses more than 4300 digits
            return f"an integer outside [{INT_MIN}, {INT_MAX}] (it has thousands of digits)"
        return "not valid JSON"
    except RecursionError:
        return f"nested deeper than {MAX_DEPTH} arrays/objects"
    if constants:
        return f"{constants[0]} is not a JSON number (NaN and Infinity are not allowed)"
    if _SURROGATE_ESCAPE.search(text) and _holds_lone_surrogate(value):
        return "holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair), which is not valid Unicode"
    if _holds_infinity(value):
        return "a number too large for a double (it overflows to infinity)"
    return "not valid JSON"


def _holds_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _holds_infinity(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return True
    return False

"""Reading a JSON record into typed rows as Firehose's OpenX JSON SerDe or Hive JSON SerDe does.

Sources: DG "Convert input data format" (https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html:
concatenated objects ``{"a":1}{"a":2}`` are two rows, an array is not valid input; OpenX timestamp formats;
Hive refuses strings in numeric columns and does not stringify nested JSON) and the API's
``OpenXJsonSerDe`` / ``HiveJsonSerDe`` options. Where the guide is silent, the behaviour below is what Firehose
was observed to do (floci-io/floci, probes of 2026-09 in us-west-2, with AWS's error messages):

* OpenX, ``CaseInsensitive`` (default true): every key of the record, at every depth, is lowercased first,
  so struct members and map keys match and stringified nested JSON carries lowercased keys. With it off,
  names must match exactly. ``ConvertDotsInJsonKeysToUnderscores``: ``a.b`` becomes ``a_b`` at every depth.
  ``ColumnToJsonKeyMappings``: column -> the JSON key to read (top level).
* OpenX coerces: a numeric string into a number column, ``"true"``/``"false"`` into a boolean, any scalar into a
  string (numbers keep their JSON text), an object or array into a string column as compact JSON, a value that
  is not an array into a one-element array, an array into a struct by position (extra items ignored, missing
  ones null). A scalar where a struct is expected fails: ``Data is not JSONObject  but java.lang.Long with
  value 42``. Unknown members are dropped, missing ones are null, ``{}`` is a struct of nulls.
* OpenX timestamps: ``yyyy-MM-dd'T'HH:mm:ss[.S]`` with an optional ``Z`` (two-digit fields), ``yyyy-M-d H:m:s[.S]``
  (one or two digits), and epoch numbers or numeric strings: below 1e12 in absolute value seconds (a fraction
  is kept), otherwise milliseconds. Fractions have up to 9 digits. Dates: ``yyyy-M-d``.
* Hive matches names case-insensitively but keeps map keys as written, and fails the record (with AWS's
  messages) for a string in a numeric column, a non-array in an array, a non-object in a struct or map, and
  an object or array in a string column. Its timestamps follow ``TimestampFormats`` (``millis`` or Joda
  patterns made of ``yyyy MM dd HH mm ss S... 'text'`` and separators; others are refused by name) and by
  default ``java.sql.Timestamp.valueOf`` (``yyyy-[m]m-[d]d hh:mm:ss[.f...]``).

Hive reads a boolean as ``Boolean.valueOf`` does (anything but ``true``, any case, is false).

Choices where nothing was observed, each tested: decimals are rounded half-up to their scale and a value that
does not fit the precision becomes null (Hive's ``enforcePrecisionScale``); ``char(n)``/``varchar(n)`` are cut
to n characters (``char`` loses trailing spaces, as Hive's Parquet writer stores it); an integer outside its
column's range fails as Java's parser does (``For input string``); a ``float`` beyond its range is infinite (as
``Float.parseFloat``); ``binary`` takes a string's UTF-8 bytes; two keys that lowercase alike: the last wins; a
timestamp beyond the int64-nanosecond range fails the record (Firehose was seen to wrap it instead). A record
nested deeper than Jackson's limit (1,000 levels) is a ParseError, as in Firehose; one nested deeper than
Python's stack allows (a few hundred levels) fails here as MalformedData, though Firehose would read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Final

from .glue_table import GlueType
from .serde_timestamps import MAX_NANOS, NUMBER, hive_timestamp, openx_timestamp

__all__ = [
    "MALFORMED_DATA",
    "MAX_NESTING_DEPTH",
    "PARSE_ERROR",
    "RecordError",
    "SerDeOptions",
    "nesting_depth",
    "parse_records",
    "to_row",
]

PARSE_ERROR: Final = "DataFormatConversion.ParseError"
MALFORMED_DATA: Final = "DataFormatConversion.MalformedData"
_MISMATCH: Final = "Data does not match the schema. "
_INT_RANGES: Final = {"tinyint": 8, "smallint": 16, "int": 32, "bigint": 64}
_FLOAT_MAX: Final = 3.4028234663852886e38
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
#: Jackson's default StreamReadConstraints.maxNestingDepth: deeper documents are refused while parsing.
MAX_NESTING_DEPTH: Final = 1000
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class RecordError(Exception):
    """One record cannot be converted: ``error_code`` and ``error_message`` as Firehose writes them."""

    def __init__(self, error_code: str, error_message: str) -> None:
        super().__init__(f"{error_code}: {error_message}")
        self.error_code = error_code
        self.error_message = error_message


class JsonNumber(str):
    """A JSON number kept as its text, so that decimals and big integers are read exactly."""

    __slots__ = ()


@dataclass(frozen=True)
class SerDeOptions:
    """The deserializer: ``openx`` (with its three options) or ``hive`` (with its timestamp formats)."""

    kind: str = "openx"
    case_insensitive: bool = True
    dots_to_underscores: bool = False
    key_mappings: Mapping[str, str] = field(default_factory=dict)
    timestamp_formats: Sequence[str] = ()

    @property
    def lowercase_keys(self) -> bool:
        return self.kind == "openx" and self.case_insensitive


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (strings skipped), without recursion."""
    if text.count("[") + text.count("{") < 64:  # cheap bound: most records cannot be deep
        return text.count("[") + text.count("{")
    depth = deepest = 0
    for token in _STRUCTURE.findall(text):
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def parse_records(record: bytes) -> list[Any]:
    """The JSON values of one Firehose record (``{..}{..}`` and ``{..}\\n{..}`` are several), ParseError else."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(PARSE_ERROR, f"Encountered malformed JSON. Invalid UTF-8: {error.reason}") from None
    depth = nesting_depth(text)
    if depth > MAX_NESTING_DEPTH:
        raise RecordError(
            PARSE_ERROR,
            f"Encountered malformed JSON. Document nesting depth ({depth}) exceeds the maximum allowed "
            f"({MAX_NESTING_DEPTH})",
        )
    decoder = json.JSONDecoder(parse_int=JsonNumber, parse_float=JsonNumber, parse_constant=_no_constant)
    values: list[Any] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except ValueError as error:
            raise RecordError(PARSE_ERROR, f"Encountered malformed JSON. {error}") from None
        except RecursionError:  # deeper than this interpreter's stack, below Jackson's limit
            raise RecordError(PARSE_ERROR, "Encountered malformed JSON. The document is nested too deeply") from None
        values.append(value)
    if not values:
        raise RecordError(PARSE_ERROR, "Encountered malformed JSON. No content to map due to end-of-input")
    return values


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _normalize_keys(value: Any, options: SerDeOptions) -> Any:
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for raw_key, item in value.items():
            key = raw_key.replace(".", "_") if options.dots_to_underscores else raw_key
            result[key.lower() if options.lowercase_keys else key] = _normalize_keys(item, options)
        return result
    if isinstance(value, list):
        return [_normalize_keys(item, options) for item in value]
    return value


def _member(obj: dict[str, Any], name: str, options: SerDeOptions) -> Any:
    """A member by name: exact, then case-insensitive (Hive, and OpenX whose keys are lowercased already)."""
    if name in obj:
        return obj[name]
    if options.kind == "hive" or options.case_insensitive:
        lowered = name.lower()
        for key, value in obj.items():
            if key.lower() == lowered:
                return value
    return None


def to_row(value: Any, columns: Sequence[tuple[str, GlueType]], options: SerDeOptions) -> dict[str, Any]:
    """One JSON value of a record as a row: column -> Python value (see the module doc), RecordError else."""
    if not isinstance(value, dict):
        raise RecordError(MALFORMED_DATA, _MISMATCH + f"A JSON object is required, got {_java_type(value)}")
    try:
        obj = _normalize_keys(value, options)
        row: dict[str, Any] = {}
        for name, kind in columns:
            key = options.key_mappings.get(name, name)
            if options.lowercase_keys:
                key = key.lower()
            row[name] = _coerce(_member(obj, key, options), kind, options)
    except RecursionError:
        raise RecordError(MALFORMED_DATA, _MISMATCH + "The record is nested too deeply to read") from None
    return row


def _java_type(value: Any) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, JsonNumber):
        return "java.lang.Long" if re.fullmatch(r"-?\d+", value) else "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    return "org.json.JSONArray" if isinstance(value, list) else "org.json.JSONObject"


def _for_input(text: str) -> RecordError:
    return RecordError(MALFORMED_DATA, _MISMATCH + f'For input string: "{text}"')


def _coerce(value: Any, kind: GlueType, options: SerDeOptions) -> Any:
    if value is None:
        return None
    handler = _HANDLERS.get(kind.kind)
    if handler is not None:
        return handler(value, kind, options)
    return _scalar(value, kind, options)


def _scalar_text(value: Any, kind: GlueType, options: SerDeOptions) -> str:
    """A scalar's text for a primitive column; Hive refuses strings where numbers are expected."""
    if isinstance(value, dict | list):
        if options.kind == "hive":
            raise RecordError(
                MALFORMED_DATA, "One or more fields have incorrect format. Exception when validating field (root)"
            )
        raise RecordError(
            MALFORMED_DATA,
            _MISMATCH + f"Column of type {kind} cannot hold a JSON {'array' if isinstance(value, list) else 'object'}",
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compact(value: Any) -> str:
    """Compact JSON text of a nested value (numbers keep their JSON text), as OpenX stringifies it."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    if isinstance(value, JsonNumber):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _scalar(value: Any, kind: GlueType, options: SerDeOptions) -> Any:
    numeric = kind.kind in _INT_RANGES or kind.kind in ("float", "double", "decimal")
    if numeric and options.kind == "hive" and isinstance(value, str) and not isinstance(value, JsonNumber):
        raise RecordError(
            MALFORMED_DATA, _MISMATCH + "Current token (VALUE_STRING) not numeric, can not use numeric value accessors"
        )
    if kind.kind in ("string", "char", "varchar") and isinstance(value, dict | list) and options.kind == "openx":
        text = _compact(value)
    else:
        text = _scalar_text(value, kind, options)
    return _PRIMITIVES[kind.kind](text.strip() if numeric else text, kind, options)


def _integer(text: str, kind: GlueType, options: SerDeOptions) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise _for_input(text)
    number, bits = int(text), _INT_RANGES[kind.kind]
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise _for_input(text)
    return number


def _floating(text: str, kind: GlueType, options: SerDeOptions) -> float:
    if not (NUMBER.fullmatch(text) or text in ("NaN", "Infinity", "-Infinity", "+Infinity")):
        raise _for_input(text)
    number = float(text)
    if kind.kind == "float" and abs(number) > _FLOAT_MAX:
        return float("inf") if number > 0 else float("-inf")
    return number


def _decimal(text: str, kind: GlueType, options: SerDeOptions) -> Decimal | None:
    if not NUMBER.fullmatch(text):
        raise _for_input(text)
    precision, scale = kind.args
    with localcontext(prec=80):
        try:
            rounded = Decimal(text).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # far too many digits for any decimal column
            return None
    return rounded if rounded.adjusted() < precision - scale else None


def _boolean(text: str, kind: GlueType, options: SerDeOptions) -> bool:
    if options.kind == "hive":  # Hive's JsonSerDe: Boolean.valueOf, so anything but "true" is false
        return text.lower() == "true"
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise _for_input(text)


def _string(text: str, kind: GlueType, options: SerDeOptions) -> str:
    if kind.kind == "char":
        return text[: kind.args[0]].rstrip(" ")
    if kind.kind == "varchar":
        return text[: kind.args[0]]
    return text


def _binary(text: str, kind: GlueType, options: SerDeOptions) -> bytes:
    return text.encode("utf-8")


def _date(text: str, kind: GlueType, options: SerDeOptions) -> date:
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _for_input(text) from None


def _timestamp(text: str, kind: GlueType, options: SerDeOptions) -> int:
    """Nanoseconds since the epoch (UTC), by the deserializer's rules (see the module doc)."""
    try:
        nanos = hive_timestamp(text, options.timestamp_formats) if options.kind == "hive" else openx_timestamp(text)
    except ValueError:
        if options.kind == "hive" and not options.timestamp_formats:
            raise RecordError(
                MALFORMED_DATA, _MISMATCH + "Timestamp format must be yyyy-mm-dd hh:mm:ss[.fffffffff]"
            ) from None
        raise _for_input(text) from None
    if not -MAX_NANOS <= nanos <= MAX_NANOS:
        raise RecordError(MALFORMED_DATA, _MISMATCH + f"Timestamp {text} is out of range")
    return nanos


def _array(value: Any, kind: GlueType, options: SerDeOptions) -> list[Any]:
    if not isinstance(value, list):
        if options.kind == "hive":
            raise RecordError(MALFORMED_DATA, _MISMATCH + "java.io.IOException: Start of Array expected")
        value = [value]
    return [_coerce(item, kind.element, options) for item in value]


def _map(value: Any, kind: GlueType, options: SerDeOptions) -> list[tuple[Any, Any]]:
    if not isinstance(value, dict):
        if options.kind == "hive":
            raise RecordError(MALFORMED_DATA, _MISMATCH + "java.io.IOException: Start of Object expected")
        raise RecordError(MALFORMED_DATA, _MISMATCH + f"A map column cannot hold {_java_type(value)}")
    (_, key_type), (_, value_type) = kind.children
    return [(_coerce(key, key_type, options), _coerce(item, value_type, options)) for key, item in value.items()]


def _struct(value: Any, kind: GlueType, options: SerDeOptions) -> dict[str, Any]:
    if isinstance(value, list) and options.kind == "openx":
        items: Iterator[Any] = iter(value)
        return {name: _coerce(next(items, None), member, options) for name, member in kind.children}
    if not isinstance(value, dict):
        if options.kind == "hive":
            raise RecordError(MALFORMED_DATA, _MISMATCH + "java.io.IOException: Start of Object expected")
        shown = _scalar_text(value, kind, options) if not isinstance(value, list) else json.dumps(value)
        raise RecordError(
            MALFORMED_DATA, _MISMATCH + f"Data is not JSONObject  but {_java_type(value)} with value {shown}"
        )
    return {name: _coerce(_member(value, name, options), member, options) for name, member in kind.children}


_PRIMITIVES: Final[dict[str, Callable[[str, GlueType, SerDeOptions], Any]]] = {
    "boolean": _boolean,
    "tinyint": _integer,
    "smallint": _integer,
    "int": _integer,
    "bigint": _integer,
    "float": _floating,
    "double": _floating,
    "decimal": _decimal,
    "string": _string,
    "char": _string,
    "varchar": _string,
    "binary": _binary,
    "date": _date,
    "timestamp": _timestamp,
}
_HANDLERS: Final[dict[str, Callable[[Any, GlueType, SerDeOptions], Any]]] = {
    "array": _array,
    "map": _map,
    "struct": _struct,
}

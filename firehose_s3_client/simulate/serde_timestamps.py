"""Timestamp text as Firehose's JSON SerDes read it, in nanoseconds since the epoch (UTC).

See :mod:`.json_serde` for the sources: OpenX reads ISO ``yyyy-MM-ddTHH:mm:ss[.f]`` (optional ``Z``), the
lenient ``yyyy-M-d H:m:s[.f]`` and epoch seconds (below 1e12) or milliseconds; Hive reads its
``TimestampFormats`` (``millis`` or Joda patterns of common letters) or ``java.sql.Timestamp.valueOf``'s form.
Each function raises ValueError for text its SerDe does not read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from .glue_table import SchemaError

__all__ = ["MAX_NANOS", "NUMBER", "hive_timestamp", "joda_regex", "openx_timestamp"]

NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
#: The range of a nanosecond timestamp in 64 bits (what Parquet INT96 / ORC hold after conversion).
MAX_NANOS: Final = 2**63 - 1
_NS: Final = 1_000_000_000
_EPOCH_MILLIS_FLOOR: Final = Decimal(10) ** 12
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?")
_LENIENT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?")
_JODA: Final = (
    ("yyyy", r"(?P<y>\d{4})"),
    ("MM", r"(?P<mo>\d{2})"),
    ("M", r"(?P<mo>\d{1,2})"),
    ("dd", r"(?P<d>\d{2})"),
    ("d", r"(?P<d>\d{1,2})"),
    ("HH", r"(?P<h>\d{2})"),
    ("mm", r"(?P<mi>\d{2})"),
    ("ss", r"(?P<s>\d{2})"),
)


def _nanos(fields: Sequence[int], fraction: str | None) -> int:
    year, month, day, hour, minute, second = fields
    days = (date(year, month, day) - date(1970, 1, 1)).days
    if not (hour < 24 and minute < 60 and second < 60):
        raise ValueError("time out of range")
    return (((days * 24 + hour) * 60 + minute) * 60 + second) * _NS + int((fraction or "0").ljust(9, "0"))


def _from_match(match: re.Match[str]) -> int:
    parts = match.groups()
    try:
        return _nanos([int(p) for p in parts[:6]], parts[6])
    except ValueError:
        raise ValueError(f"not a valid date and time: {match.group()!r}") from None


def openx_timestamp(text: str) -> int:
    """OpenX JSON SerDe: ISO, lenient or epoch (seconds below 1e12, milliseconds from it; fractions kept)."""
    for pattern in (_ISO, _LENIENT):
        match = pattern.fullmatch(text)
        if match is not None:
            return _from_match(match)
    if NUMBER.fullmatch(text):
        number = Decimal(text)
        scale = 1_000_000 if abs(number) >= _EPOCH_MILLIS_FLOOR else _NS
        return int((number * scale).to_integral_value(rounding=ROUND_HALF_UP))
    raise ValueError(f"not an OpenX JSON SerDe timestamp: {text!r}")


@functools.lru_cache(maxsize=64)
def joda_regex(pattern: str) -> re.Pattern[str]:
    """A Joda ``DateTimeFormat`` pattern of the letters ``yyyy MM M dd d HH mm ss S...`` and quoted text, as a
    regex; SchemaError naming any other letter."""
    out: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "'":
            end = pattern.find("'", position + 1)
            if end < 0:
                raise SchemaError(f"HiveJsonSerDe TimestampFormats {pattern!r}: unterminated quote")
            out.append(re.escape(pattern[position + 1 : end]) if end > position + 1 else "'")
            position = end + 1
            continue
        run = len(pattern[position:]) - len(pattern[position:].lstrip(char)) if char.isalpha() else 1
        letters = pattern[position : position + run]
        regex = dict(_JODA).get(letters)
        if regex is None and set(letters) == {"S"}:
            regex = rf"(?P<f>\d{{{run}}})"
        if regex is None and char.isalpha():
            raise SchemaError(
                f"HiveJsonSerDe TimestampFormats {pattern!r}: this engine reads the Joda letters yyyy MM M dd d HH "
                f"mm ss S and quoted text, not {letters!r}"
            )
        out.append(regex or re.escape(letters))
        position += run
    return re.compile("".join(out))


def hive_timestamp(text: str, formats: Sequence[str]) -> int:
    """Hive JSON SerDe: each of ``formats`` in turn (``millis`` = epoch milliseconds), else, when none is set,
    ``java.sql.Timestamp.valueOf``'s ``yyyy-[m]m-[d]d hh:mm:ss[.f...]``."""
    for fmt in formats:
        if fmt == "millis":
            if re.fullmatch(r"[+-]?\d+", text):
                return int(text) * 1_000_000
            continue
        match = joda_regex(fmt).fullmatch(text)
        if match is not None:
            found = match.groupdict()
            fields = [
                int(found.get(k) or d) for k, d in (("y", 1970), ("mo", 1), ("d", 1), ("h", 0), ("mi", 0), ("s", 0))
            ]
            return _nanos(fields, found.get("f"))
    if not formats:
        match = _LENIENT.fullmatch(text)
        if match is not None:
            return _from_match(match)
    raise ValueError(f"not a Hive JSON SerDe timestamp: {text!r}")

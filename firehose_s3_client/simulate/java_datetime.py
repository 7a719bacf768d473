"""Java ``DateTimeFormatter`` patterns, as Firehose evaluates ``!{timestamp:<pattern>}``.

The rules are those of ``DateTimeFormatterBuilder.appendPattern``
(https://docs.oracle.com/javase/8/docs/api/java/time/format/DateTimeFormatter.html, "Patterns for
Formatting and Parsing"), which the Firehose prefix page names for the timestamp namespace
(https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html):

* the count of a letter chooses the presentation: *Number* (1 = as few digits as needed, n = zero-padded to
  n), *Text* (1-3 short, 4 full, 5 narrow), *Number/Text* (``M``, ``L``, ``Q``, ``q``: 1-2 number, 3+ text),
  *Year* (2 = the last two digits; 4+ = at least that many digits, ``+`` when a year has more),
  *Fraction* (``S`` 1-9: that many leading digits of the nano-of-second, truncated);
* ``'text'`` is literal, ``''`` is one quote; ``[`` and ``]`` enclose optional sections, which always print
  when formatting a full date-time; any other non-letter is literal;
* too many letters (``ddd``, ``HHH``, ``aa``...), unknown letters and the reserved ``#``, ``{``, ``}`` are
  errors, as in Java.

Supported letters: ``G u y D M L d g Q q E a h K k H m s S A n N V O X x Z``. Rejected, with the reason in the
error, because their output depends on Java's locale data that AWS does not specify: ``Y w W e c F``
(locale-defined week rules), ``z v`` (zone names), ``B`` (day periods); and ``p`` (pad modifier). Text fields
are English (``Jan``/``January``/``J``, ``Mon``, ``AM``, ``AD``, ``Q1``/``1st quarter``): the locale of a JVM in
an AWS Region by default, which AWS does not state.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Final

__all__ = ["JavaPatternError", "compile_pattern", "format_java_datetime"]

_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_QUARTERS: Final = ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter")
_UNIX_EPOCH_MJD: Final = 40587  # Modified Julian Day of 1970-01-01
_LOCALE_DEPENDENT: Final = {
    "Y": "week-based-year",
    "w": "week-of-week-based-year",
    "W": "week-of-month",
    "e": "localized day-of-week",
    "c": "localized day-of-week",
    "F": "day-of-week-in-month (its meaning changed between Java versions)",
    "z": "time-zone name",
    "v": "generic time-zone name",
    "B": "period-of-day",
}

Printer = Callable[[datetime], str]


class JavaPatternError(ValueError):
    """A pattern Java's ``DateTimeFormatter.ofPattern`` rejects, or one this engine cannot reproduce (named)."""


def _text(count: int, letter: str, full: Callable[[datetime], str]) -> Printer:
    """Text presentation: 1-3 letters short (first three characters), 4 full, 5 narrow (first character)."""
    if count > 5:
        raise JavaPatternError(f"Too many pattern letters: {letter}")
    if count == 4:
        return full
    if count == 5:
        return lambda moment: full(moment)[0]
    return lambda moment: full(moment)[:3]


def _number(value: Callable[[datetime], int], width: int, max_width: int = 19) -> Printer:
    """Zero-padded to ``width`` digits; more digits than ``max_width`` cannot be printed (Java throws)."""

    def printer(moment: datetime) -> str:
        number = value(moment)
        text = str(abs(number)).zfill(width)
        if len(text) > max_width:
            raise JavaPatternError(f"value {number} exceeds the maximum print width of {max_width}")
        return ("-" if number < 0 else "") + text

    return printer


def _small_number(letter: str, count: int, value: Callable[[datetime], int], most: int = 2) -> Printer:
    if count > most:
        raise JavaPatternError(f"Too many pattern letters: {letter}")
    return _number(value, count)


def _year(count: int, value: Callable[[datetime], int]) -> Printer:
    if count == 2:
        return lambda moment: f"{value(moment) % 100:02d}"

    def printer(moment: datetime) -> str:
        year = value(moment)
        digits = str(abs(year)).zfill(count)
        sign = "-" if year < 0 else ("+" if count >= 4 and len(digits) > count else "")
        return sign + digits

    return printer


def _fixed_width(letter: str, count: int, value: Callable[[datetime], int], largest: int) -> Printer:
    """Java prints ``A``/``n``/``N`` at a fixed width: refuse widths some instant of the day cannot fit."""
    if count == 1:
        return _number(value, 1)
    if count < len(str(largest)):
        raise JavaPatternError(
            f"{letter * count}: Java prints {letter} at exactly {count} digits and throws for larger values "
            f"(up to {largest}); use {letter} or at least {len(str(largest))} letters"
        )
    return _number(value, count)


def _offset_seconds(moment: datetime) -> int:
    offset = moment.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _offset(moment: datetime, *, colon: bool, minutes: str, seconds: bool) -> str:
    """``+HH[MM[ss]]``: ``minutes`` is ``always`` or ``nonzero`` (print only when not zero)."""
    total = _offset_seconds(moment)
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    mins, secs = divmod(rest, 60)
    separator = ":" if colon else ""
    text = f"{sign}{hours:02d}"
    if minutes == "always" or mins or (seconds and secs):
        text += f"{separator}{mins:02d}"
    if seconds and secs:
        text += f"{separator}{secs:02d}"
    return text


def _offset_x(letter: str, count: int) -> Printer:
    """``X`` (``Z`` for zero) and ``x`` (``+00``...): 1 ``+HHmm``, 2 ``+HHMM``, 3 ``+HH:MM``, 4-5 with seconds."""
    if count > 5:
        raise JavaPatternError(f"Too many pattern letters: {letter}")
    colon = count in (3, 5)
    minutes = "nonzero" if count == 1 else "always"
    seconds = count >= 4

    def printer(moment: datetime) -> str:
        if letter == "X" and _offset_seconds(moment) == 0:
            return "Z"
        return _offset(moment, colon=colon, minutes=minutes, seconds=seconds)

    return printer


def _localized_offset(full: bool) -> Printer:
    """``O``/``ZZZZ``: ``GMT``, ``GMT+8``/``GMT+5:30`` (short) or ``GMT+08:00`` (full)."""

    def printer(moment: datetime) -> str:
        total = _offset_seconds(moment)
        if total == 0:
            return "GMT"
        sign = "-" if total < 0 else "+"
        hours, rest = divmod(abs(total), 3600)
        mins, secs = divmod(rest, 60)
        text = f"GMT{sign}{hours:02d}:{mins:02d}" if full else f"GMT{sign}{hours}"
        if not full and (mins or secs):
            text += f":{mins:02d}"
        if secs:
            text += f":{secs:02d}"
        return text

    return printer


def _offset_z(count: int) -> Printer:
    if count <= 3:
        return lambda moment: _offset(moment, colon=False, minutes="always", seconds=False)
    if count == 4:
        return _localized_offset(full=True)
    if count == 5:
        return lambda moment: (
            "Z" if _offset_seconds(moment) == 0 else _offset(moment, colon=True, minutes="always", seconds=True)
        )
    raise JavaPatternError("Too many pattern letters: Z")


def _zone_id(count: int) -> Printer:
    if count != 2:
        raise JavaPatternError("Pattern letter count must be 2: V")

    def printer(moment: datetime) -> str:
        key = getattr(moment.tzinfo, "key", None)  # an IANA zone (CustomTimeZone)
        if key:
            return str(key)
        if _offset_seconds(moment) == 0:
            return "UTC"  # CustomTimeZone unset
        return _offset(moment, colon=True, minutes="always", seconds=True)  # a fixed offset prints as itself

    return printer


def _fraction(count: int) -> Printer:
    if count > 9:
        raise JavaPatternError("Too many pattern letters: S")
    return lambda moment: f"{moment.microsecond * 1000:09d}"[:count]


def _milli_of_day(moment: datetime) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1000 + moment.microsecond // 1000


def _nano_of_day(moment: datetime) -> int:
    return (((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond) * 1000


def _quarter(moment: datetime) -> int:
    return (moment.month - 1) // 3 + 1


def _mjd(moment: datetime) -> int:
    return (moment.date() - datetime(1970, 1, 1).date()).days + _UNIX_EPOCH_MJD


def _printer(letter: str, count: int) -> Printer:  # one branch per pattern letter, as in Java
    if letter in _LOCALE_DEPENDENT:
        raise JavaPatternError(
            f"pattern letter {letter!r} ({_LOCALE_DEPENDENT[letter]}) depends on Java locale data that AWS does not "
            "specify; this engine does not reproduce it"
        )
    if letter == "p":
        raise JavaPatternError("the pad modifier 'p' is not supported by this engine")
    if letter == "G":
        if count > 5:
            raise JavaPatternError("Too many pattern letters: G")
        return _literal({4: "Anno Domini", 5: "A"}.get(count, "AD"))  # datetime has no years before 1 AD
    if letter in "uy":
        return _year(count, lambda m: m.year)
    if letter in "ML":
        if count >= 3:
            return _text(count, letter, lambda m: _MONTHS[m.month - 1])
        return _number(lambda m: m.month, count)
    if letter in "Qq":
        if count == 3:
            return lambda m: f"Q{_quarter(m)}"
        if count == 4:
            return lambda m: _QUARTERS[_quarter(m) - 1]
        if count == 5:
            return lambda m: str(_quarter(m))
        if count > 5:
            raise JavaPatternError(f"Too many pattern letters: {letter}")
        return _number(_quarter, count)
    if letter == "E":
        return _text(count, letter, lambda m: _DAYS[m.weekday()])
    if letter == "a":
        if count > 1:
            raise JavaPatternError("Too many pattern letters: a")
        return lambda m: "AM" if m.hour < 12 else "PM"
    simple: dict[str, Callable[[datetime], int]] = {
        "d": lambda m: m.day,
        "H": lambda m: m.hour,
        "m": lambda m: m.minute,
        "s": lambda m: m.second,
        "h": lambda m: (m.hour % 12) or 12,
        "K": lambda m: m.hour % 12,
        "k": lambda m: m.hour or 24,
    }
    if letter in simple:
        return _small_number(letter, count, simple[letter])
    if letter == "D":
        return _small_number(letter, count, lambda m: m.timetuple().tm_yday, most=3)
    if letter == "g":
        return _number(_mjd, count)
    if letter == "S":
        return _fraction(count)
    if letter == "A":
        return _fixed_width(letter, count, _milli_of_day, 86_399_999)
    if letter == "n":
        return _fixed_width(letter, count, lambda m: m.microsecond * 1000, 999_999_999)
    if letter == "N":
        return _fixed_width(letter, count, _nano_of_day, 86_399_999_999_999)
    if letter == "V":
        return _zone_id(count)
    if letter == "O":
        if count not in (1, 4):
            raise JavaPatternError("Pattern letter count must be 1 or 4: O")
        return _localized_offset(full=count == 4)
    if letter in "Xx":
        return _offset_x(letter, count)
    if letter == "Z":
        return _offset_z(count)
    raise JavaPatternError(f"Unknown pattern letter: {letter}")


def _literal(text: str) -> Printer:
    return lambda moment: text


def _quoted(pattern: str, start: int) -> tuple[str, int]:
    """The literal text of the quote opening at ``start`` and the index after it (``''`` inside is one quote)."""
    position, text = start + 1, []
    while True:
        end = pattern.find("'", position)
        if end < 0:
            raise JavaPatternError(f"Pattern ends with an incomplete string literal: {pattern}")
        text.append(pattern[position:end])
        if pattern.startswith("''", end):
            text.append("'")
            position = end + 2
            continue
        return "".join(text), end + 1


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> tuple[Printer, ...]:
    """Parse a pattern once into printers (cached); raises :class:`JavaPatternError` as ``ofPattern`` would."""
    printers: list[Printer] = []
    position, depth = 0, 0
    while position < len(pattern):
        char = pattern[position]
        if char.isascii() and char.isalpha():
            end = position
            while end < len(pattern) and pattern[end] == char:
                end += 1
            printers.append(_printer(char, end - position))
            position = end
        elif char == "'":
            if pattern.startswith("''", position):
                printers.append(_literal("'"))
                position += 2
                continue
            text, position = _quoted(pattern, position)
            printers.append(_literal(text))
        elif char in "#{}":
            raise JavaPatternError(f"Pattern includes reserved character: '{char}'")
        elif char in "[]":
            depth += 1 if char == "[" else -1
            if depth < 0:
                raise JavaPatternError(f"Pattern invalid as it contains ] without previous [: {pattern}")
            position += 1  # an optional section always prints when every field is available
        else:
            printers.append(_literal(char))
            position += 1
    return tuple(printers)


def format_java_datetime(pattern: str, moment: datetime) -> str:
    """``DateTimeFormatter.ofPattern(pattern).format(moment)`` for an aware ``moment`` (see the module doc)."""
    if moment.tzinfo is None:
        raise ValueError("format_java_datetime needs an aware datetime (the zone decides every field)")
    return "".join(printer(moment) for printer in compile_pattern(pattern))

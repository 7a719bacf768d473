"""Java DateTimeFormatter patterns against Python's strftime and isoformat as independent oracles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.simulate.java_datetime import JavaPatternError, format_java_datetime

# (Java pattern, strftime equivalent): each needs a separator from its neighbours (MM+MM would be MMMM).
FIELDS = [
    ("yyyy", "%Y"),
    ("uuuu", "%Y"),
    ("yy", "%y"),
    ("MM", "%m"),
    ("MMM", "%b"),
    ("MMMM", "%B"),
    ("dd", "%d"),
    ("DDD", "%j"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSSSSS", "%f"),
    ("a", "%p"),
    ("EEE", "%a"),
    ("EEEE", "%A"),
    ("xx", "%z"),
]
SEPARATORS = [("/", "/"), ("-", "-"), ("_", "_"), (" ", " "), ("'T'", "T"), ("'year='", "year="), ("''", "'")]
ZONES = [UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/Berlin")]
moments = st.datetimes(
    # From 1970: older local mean times have offsets with seconds, which +HH:MM patterns drop by design.
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(ZONES),
)


@given(
    moment=moments,
    parts=st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=8),
)
def test_fields_match_strftime(moment: datetime, parts: list[tuple[tuple[str, str], tuple[str, str]]]) -> None:
    java = "".join(field[0] + separator[0] for field, separator in parts)
    python = "".join(field[1] + separator[1] for field, separator in parts)
    assert format_java_datetime(java, moment) == moment.strftime(python)


@given(moment=moments)
def test_unpadded_numbers_use_as_few_digits_as_needed(moment: datetime) -> None:
    hour12 = moment.hour % 12 or 12
    expected = f"{moment.month}/{moment.day}/{moment.hour}/{hour12}/{moment.hour % 12}/{moment.hour or 24}"
    assert format_java_datetime("M/d/H/h/K/k", moment) == expected
    assert format_java_datetime("D", moment) == str(moment.timetuple().tm_yday)


@given(moment=moments)
def test_offsets_match_isoformat(moment: datetime) -> None:
    iso = moment.isoformat()[-6:]  # +05:30
    assert format_java_datetime("xxx", moment) == iso
    assert format_java_datetime("XXX", moment) == ("Z" if iso == "+00:00" else iso)
    assert format_java_datetime("Z", moment) == iso.replace(":", "")


@given(moment=moments)
def test_fractions_are_truncated_not_rounded(moment: datetime) -> None:
    micros = f"{moment.microsecond:06d}"
    assert [format_java_datetime("S" * n, moment) for n in range(1, 7)] == [micros[:n] for n in range(1, 7)]
    assert format_java_datetime("SSSSSSSSS", moment) == micros + "000"


MOMENT = datetime(2026, 11, 26, 9, 5, 7, 999_999, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy/MM/dd/HH/", "2026/11/26/09/"),
        ("'year='yyyy'/month='MM'/day='dd'/hour='HH", "year=2026/month=11/day=26/hour=09"),
        ("yyyy'-'MM'-'dd", "2026-11-26"),  # the gist in DG-PFX's wild: quoted separators
        ("y yyy yyyyy", "2026 2026 02026"),
        ("G GGGG GGGGG", "AD Anno Domini A"),
        ("MMMMM EEEEE", "N T"),
        ("Q QQ QQQ QQQQ QQQQQ", "4 04 Q4 4th quarter 4"),
        ("S SS SSS", "9 99 999"),
        ("''", "'"),
        ("'it''s' HH", "it's 09"),
        ("[yyyy][-MM]", "2026-11"),
        ("g", str((MOMENT.date() - datetime(1858, 11, 17).date()).days)),  # Modified Julian Day
        ("A", str(((9 * 60 + 5) * 60 + 7) * 1000 + 999)),
        ("VV O OOOO X", "UTC GMT GMT Z"),
        ("Ê-é", "Ê-é"),  # non-ASCII letters are literal in Java
    ],
)
def test_documented_presentations(pattern: str, expected: str) -> None:
    assert format_java_datetime(pattern, MOMENT) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (ZoneInfo("Asia/Kolkata"), "+0530 +0530 +05:30 GMT+5:30 GMT+05:30 Asia/Kolkata +05:30"),
        (ZoneInfo("America/New_York"), "-05 -0500 -05:00 GMT-5 GMT-05:00 America/New_York -05:00"),
        (timezone(timedelta(hours=9)), "+09 +0900 +09:00 GMT+9 GMT+09:00 +09:00 +09:00"),
    ],
)
def test_zone_letters(zone: timezone | ZoneInfo, expected: str) -> None:
    assert format_java_datetime("X xx XXX O ZZZZ VV ZZZZZ", MOMENT.astimezone(zone)) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("ddd", "Too many pattern letters: d"),
        ("HHH", "Too many pattern letters: H"),
        ("aa", "Too many pattern letters: a"),
        ("DDDD", "Too many pattern letters: D"),
        ("MMMMMM", "Too many pattern letters: M"),
        ("SSSSSSSSSS", "Too many pattern letters: S"),
        ("XXXXXX", "Too many pattern letters: X"),
        ("V", "Pattern letter count must be 2: V"),
        ("b", "Unknown pattern letter: b"),
        ("yyyy#", "reserved character: '#'"),
        ("{yyyy}", "reserved character: '{'"),
        ("'open", "incomplete string literal"),
        ("yyyy]", "] without previous ["),
        ("YYYY", "'Y' (week-based-year) depends on Java locale data"),
        ("ww", "'w' (week-of-week-based-year)"),
        ("zzz", "'z' (time-zone name)"),
        ("F", "'F'"),
        ("ppH", "pad modifier"),
        ("AA", "Java prints A at exactly 2 digits"),
        ("nnn", "Java prints n at exactly 3 digits"),
    ],
)
def test_patterns_java_rejects_or_this_engine_cannot_reproduce(pattern: str, message: str) -> None:
    with pytest.raises(JavaPatternError, match=re.escape(message)):
        format_java_datetime(pattern, MOMENT)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        format_java_datetime("yyyy", datetime(2026, 1, 1))  # naive: the point of the test

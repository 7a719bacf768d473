"""Timestamp text as the OpenX and Hive JSON SerDes read it, against Python's datetime as the oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.simulate.glue_table import SchemaError
from firehose_s3_client.simulate.serde_timestamps import hive_timestamp, joda_regex, openx_timestamp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def nanos(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


@given(moments)
def test_openx_iso_and_lenient_forms(moment: datetime) -> None:
    micros = f"{moment.microsecond:06d}"
    assert openx_timestamp(moment.strftime("%Y-%m-%dT%H:%M:%S.") + micros + "Z") == nanos(moment)
    assert openx_timestamp(moment.strftime("%Y-%m-%dT%H:%M:%S.") + micros) == nanos(moment)
    lenient = f"{moment.year}-{moment.month}-{moment.day} {moment.hour}:{moment.minute}:{moment.second}.{micros}"
    assert openx_timestamp(lenient) == nanos(moment)


def test_fractions_keep_nine_digits() -> None:
    assert openx_timestamp("2017-02-07T15:13:01.392567891Z") % 1_000_000_000 == 392_567_891
    assert openx_timestamp("2017-02-07 15:13:01.14") % 1_000_000_000 == 140_000_000


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("1518033528", datetime(2018, 2, 7, 19, 58, 48, tzinfo=UTC)),  # the DG's epoch-seconds example
        ("1518033528123", datetime(2018, 2, 7, 19, 58, 48, 123000, tzinfo=UTC)),  # epoch milliseconds
        ("1518033528.123", datetime(2018, 2, 7, 19, 58, 48, 123000, tzinfo=UTC)),  # floating epoch seconds
    ],
)
def test_openx_epoch_numbers(text: str, moment: datetime) -> None:
    assert openx_timestamp(text) == nanos(moment)


def test_epoch_seconds_end_below_one_trillion() -> None:
    assert openx_timestamp("999999999999") == 999_999_999_999 * 1_000_000_000  # seconds, year 33658
    assert openx_timestamp("1000000000000") == 1_000_000_000_000 * 1_000_000  # milliseconds, 2001
    assert openx_timestamp("-999999999999.5") == -999_999_999_999_500_000_000


@pytest.mark.parametrize(
    "text", ["2026-9-7T12:00:02Z", "2026-09-07T12:00", "2026-09-07T12:00:02+01:00", "yesterday", "2026-02-30 00:00:00"]
)
def test_openx_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"not an OpenX JSON SerDe timestamp|not a valid date and time"):
        openx_timestamp(text)


def test_hive_default_is_timestamp_value_of() -> None:
    assert hive_timestamp("2026-1-2 3:04:05.5", ()) == nanos(datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC))
    with pytest.raises(ValueError, match="not a Hive JSON SerDe timestamp"):
        hive_timestamp("2026-01-02T03:04:05Z", ())
    with pytest.raises(ValueError, match="not a Hive JSON SerDe timestamp"):
        hive_timestamp("1518033528", ())


def test_hive_formats_in_order_with_millis() -> None:
    formats = ("millis", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "dd/MM/yyyy")
    assert hive_timestamp("1518033528123", formats) == 1518033528123 * 1_000_000
    assert hive_timestamp("2018-02-07T19:58:48.123Z", formats) == nanos(
        datetime(2018, 2, 7, 19, 58, 48, 123000, tzinfo=UTC)
    )
    assert hive_timestamp("07/02/2018", formats) == nanos(datetime(2018, 2, 7, tzinfo=UTC))
    with pytest.raises(ValueError, match="not a Hive JSON SerDe timestamp"):
        hive_timestamp("2018-02-07 19:58:48", formats)  # valueOf's form is not tried when formats are set


def test_joda_letters_outside_the_supported_set_are_a_schema_error() -> None:
    assert joda_regex("yyyy-M-d").fullmatch("2026-1-2")
    with pytest.raises(SchemaError, match="not 'EEE'"):
        joda_regex("EEE, dd MMM yyyy")
    with pytest.raises(SchemaError, match="unterminated quote"):
        joda_regex("yyyy'T")

"""Partition projection from a data prefix: the layout, the projections, and the prefixes that cannot be queried."""

from __future__ import annotations

import datetime

import pytest
from cdk_helpers.analytics import HOURLY, IOT_PREFIX

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.analytics import Projection, partition_layout


def test_hourly_timestamp_prefix_projects_integer_partitions() -> None:
    layout = partition_layout(HOURLY)
    assert layout.column_names == ("year", "month", "day", "hour")
    assert layout.location_template("B") == "s3://B/data/year=${year}/month=${month}/day=${day}/hour=${hour}/"
    assert layout.table_location("B") == "s3://B/data/"
    assert layout.table_parameters() == {
        "projection.year.type": "integer",
        "projection.year.range": "2024,2099",
        "projection.month.type": "integer",
        "projection.month.range": "1,12",
        "projection.month.digits": "2",
        "projection.day.type": "integer",
        "projection.day.range": "1,31",
        "projection.day.digits": "2",
        "projection.hour.type": "integer",
        "projection.hour.range": "0,23",
        "projection.hour.digits": "2",
    }
    assert {c.column_type for c in layout.columns} == {"int"}


def test_partition_keys_are_injected_or_enum_and_combined_dates_use_date_projection() -> None:
    layout = partition_layout(IOT_PREFIX, partition_values={"device_type": ["a", "b"]})
    assert layout.location_template("B") == "s3://B/iot/device_type=${device_type}/dt=${dt}/"
    assert layout.table_parameters() == {
        "projection.device_type.type": "enum",
        "projection.device_type.values": "a,b",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2024-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    }
    injected = partition_layout("x/k=!{partitionKeyFromLambda:k}/static/h=!{timestamp:yyyyMMddHH}/")
    assert injected.location_template("B") == "s3://B/x/k=${k}/static/h=${h}/"
    assert injected.table_parameters()["projection.k.type"] == "injected"
    assert injected.table_parameters()["projection.h.range"] == "2024010100,NOW"
    assert injected.table_parameters()["projection.h.interval.unit"] == "HOURS"


def test_projection_range_and_explicit_projections() -> None:
    layout = partition_layout(
        HOURLY,
        projection_start=datetime.date(2025, 6, 1),
        projection_end_year=2030,
        projections={"hour": Projection.enum(["00", "12"])},
    )
    parameters = layout.table_parameters()
    assert parameters["projection.year.range"] == "2025,2030"
    assert (parameters["projection.hour.type"], parameters["projection.hour.values"]) == ("enum", "00,12")
    assert partition_layout("").columns == ()


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("data/!{timestamp:yyyy/MM/dd}/", "spans several path segments.*one key per segment"),
        ("data/!{timestamp:yyyy}/", "segment '!{timestamp:yyyy}' cannot be projected.*one Hive-style key"),
        ("data/ym=!{timestamp:yyyy}-!{timestamp:MM}/", "cannot be projected"),
        ("!{firehose:random-string}/year=!{timestamp:yyyy}/", "random-string.*projection impossible"),
        ("data/year=!{timestamp:yyyy}", "must end with '/'"),
        ("data//year=!{timestamp:yyyy}/", "empty path segment"),
        ("data/Year=!{timestamp:yyyy}/", "lowercase"),
        ("data/y=!{timestamp:yyyy}/y=!{timestamp:MM}/", "appears twice"),
        ("data/m=!{timestamp:mm}/", "timestamp format 'mm' cannot be projected"),
    ],
)
def test_prefixes_that_cannot_be_projected_are_rejected(prefix: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        partition_layout(prefix)


def test_projection_options_must_name_prefix_columns() -> None:
    with pytest.raises(ConfigurationError, match="partition_values names region"):
        partition_layout(HOURLY, partition_values={"region": ["eu"]})
    with pytest.raises(ConfigurationError, match="no ',' or '/'"):
        Projection.enum(["a,b"])


def test_projection_builders() -> None:
    assert Projection.integer(1, 12, digits=2).table_parameters("m") == {
        "projection.m.type": "integer",
        "projection.m.range": "1,12",
        "projection.m.digits": "2",
    }
    assert Projection.injected().table_parameters("k") == {"projection.k.type": "injected"}
    with pytest.raises(ConfigurationError, match="low <= high"):
        Projection.integer(12, 1)
    with pytest.raises(ConfigurationError, match="non-empty list of values"):
        Projection.enum([])

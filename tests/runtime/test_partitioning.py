"""Partition keys for dynamic partitioning: from fields and from the event time (never the arrival time)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from firehose_transform.engine import Engine
from firehose_transform.partitioning import event_time, partition_value

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


def test_keys_from_fields_and_event_time(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    engine = make_engine(partition_key_fields=("tenant", "kind"), event_time_field="ts")
    record = engine.process(event_of({"tenant": "acme", "kind": 3, "ts": "2024-02-29T23:59:59.999+00:00"}))["records"][
        0
    ]
    assert record["result"] == "Ok"
    assert record["metadata"] == {
        "partitionKeys": {"tenant": "acme", "kind": "3", "year": "2024", "month": "02", "day": "29", "hour": "23"}
    }
    assert json.loads(decode(record))["tenant"] == "acme"  # not dropped unless DROP_FIELDS says so


def test_event_time_not_arrival_time(make_engine: EngineFactory, event_of: EventFactory) -> None:
    event = event_of({"ts": 0})  # arrival time in the event is 2023-11-14
    keys = make_engine(event_time_field="ts").process(event)["records"][0]["metadata"]["partitionKeys"]
    assert keys == {"year": "1970", "month": "01", "day": "01", "hour": "00"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-06T07:08:09Z", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("2024-05-06T07:08:09+02:00", datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC)),
        ("2024-05-06T01:30:00-05:00", datetime(2024, 5, 6, 6, 30, tzinfo=UTC)),
        ("2024-05-06T07:08:09", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),  # no offset: UTC
        ("2024-05-06", datetime(2024, 5, 6, tzinfo=UTC)),
        (1_714_979_289, datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),  # epoch seconds
        (1_714_979_289.5, datetime(2024, 5, 6, 7, 8, 9, 500_000, tzinfo=UTC)),
        (1_714_979_289_123, datetime(2024, 5, 6, 7, 8, 9, 123_000, tzinfo=UTC)),  # epoch milliseconds
        ("1714979289", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),  # digits in a string
        ("1714979289123", datetime(2024, 5, 6, 7, 8, 9, 123_000, tzinfo=UTC)),
        (-86_400, datetime(1969, 12, 31, tzinfo=UTC)),
    ],
)
def test_event_time_formats(value: Any, expected: datetime) -> None:
    assert event_time(value) == expected


@pytest.mark.parametrize(
    "value", [None, True, "", "yesterday", "2024-13-01T00:00:00Z", [2024], {"t": 1}, 1e300, 10**20]
)
def test_invalid_event_times(value: Any) -> None:
    with pytest.raises((ValueError, OverflowError)):
        event_time(value)


@pytest.mark.parametrize(
    ("value", "text"), [("a", "a"), ("", None), (5, "5"), (-1, "-1"), (1.5, "1.5"), (True, "true"), (None, None)]
)
def test_partition_values(value: Any, text: str | None) -> None:
    assert partition_value(value) == text


@pytest.mark.parametrize("value", [[1], {"a": 1}])
def test_containers_are_not_partition_values(value: Any) -> None:
    assert partition_value(value) is None


@pytest.mark.parametrize(
    "doc",
    [
        {"ts": "2024-01-01T00:00:00Z"},  # tenant missing
        {"tenant": None, "ts": "2024-01-01T00:00:00Z"},
        {"tenant": "", "ts": "2024-01-01T00:00:00Z"},
        {"tenant": {"id": 1}, "ts": "2024-01-01T00:00:00Z"},
        {"tenant": "a"},  # event time missing
        {"tenant": "a", "ts": "not a time"},
        {"tenant": "a", "ts": False},
    ],
)
def test_missing_or_invalid_key_fails_the_record(
    make_engine: EngineFactory, event_of: EventFactory, doc: dict[str, Any]
) -> None:
    event = event_of(doc, {"tenant": "ok", "ts": 1})
    records = make_engine(partition_key_fields=("tenant",), event_time_field="ts").process(event)["records"]
    assert records[0] == {"recordId": "r0", "result": "ProcessingFailed", "data": event["records"][0]["data"]}
    assert records[1]["result"] == "Ok"


def test_documents_of_one_record_must_share_their_keys(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    same = b'{"t": "a", "v": 1}\n{"t": "a", "v": 2}\n'
    different = b'{"t": "a", "v": 1}\n{"t": "b", "v": 2}\n'
    records = make_engine(partition_key_fields=("t",)).process(event_of(same, different))["records"]
    assert records[0]["metadata"] == {"partitionKeys": {"t": "a"}}
    assert decode(records[0]) == b'{"t":"a","v":1}\n{"t":"a","v":2}\n'
    assert records[1]["result"] == "ProcessingFailed"


def test_partition_field_can_be_moved_to_the_prefix(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    record = make_engine(partition_key_fields=("tenant",), drop_fields=("tenant",)).process(
        event_of({"tenant": "acme", "v": 1})
    )["records"][0]
    assert record["metadata"] == {"partitionKeys": {"tenant": "acme"}}
    assert decode(record) == b'{"v":1}\n'


def test_dropped_records_carry_no_metadata(make_engine: EngineFactory, event_of: EventFactory) -> None:
    engine = make_engine(user_function=lambda doc, meta: None, partition_key_fields=("t",))
    assert engine.process(event_of({"t": "a"}))["records"][0] == {
        "recordId": "r0",
        "result": "Dropped",
        "data": event_of({"t": "a"})["records"][0]["data"],
    }

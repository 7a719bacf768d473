"""A served stream: many threads putting at once, the engine seeing calls in order on nondecreasing times,
closing, flushing, and the report."""

from __future__ import annotations

import argparse
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.serve.served_stream import ServedStream, StreamClosedError
from firehose_s3_client.serve.stream_selection import plan_streams
from firehose_s3_client.serve.wall_clock import ScaledClock

THREADS = 16
CALLS = 40
RECORDS = 25


def _stream(args: argparse.Namespace, name: str, clock: ScaledClock) -> ServedStream:
    plan = next(plan for plan in plan_streams(args) if plan.name == name)
    return ServedStream(plan.prepared, sink=plan.sink, output=plan.output, clock=clock, invoker=None)


def _contents(out: Path, stream: ServedStream) -> list[bytes]:
    """The data objects' bytes in the order the engine wrote them."""
    writer = stream.engine.destination.writer
    return [(out / writer.bucket / key).read_bytes() for key in writer.keys]


def _stamp(key: str) -> str:
    match = re.search(r"-1-(\d{4}(?:-\d\d){5})-", key)
    assert match, key
    return match.group(1)


def test_concurrent_calls_reach_the_engine_whole_and_in_order(
    small_assembly: Path, tmp_path: Path, args_for: Callable[..., argparse.Namespace]
) -> None:
    out = tmp_path / "out"
    # 1 ms of wall time is 100 s on this clock: the 60 s buffers close while the threads put
    stream = _stream(args_for(small_assembly, out), "Plain", ScaledClock(100_000.0))
    errors: list[BaseException] = []

    def producer(thread: int) -> None:
        try:
            for call in range(CALLS):
                stream.put([b"%d %d %d\n" % (thread, call, record) for record in range(RECORDS)])
        except BaseException as error:  # a time that went backwards would raise here
            errors.append(error)

    threads = [threading.Thread(target=producer, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stream.close()
    stream.flush()
    assert errors == []
    lines = [line for body in _contents(out, stream) for line in body.splitlines()]
    assert len(lines) == THREADS * CALLS * RECORDS
    assert len(set(lines)) == len(lines)
    for number in range(THREADS):  # each producer's records in the order it sent them
        mine = [tuple(map(int, line.split()[1:])) for line in lines if line.startswith(b"%d " % number)]
        assert mine == [(call, record) for call in range(CALLS) for record in range(RECORDS)]
    stamps = [_stamp(key) for key in stream.engine.destination.writer.keys]
    assert len(stamps) > 1
    assert stamps == sorted(stamps)
    tally = stream.engine.tally
    assert tally.records_in == tally.records_delivered == THREADS * CALLS * RECORDS


def test_a_call_s_records_share_one_arrival_after_the_previous_call_s(streams: Any) -> None:
    plain = streams.by_name("Plain")
    streams.seconds = 1.0
    plain.put([b"a\n", b"b\n"])
    first = plain.engine.clock
    streams.seconds = 0.5  # a clock read earlier than the last call's: the engine still sees no step back
    plain.put([b"c\n"])
    assert plain.engine.clock == first
    streams.seconds = 2.0
    plain.put([b"d\n"])
    assert plain.engine.clock == first + 1000


def test_a_closed_stream_refuses_records_and_flushes_what_it_took(streams: Any, tmp_path: Path) -> None:
    plain = streams.by_name("Plain")
    plain.put([b"kept\n"])
    plain.close()
    with pytest.raises(StreamClosedError):
        plain.put([b"refused\n"])
    plain.flush()
    assert _contents(tmp_path / "out", plain) == [b"kept\n"]
    assert plain.engine.tally.records_in == 1


def test_the_report_is_simulate_s_with_the_api_counts(streams: Any) -> None:
    plain = streams.by_name("Plain")
    plain.counts.call("PutRecordBatch")
    plain.put([b"1\n", b"2\n", b"3\n"])
    plain.counts.answered(3, 2)
    plain.counts.refuse("InvalidArgumentException")
    streams.seconds = 10.0
    plain.flush()
    report = plain.report()
    assert report["stream"] == {"logical_id": "Plain", "name": "Plain", "construct_path": None}
    assert report["records_in"] == report["records_delivered"] == 3
    assert report["api"] == {
        "calls": {"PutRecordBatch": 1},
        "records_accepted": 3,
        "entries_failed_injected": 2,
        "calls_throttled_injected": 0,
        "calls_refused": {"InvalidArgumentException": 1},
    }
    assert report["served"] == {
        "start": "2026-11-26T09:00:00.000Z",
        "end": "2026-11-26T09:00:10.000Z",
        "time_scale": 1.0,
    }
    assert report["keys"]["data"]
    assert report["output"]["dir"].endswith("out")


def test_encryption_and_source_come_from_the_template(streams: Any) -> None:
    assert streams.by_name("orders").encrypted
    assert not streams.by_name("Plain").encrypted
    assert streams.by_name("FromKinesis").reads_kinesis
    assert {stream.name: stream.stream_type for stream in streams.streams} == {
        "BackedUp": "DirectPut",
        "FromKinesis": "KinesisStreamAsSource",
        "orders": "DirectPut",
        "Plain": "DirectPut",
    }

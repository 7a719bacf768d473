"""Buffers that close by size or at their deadline, and the timers that close them."""

from __future__ import annotations

from firehose_s3_client.simulate.buffering import Buffer, Timers, fill
from firehose_s3_client.simulate.record_batch import RecordBatch


def _batch(*sizes: int, start: int = 0) -> RecordBatch:
    return RecordBatch([b"x" * size for size in sizes], list(range(start, start + len(sizes))), list(range(len(sizes))))


def test_a_buffer_never_exceeds_its_capacity_and_delivers_at_the_overflowing_record() -> None:
    delivered: list[tuple[list[int], int]] = []
    buffer = Buffer(10, 60_000, Timers(), lambda batch, now: delivered.append(([len(d) for d in batch.datas], now)))
    batch = _batch(4, 4, 4, 9, 20, 1, start=100)
    fill(buffer, batch, batch.arrivals, 100)
    assert delivered == [([4, 4], 102), ([4], 103), ([9], 104), ([20], 105)]  # a 20-byte record goes alone
    assert [len(d) for d in buffer.batch.datas] == [1]


def test_the_deadline_counts_from_the_first_record() -> None:
    timers = Timers()
    delivered: list[int] = []
    buffer = Buffer(100, 60_000, timers, lambda batch, now: delivered.append(now))
    buffer.add(_batch(1), 1, 5_000)
    buffer.add(_batch(1), 1, 30_000)
    assert timers.next_deadline() == 65_000
    assert timers.pop_due(64_999) is None
    deadline, due = timers.pop_due(65_000) or (0, None)
    assert (deadline, due) == (65_000, buffer)


def test_a_buffer_delivered_by_size_drops_its_old_deadline() -> None:
    timers = Timers()
    buffer = Buffer(2, 60_000, timers, lambda batch, now: None)
    buffer.add(_batch(1), 1, 0)
    buffer.deliver(10)
    assert timers.next_deadline() is None
    buffer.add(_batch(1), 1, 20)
    assert timers.next_deadline() == 60_020

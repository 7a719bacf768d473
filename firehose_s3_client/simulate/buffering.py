"""Size-and-interval buffers on a clock the caller advances, and the timers that close them.

A :class:`Buffer` collects records until either its size hint is reached (the bytes *before* compression,
ARCH limits.md) or its interval has passed since its first record entered (DG buffering-hints.html: "the
first condition met triggers delivery"). Choices where AWS is silent, tested and in docs/simulate.md:

* a record never makes a buffer exceed its size: when the next record would not fit, the buffer is
  delivered first (a single record larger than the whole hint is delivered alone);
* the interval counts from the moment the buffer's first record entered it, and the buffer closes at
  exactly ``opened + interval`` on the virtual clock (Firehose's real latency can be longer: DG-DPBUF
  says up to 1.5x with dynamic partitioning);
* ``IntervalInSeconds`` 0 delivers at the next tick of the clock after the record entered.

:class:`Timers` is a heap of deadlines; a buffer's deadline is dropped lazily when the buffer is delivered
by size first (its generation changes).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from firehose_s3_client.simulate.record_batch import RecordBatch

__all__ = ["Buffer", "Timers", "fill"]


class Timers:
    """Deadlines (epoch ms) of open buffers, earliest first."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Buffer, int]] = []
        self._sequence = 0

    def schedule(self, deadline: int, buffer: Buffer) -> None:
        self._sequence += 1
        heapq.heappush(self._heap, (deadline, self._sequence, buffer, buffer.generation))

    def next_deadline(self) -> int | None:
        """The earliest live deadline, or None."""
        heap = self._heap
        while heap and heap[0][2].generation != heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: int) -> tuple[int, Buffer] | None:
        """The earliest live deadline at or before ``now`` and its buffer (removed), or None."""
        deadline = self.next_deadline()
        if deadline is None or deadline > now:
            return None
        _, _, buffer, _ = heapq.heappop(self._heap)
        return deadline, buffer


class Buffer:
    """Records waiting for one delivery; ``on_full(batch, now)`` receives them (see the module docstring)."""

    __slots__ = (
        "batch",
        "capacity",
        "generation",
        "interval_ms",
        "keys",
        "kinesis",
        "on_full",
        "opened_at",
        "size",
        "timers",
    )

    def __init__(
        self,
        capacity: int,
        interval_ms: int,
        timers: Timers,
        on_full: Callable[[RecordBatch, int], None],
    ) -> None:
        self.capacity = capacity
        self.interval_ms = interval_ms
        self.timers = timers
        self.on_full = on_full
        self.batch = RecordBatch.empty()
        self.size = 0
        self.opened_at: int | None = None
        self.generation = 0

    def __len__(self) -> int:
        return len(self.batch)

    def fit(self, sizes: list[int], start: int, stop: int) -> int:
        """How many of ``sizes[start:stop]`` fit in the room left (at least one when the buffer is empty)."""
        room = self.capacity - self.size
        if stop - start == 1:
            return 1 if sizes[start] <= room or not self.batch.datas else 0
        fitting = bisect_right(list(accumulate(sizes[start:stop])), room)
        if fitting == 0 and not self.batch.datas:
            return 1
        return fitting

    def add(self, batch: RecordBatch, size: int, now: int) -> None:
        """Append records (their total data size is ``size``) that entered at ``now``."""
        if self.opened_at is None:
            self.opened_at = now
            self.timers.schedule(now + self.interval_ms, self)
        self.batch.extend(batch)
        self.size += size

    def deliver(self, now: int) -> None:
        """Hand the records to ``on_full`` and start empty (its pending deadline is dropped)."""
        if not self.batch.datas:
            return
        batch = self.batch
        self.batch = RecordBatch.empty()
        self.size = 0
        self.opened_at = None
        self.generation += 1
        self.on_full(batch, now)


def fill(buffer: Buffer, batch: RecordBatch, times: list[int] | None, now: int) -> None:
    """Add ``batch`` to ``buffer``, delivering it whenever the next record would not fit.

    Record ``i`` enters at ``times[i]`` (or every record at ``now``); a delivery forced by record ``i``
    happens at its entry time.
    """
    sizes = list(map(len, batch.datas))
    count = len(sizes)
    if count == 0:
        return
    if buffer.fit(sizes, 0, count) == count:
        buffer.add(batch, sum(sizes), times[0] if times is not None else now)
        return
    position = 0
    while position < count:
        at = times[position] if times is not None else now
        fitting = buffer.fit(sizes, position, count)
        if fitting == 0:
            buffer.deliver(at)
            continue
        end = position + fitting
        buffer.add(batch.slice(position, end), sum(sizes[position:end]), at)
        position = end

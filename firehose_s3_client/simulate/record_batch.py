"""Records moving through the engine together: parallel lists, no object per record.

A :class:`RecordBatch` holds, for each record, its data, its approximate arrival time (epoch milliseconds),
the index of the input record it came from (several sub-records share one after de-aggregation), and, only
when they exist, its ``kinesisRecordMetadata`` (a stream reading a Kinesis data stream) and the partition
keys the Lambda function returned for it. Slicing and concatenation are list operations done in C, which is
what keeps the engine's cost per batch rather than per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["RecordBatch"]


class RecordBatch:
    """Parallel lists of records (see the module docstring). ``kinesis``/``keys`` are None when unused."""

    __slots__ = ("arrivals", "datas", "keys", "kinesis", "sources")

    def __init__(
        self,
        datas: list[bytes],
        arrivals: list[int],
        sources: list[int],
        kinesis: list[dict[str, Any]] | None = None,
        keys: list[dict[str, str] | None] | None = None,
    ) -> None:
        self.datas = datas
        self.arrivals = arrivals
        self.sources = sources
        self.kinesis = kinesis
        self.keys = keys

    @classmethod
    def empty(cls, *, kinesis: bool = False) -> RecordBatch:
        return cls([], [], [], [] if kinesis else None)

    def __len__(self) -> int:
        return len(self.datas)

    def slice(self, start: int, stop: int) -> RecordBatch:
        """Records ``start`` to ``stop`` (a new batch; the lists are copied)."""
        return RecordBatch(
            self.datas[start:stop],
            self.arrivals[start:stop],
            self.sources[start:stop],
            self.kinesis[start:stop] if self.kinesis is not None else None,
            self.keys[start:stop] if self.keys is not None else None,
        )

    def extend(self, other: RecordBatch) -> None:
        """Append ``other``'s records (both batches must carry the same optional lists)."""
        self.datas.extend(other.datas)
        self.arrivals.extend(other.arrivals)
        self.sources.extend(other.sources)
        if self.kinesis is not None and other.kinesis is not None:
            self.kinesis.extend(other.kinesis)
        if self.keys is not None and other.keys is not None:
            self.keys.extend(other.keys)

    def select(self, positions: Sequence[int]) -> RecordBatch:
        """The records at ``positions``, in that order."""
        return RecordBatch(
            [self.datas[i] for i in positions],
            [self.arrivals[i] for i in positions],
            [self.sources[i] for i in positions],
            [self.kinesis[i] for i in positions] if self.kinesis is not None else None,
            [self.keys[i] for i in positions] if self.keys is not None else None,
        )

    def with_datas(self, datas: list[bytes], keys: list[dict[str, str] | None] | None = None) -> RecordBatch:
        """The same records with new data (same length), e.g. what the Lambda function returned."""
        return RecordBatch(datas, self.arrivals, self.sources, self.kinesis, keys if keys is not None else self.keys)

    def size(self) -> int:
        """Total data bytes."""
        return sum(map(len, self.datas))

    @staticmethod
    def concat(batches: Iterable[RecordBatch]) -> RecordBatch:
        batches = list(batches)
        if not batches:
            return RecordBatch.empty()
        out = RecordBatch(
            [], [], [], [] if batches[0].kinesis is not None else None, [] if batches[0].keys is not None else None
        )
        for batch in batches:
            out.extend(batch)
        return out

"""Records moving through the engine together: parallel lists, no object per record.

A :class:`RecordBatch` holds, for each record, its data, its approximate arrival time (epoch milliseconds),
the index of the input record it came from (several sub-records share one after de-aggregation), and, only
when they exist, its ``kinesisRecordMetadata`` (a stream reading a Kinesis data stream) and the partition
keys the Lambda function returned for it. Slicing and concatenation are list operations done in C, which is
what keeps the engine's cost per batch rather than per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["RecordBatch"]


class RecordBatch:
    """Parallel lists of records (see the module docstring).

    The optional lists (``kinesis``, ``keys``, ``raws``) are None when no record has them; in one engine either
    every record has one or none does, and an empty batch takes them on from the first batch added to it.
    ``raws`` is each record's data as it arrived, kept when a step changes it and a later step may fail the
    record (decompression; the Lambda transform before dynamic partitioning or conversion): error records
    carry the record as received (DG decomp-faq.html says so of decompression; ``firehose-s3 replay`` can
    then send it again).
    """

    __slots__ = ("arrivals", "datas", "keys", "kinesis", "raws", "sources")

    def __init__(
        self,
        datas: list[bytes],
        arrivals: list[int],
        sources: list[int],
        *,
        kinesis: list[dict[str, Any]] | None = None,
        keys: list[dict[str, str] | None] | None = None,
        raws: list[bytes] | None = None,
    ) -> None:
        self.datas = datas
        self.arrivals = arrivals
        self.sources = sources
        self.kinesis = kinesis
        self.keys = keys
        self.raws = raws

    @classmethod
    def empty(cls) -> RecordBatch:
        return cls([], [], [])

    def __len__(self) -> int:
        return len(self.datas)

    def slice(self, start: int, stop: int) -> RecordBatch:
        """Records ``start`` to ``stop`` (a new batch; the lists are copied)."""
        return RecordBatch(
            self.datas[start:stop],
            self.arrivals[start:stop],
            self.sources[start:stop],
            kinesis=self.kinesis[start:stop] if self.kinesis is not None else None,
            keys=self.keys[start:stop] if self.keys is not None else None,
            raws=self.raws[start:stop] if self.raws is not None else None,
        )

    def extend(self, other: RecordBatch) -> None:
        """Append ``other``'s records."""
        empty = not self.datas
        self.datas.extend(other.datas)
        self.arrivals.extend(other.arrivals)
        self.sources.extend(other.sources)
        if other.kinesis is not None:
            if self.kinesis is None and empty:
                self.kinesis = []
            if self.kinesis is not None:
                self.kinesis.extend(other.kinesis)
        if other.keys is not None:
            if self.keys is None and empty:
                self.keys = []
            if self.keys is not None:
                self.keys.extend(other.keys)
        if other.raws is not None:
            if self.raws is None and empty:
                self.raws = []
            if self.raws is not None:
                self.raws.extend(other.raws)

    def select(self, positions: Sequence[int]) -> RecordBatch:
        """The records at ``positions``, in that order."""
        return RecordBatch(
            [self.datas[i] for i in positions],
            [self.arrivals[i] for i in positions],
            [self.sources[i] for i in positions],
            kinesis=[self.kinesis[i] for i in positions] if self.kinesis is not None else None,
            keys=[self.keys[i] for i in positions] if self.keys is not None else None,
            raws=[self.raws[i] for i in positions] if self.raws is not None else None,
        )

    def with_datas(
        self, datas: list[bytes], keys: list[dict[str, str] | None] | None = None, *, keep_originals: bool = False
    ) -> RecordBatch:
        """The same records with new data (same length), e.g. what the Lambda function returned; with
        ``keep_originals`` the data they had so far is kept as their :meth:`originals`."""
        return RecordBatch(
            datas,
            self.arrivals,
            self.sources,
            kinesis=self.kinesis,
            keys=keys if keys is not None else self.keys,
            raws=self.originals() if keep_originals else self.raws,
        )

    def originals(self) -> list[bytes]:
        """Each record's data as it arrived (the error records' ``rawData`` after decompression)."""
        return self.raws if self.raws is not None else self.datas

    def size(self) -> int:
        """Total data bytes."""
        return sum(map(len, self.datas))

"""The producer's buffer: lines packed into Firehose records (aggregates), records cut into batches.

Not thread-safe on its own: :class:`~firehose_s3_client.producer.FirehoseProducer` holds its lock around
every call.
"""

from __future__ import annotations

from collections.abc import Callable

from firehose_s3_client.failures import FailedRecord
from firehose_transform.contract import BILLING_INCREMENT_BYTES

__all__ = ["Entry", "RecordBuffer"]


class Entry:
    """One Firehose record: a single caller record, or an aggregate of whole lines.

    ``records`` are the caller's objects and ``lengths`` their line lengths in ``data``, in order. ``created``
    is when the first of them was buffered. ``attempted`` and the error fields describe the last call that
    carried the entry.
    """

    __slots__ = ("attempted", "created", "data", "error_code", "error_message", "lengths", "records", "retryable")

    def __init__(self, data: bytes, records: list[object], lengths: list[int], created: float) -> None:
        self.data = data
        self.records = records
        self.lengths = lengths
        self.created = created
        self.attempted = False
        self.retryable = False
        self.error_code = ""
        self.error_message = ""

    def fail(self, code: str, message: str, *, retryable: bool) -> None:
        """Record the outcome of a call that did not acknowledge this entry."""
        self.attempted = True
        self.error_code = code
        self.error_message = message
        self.retryable = retryable

    def split_off(self, room: int) -> Entry | None:
        """Split off the leading whole lines that fit in ``room`` bytes as a new entry (this one keeps the rest).

        None when not even the first line fits, or when every line would go (nothing to split).
        """
        size = 0
        count = 0
        for length in self.lengths:
            if size + length > room:
                break
            size += length
            count += 1
        if count == 0 or count == len(self.lengths):
            return None
        head = Entry(self.data[:size], self.records[:count], self.lengths[:count], self.created)
        head.attempted, head.retryable = self.attempted, self.retryable
        head.error_code, head.error_message = self.error_code, self.error_message
        self.data = self.data[size:]
        self.records = self.records[count:]
        self.lengths = self.lengths[count:]
        return head

    def failed_records(self) -> list[FailedRecord]:
        """The caller records of this entry, as :class:`FailedRecord` with the entry's last error."""
        out = []
        offset = 0
        for record, length in zip(self.records, self.lengths, strict=True):
            out.append(
                FailedRecord(
                    record=record,
                    data=self.data[offset : offset + length],
                    error_code=self.error_code,
                    error_message=self.error_message,
                    retryable=self.retryable,
                    attempted=self.attempted,
                )
            )
            offset += length
        return out


class RecordBuffer:
    """Buffered lines: the open aggregate, then sealed Firehose records waiting for a batch, oldest first.

    Args:
        aggregate: pack lines into aggregates (else one Firehose record per line).
        aggregate_max_bytes: aggregate size cap.
        aggregate_max_records: lines per aggregate.
        max_batch_records: Firehose records per batch.
        max_batch_bytes: bytes per batch (a single larger record makes a batch alone).
        clock: monotonic clock, read when a record opens an aggregate (or, without aggregation, per record).
    """

    def __init__(
        self,
        *,
        aggregate: bool,
        aggregate_max_bytes: int,
        aggregate_max_records: int,
        max_batch_records: int,
        max_batch_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self.aggregate = aggregate
        self.aggregate_max_bytes = aggregate_max_bytes
        self.aggregate_max_records = aggregate_max_records
        self.max_batch_records = max_batch_records
        self.max_batch_bytes = max_batch_bytes
        self.clock = clock
        # The open aggregate.
        self.parts: list[bytes] = []
        self.part_records: list[object] = []
        self.part_bytes = 0
        self.opened = 0.0
        # Sealed Firehose records, oldest first.
        self.ready: list[Entry] = []
        self.ready_bytes = 0
        #: Caller records and bytes buffered (open aggregate and sealed records).
        self.records = 0
        self.bytes = 0

    def add(self, data: bytes, record: object) -> None:
        """Buffer one newline-terminated line (``record`` is the caller's object)."""
        size = len(data)
        self.records += 1
        self.bytes += size
        if not self.aggregate:
            self.ready.append(Entry(data, [record], [size], self.clock()))
            self.ready_bytes += size
            return
        parts = self.parts
        if parts and (self.part_bytes + size > self.aggregate_max_bytes or len(parts) >= self.aggregate_max_records):
            self.seal()
            parts = self.parts
        if not parts:
            self.opened = self.clock()
        parts.append(data)
        self.part_records.append(record)
        self.part_bytes += size

    def seal(self) -> None:
        """Close the open aggregate into a Firehose record."""
        parts = self.parts
        if not parts:
            return
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.ready.append(Entry(data, self.part_records, [len(p) for p in parts], self.opened))
        self.ready_bytes += len(data)
        self.parts = []
        self.part_records = []
        self.part_bytes = 0

    def oldest(self) -> float | None:
        """When the oldest buffered record was added (by ``clock``), or None when the buffer is empty."""
        if self.ready:
            return self.ready[0].created
        return self.opened if self.parts else None

    def has_full_batch(self) -> bool:
        """Whether a batch at a service limit (records or bytes) is waiting."""
        return len(self.ready) >= self.max_batch_records or self.ready_bytes >= self.max_batch_bytes

    def take_batches(self, *, everything: bool) -> list[list[Entry]]:
        """Remove and return the batches to send: the full ones, or (``everything``) all that is buffered."""
        if everything:
            self.seal()
        ready = self.ready
        batches: list[list[Entry]] = []
        while ready and (everything or self.has_full_batch()):
            count = 0
            size = 0
            for entry in ready:
                if count == self.max_batch_records:
                    break
                if count and size + len(entry.data) > self.max_batch_bytes:
                    # Fill the room with the aggregate's first lines rather than leave it empty: fewer calls. The
                    # piece is cut at a whole number of 5 KiB billing increments, so the billing rounding it adds
                    # is at most a line: the rest of the aggregate keeps the rounding the whole one had.
                    room = (self.max_batch_bytes - size) // BILLING_INCREMENT_BYTES * BILLING_INCREMENT_BYTES
                    head = entry.split_off(room) if room else None
                    if head is not None:
                        ready.insert(count, head)
                        count += 1
                        size += len(head.data)
                    break
                count += 1
                size += len(entry.data)
            batch = ready[:count]
            del ready[:count]
            self.ready_bytes -= size
            self.bytes -= size
            self.records -= sum(len(e.records) for e in batch)
            batches.append(batch)
        return batches

    def put_back(self, entries: list[Entry]) -> None:
        """Return entries taken by :meth:`take_batches` to the front of the queue (they keep their age)."""
        if not entries:
            return
        self.ready[:0] = entries
        size = sum(len(e.data) for e in entries)
        self.ready_bytes += size
        self.bytes += size
        self.records += sum(len(e.records) for e in entries)

    def drain(self) -> list[Entry]:
        """Remove and return everything buffered, as entries (the open aggregate sealed)."""
        self.seal()
        entries = self.ready
        self.ready = []
        self.ready_bytes = 0
        self.records = 0
        self.bytes = 0
        return entries

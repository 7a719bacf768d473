"""The producer's running totals, and the snapshot of them it gives callers."""

from __future__ import annotations

from dataclasses import dataclass

from firehose_s3_client.batching import Entry

__all__ = ["Counters", "ProducerStats"]


@dataclass(frozen=True)
class ProducerStats:
    """Counters of a :class:`~firehose_s3_client.producer.FirehoseProducer` (a snapshot).

    ``records_put == records_delivered + records_failed + records_not_attempted + records_pending`` always.

    Attributes:
        records_put: caller records accepted by ``put``.
        records_delivered: caller records acknowledged by Firehose (each is counted once: a record is never
            re-sent after it was acknowledged).
        firehose_records: Firehose records (aggregates) acknowledged.
        api_calls: ``PutRecordBatch`` calls, retries and failed calls included.
        payload_bytes: bytes acknowledged (newlines included).
        billed_bytes: estimate of the ingestion bytes billed for the acknowledged records: each
            Firehose record rounded up to 5 KiB (5,120 bytes). Calls that lost their answer may also have
            been billed; they are not counted.
        retries: re-sends (calls after the first one for a batch).
        records_failed: caller records handed back after at least one call carried them.
        records_not_attempted: caller records handed back by ``abort()`` without ever being sent.
        records_pending: caller records buffered or in a call in progress (neither delivered nor handed back).
    """

    records_put: int = 0
    records_delivered: int = 0
    firehose_records: int = 0
    api_calls: int = 0
    payload_bytes: int = 0
    billed_bytes: int = 0
    retries: int = 0
    records_failed: int = 0
    records_not_attempted: int = 0
    records_pending: int = 0

    @property
    def billed_ratio(self) -> float:
        """``billed_bytes / payload_bytes`` (1.0 is perfect; 0.0 before anything was delivered)."""
        return self.billed_bytes / self.payload_bytes if self.payload_bytes else 0.0


@dataclass
class Counters:
    """The producer's running totals (guarded by its lock); see :class:`ProducerStats` for their meaning."""

    records_put: int = 0
    records_delivered: int = 0
    firehose_records: int = 0
    api_calls: int = 0
    payload_bytes: int = 0
    billed_bytes: int = 0
    retries: int = 0
    records_failed: int = 0
    records_not_attempted: int = 0

    def count_failed(self, entries: list[Entry]) -> None:
        """Count the records of entries handed back: failed if a call carried them, else not attempted."""
        for entry in entries:
            if entry.attempted:
                self.records_failed += len(entry.records)
            else:
                self.records_not_attempted += len(entry.records)

    def snapshot(self) -> ProducerStats:
        handed_back = self.records_delivered + self.records_failed + self.records_not_attempted
        # Counters holds exactly ProducerStats's fields but the derived records_pending.
        return ProducerStats(**vars(self), records_pending=self.records_put - handed_back)

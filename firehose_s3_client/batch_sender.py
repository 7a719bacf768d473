"""Sending one batch with ``PutRecordBatch``: the retry loop, and the bookkeeping that keeps every record accounted for.

A :class:`BatchSend` is created when a batch leaves the buffer and is shared (under the producer's lock) with
``abort()``: at any moment each of its entries is in exactly one of ``pending`` (not yet acknowledged nor given
up on), ``delivered`` or ``failed``. Whoever resolves the pending entries (the retry loop, an interrupted
call handing them back to the buffer, ``abort()`` abandoning a call still in flight) does it under the lock,
so no entry is ever counted twice or lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from firehose_s3_client.batching import Entry
from firehose_s3_client.failures import CODE_INTERRUPTED, classify_exception, is_retryable_error_code
from firehose_s3_client.producer_stats import Counters
from firehose_s3_client.records import billed_bytes
from firehose_s3_client.retry_policy import RetryPolicy

__all__ = ["BatchSend", "BatchSender", "FirehoseClient"]


class FirehoseClient(Protocol):
    """What the producer needs from a client: boto3's ``firehose`` client qualifies."""

    def put_record_batch(
        self,
        *,
        DeliveryStreamName: str,  # noqa: N803 (the boto3 parameter name)
        Records: list[dict[str, bytes]],  # noqa: N803
    ) -> Mapping[str, Any]: ...


class BatchSend:
    """One batch out of the buffer: its entries split into pending, delivered and failed."""

    __slots__ = ("abandoned", "delivered", "failed", "pending", "started")

    def __init__(self, entries: list[Entry]) -> None:
        self.pending = entries
        self.delivered: list[Entry] = []
        self.failed: list[Entry] = []
        #: A call was made (or is being made) for this batch.
        self.started = False
        #: ``abort()`` took the pending entries over: the sender must not touch them any more.
        self.abandoned = False


def _sort_response(response: Mapping[str, Any], entries: list[Entry]) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """(delivered, to retry, failed for good) from a ``PutRecordBatch`` answer; updates each entry's error."""
    responses = response.get("RequestResponses")
    if (
        not isinstance(responses, list)
        or len(responses) != len(entries)
        or not all(isinstance(r, Mapping) for r in responses)
    ):
        # Cannot tell which entries were written: re-send them all (at least once).
        for entry in entries:
            entry.fail("IncompleteResponse", "RequestResponses does not match the records sent", retryable=True)
        return [], entries, []
    delivered: list[Entry] = []
    retry: list[Entry] = []
    failed: list[Entry] = []
    for entry, result in zip(entries, responses, strict=True):
        code = result.get("ErrorCode")
        if not code:
            delivered.append(entry)
            continue
        # Per-entry codes are transient by contract (ServiceUnavailableException, InternalFailure) unless known
        # to be permanent: hence the 500 status.
        retryable = is_retryable_error_code(str(code), 500)
        entry.fail(str(code), str(result.get("ErrorMessage") or ""), retryable=retryable)
        (retry if retryable else failed).append(entry)
    return delivered, retry, failed


class BatchSender:
    """Runs the retry loop of a batch against a client, counting under ``lock``.

    Args:
        client: the Firehose client.
        stream_name: the delivery stream.
        policy: the retry policy.
        lock: the producer's lock (a ``threading.Condition``); ``counters`` and every ``BatchSend`` are guarded by it.
        counters: the producer's totals.
        clock, sleep, random: time source, sleep and jitter source.
        stop_requested: read before every retry: when true, retrying stops (pending entries fail with their last
            error).
    """

    def __init__(
        self,
        *,
        client: FirehoseClient,
        stream_name: str,
        policy: RetryPolicy,
        lock: threading.Condition,
        counters: Counters,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        random: Callable[[], float],
        stop_requested: Callable[[], bool],
    ) -> None:
        self.client = client
        self.stream_name = stream_name
        self.policy = policy
        self.lock = lock
        self.counters = counters
        self.clock = clock
        self.sleep = sleep
        self.random = random
        self.stop_requested = stop_requested
        #: True while the main thread waits for a ``PutRecordBatch`` answer: the one place where a
        #: ``KeyboardInterrupt`` is unwound without losing track of records (see ``send``).
        self.main_thread_in_call = False

    def send(self, batch: BatchSend) -> None:
        """Send ``batch`` until every entry is delivered or failed (or the batch is abandoned).

        A ``BaseException`` raised during the call (KeyboardInterrupt) propagates with the batch's unresolved
        entries still in ``batch.pending``, marked attempted (the call may have been written, and even
        acknowledged if the interrupt came just after the answer): the caller hands them back to the buffer.
        """
        start = self.clock()
        attempts = 0
        on_main_thread = threading.current_thread() is threading.main_thread()
        while True:
            with self.lock:
                entries = batch.pending
                if batch.abandoned or not entries:
                    return
                batch.started = True
                for entry in entries:
                    entry.attempted = True
            attempts += 1
            try:
                if on_main_thread:
                    self.main_thread_in_call = True
                response = self.client.put_record_batch(
                    DeliveryStreamName=self.stream_name, Records=[{"Data": e.data} for e in entries]
                )
                if on_main_thread:
                    self.main_thread_in_call = False
            except Exception as exc:  # classified: retryable, or fails the batch with its records
                if on_main_thread:
                    self.main_thread_in_call = False
                code, message, retryable = classify_exception(exc)
                for entry in entries:
                    entry.fail(code, message, retryable=retryable)
                delivered: list[Entry] = []
                retry, failed = (entries, []) if retryable else ([], entries)
            except BaseException:
                if on_main_thread:
                    self.main_thread_in_call = False
                for entry in entries:
                    entry.fail(CODE_INTERRUPTED, "the call was interrupted; it may have been written", retryable=True)
                raise
            else:
                delivered, retry, failed = _sort_response(response, entries)
            if not self._record_call(batch, delivered, retry, failed):
                return
            delay = (
                None if self.stop_requested() else self.policy.next_sleep(attempts, self.clock() - start, self.random)
            )
            if delay is None:
                self._give_up(batch)
                return
            self.sleep(delay)
            if self.stop_requested():
                self._give_up(batch)
                return
            with self.lock:
                self.counters.retries += 1

    def _record_call(self, batch: BatchSend, delivered: list[Entry], retry: list[Entry], failed: list[Entry]) -> bool:
        """Count one call's outcome; whether entries are left to retry."""
        with self.lock:
            counters = self.counters
            counters.api_calls += 1
            if batch.abandoned:  # abort() already handed these records back: their outcome no longer counts
                return False
            for entry in delivered:
                counters.firehose_records += 1
                counters.records_delivered += len(entry.records)
                counters.payload_bytes += len(entry.data)
                counters.billed_bytes += billed_bytes(len(entry.data))
            counters.count_failed(failed)
            batch.delivered += delivered
            batch.failed += failed
            batch.pending = retry
            return bool(retry)

    def _give_up(self, batch: BatchSend) -> None:
        with self.lock:
            if batch.abandoned:
                return
            self.counters.count_failed(batch.pending)
            batch.failed += batch.pending
            batch.pending = []

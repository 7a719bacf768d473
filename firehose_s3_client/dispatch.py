"""Between the buffer and an outcome: the batches in flight, sending them, and handing their failures back.

A batch is *in flight* from the moment it leaves the buffer until its failed records have been handed over
(raised, passed to ``on_failure``, or kept for the caller's next call), so ``flush()`` and ``abort()`` wait for
the hand-over too. Everything here runs under the producer's condition, except the sending itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from firehose_s3_client.batch_sender import BatchSend, BatchSender
from firehose_s3_client.batching import Entry, RecordBuffer
from firehose_s3_client.failures import CODE_IN_FLIGHT, CODE_NOT_ATTEMPTED, DeliveryFailedError, FailedRecord
from firehose_s3_client.producer_stats import Counters

__all__ = ["Dispatcher"]


def _failed(batches: list[BatchSend]) -> list[FailedRecord]:
    return [r for batch in batches for entry in batch.failed for r in entry.failed_records()]


class Dispatcher:
    """Sends batches taken from ``buffer`` with ``sender``; failures go to ``on_failure`` or are raised.

    Args:
        cond: the producer's condition (guards the buffer, the counters and everything here).
        buffer: where batches come from, and where batches not sent go back.
        sender: runs each batch's retry loop.
        counters: the producer's totals.
        stream_name: for :class:`DeliveryFailedError`.
        on_failure: the caller's callback, or None (then failures are raised).
        stop_requested: whether the producer was asked to stop (batches not started then go back).
    """

    def __init__(
        self,
        *,
        cond: threading.Condition,
        buffer: RecordBuffer,
        sender: BatchSender,
        counters: Counters,
        stream_name: str,
        on_failure: Callable[[list[FailedRecord]], None] | None,
        stop_requested: Callable[[], bool],
    ) -> None:
        self._cond = cond
        self._buffer = buffer
        self._sender = sender
        self._counters = counters
        self._stream_name = stream_name
        self._on_failure = on_failure
        self._stop_requested = stop_requested
        self._in_flight: set[BatchSend] = set()
        self._deferred: list[FailedRecord] = []  # failures of the flush thread, when there is no on_failure
        self._deferred_error: BaseException | None = None  # an exception on_failure raised in the flush thread

    def has_news_locked(self) -> bool:
        """Whether failures (or an ``on_failure`` exception) wait for the caller's next call."""
        return bool(self._deferred) or self._deferred_error is not None

    def take_locked(self, *, everything: bool) -> list[BatchSend]:
        """Take the full batches (or ``everything``) out of the buffer; they are in flight from now on."""
        batches = [BatchSend(entries) for entries in self._buffer.take_batches(everything=everything)]
        self._in_flight.update(batches)
        return batches

    def wait_idle_locked(self) -> None:
        """Wait until no batch is in flight (other threads' included)."""
        while self._in_flight:
            self._cond.wait()

    def send_and_report(self, batches: list[BatchSend]) -> None:
        """Send (in the calling thread), then hand the failures - and those the flush thread left - over.

        Raises:
            DeliveryFailedError: records failed and there is no ``on_failure``.
            BaseException: what ``on_failure`` raised in the flush thread, or a KeyboardInterrupt of a call.
        """
        try:
            failures = self._send(batches)
        except BaseException:
            with self._cond:
                self._deferred += _failed(batches)
            self._finish(batches)
            raise
        with self._cond:
            error, self._deferred_error = self._deferred_error, None
            deferred, self._deferred = self._deferred, []
        try:
            self._report(deferred + failures, raising=error is None)
            if error is not None:
                raise error
        finally:
            self._finish(batches)

    def send_in_background(self, batches: list[BatchSend]) -> None:
        """Send from the flush thread: failures go to ``on_failure`` or wait for the caller's next call."""
        try:
            failures = self._send(batches)
            if failures and self._on_failure is not None:
                try:
                    self._on_failure(failures)
                except Exception as error:  # re-raised by the next call, in the caller's thread
                    with self._cond:
                        self._deferred_error = error
            elif failures:
                with self._cond:
                    self._deferred += failures
        finally:
            self._finish(batches)

    def take_over_locked(self, *, timeout: float | None, stop_now: Callable[[], bool]) -> list[FailedRecord]:
        """``abort()``'s work: every record not delivered nor handed back yet (see ``FirehoseProducer.abort``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        unsent = self._abandon_locked(lambda batch: not batch.started)
        while any(b.pending for b in self._in_flight) and not stop_now():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            self._cond.wait(0.1 if remaining is None else min(remaining, 0.1))
        in_flight = self._abandon_locked(lambda batch: bool(batch.pending))
        for entry in in_flight:
            entry.fail(CODE_IN_FLIGHT, "the call was still in progress when the producer stopped", retryable=True)
        self.wait_idle_locked()  # batches whose failures are being handed to on_failure right now
        unsent += self._buffer.drain()
        for entry in unsent:
            if not entry.attempted:
                entry.error_code = CODE_NOT_ATTEMPTED
                entry.error_message = "never sent: the producer was stopped"
                entry.retryable = True
        self._counters.count_failed(in_flight + unsent)
        deferred, self._deferred = self._deferred, []
        self._deferred_error = None
        return deferred + [r for entry in in_flight + unsent for r in entry.failed_records()]

    # ------------------------------------------------------------------ internals

    def _abandon_locked(self, which: Callable[[BatchSend], bool]) -> list[Entry]:
        """Take over the pending entries of the in-flight batches ``which`` selects (their senders skip them)."""
        taken: list[Entry] = []
        for batch in [b for b in self._in_flight if which(b)]:
            batch.abandoned = True
            taken += batch.pending
            batch.pending = []
            self._in_flight.discard(batch)
        return taken

    def _send(self, batches: list[BatchSend]) -> list[FailedRecord]:
        """Send the batches one after the other; return their failed records.

        Batches not started when a stop is requested go back to the buffer. If a call raises a BaseException
        (KeyboardInterrupt), the unresolved entries of its batch go back to the buffer too (marked attempted)
        before it propagates: nothing leaves the producer's view.
        """
        done = 0
        try:
            for batch in batches:
                if self._stop_requested():
                    break
                self._sender.send(batch)
                done += 1
        finally:
            with self._cond:
                for batch in batches[done:]:
                    if not batch.abandoned:
                        self._buffer.put_back(batch.pending)
                        batch.pending = []
        return _failed(batches)

    def _finish(self, batches: list[BatchSend]) -> None:
        with self._cond:
            self._in_flight.difference_update(batches)
            self._cond.notify_all()

    def _report(self, failures: list[FailedRecord], *, raising: bool = True) -> None:
        if not failures:
            return
        if self._on_failure is not None:
            self._on_failure(failures)
        elif raising:
            raise DeliveryFailedError(self._stream_name, failures)
        else:
            with self._cond:
                self._deferred += failures

"""A batching, aggregating, retrying producer for Amazon Data Firehose (Direct PUT) streams.

Runtime code only: it needs boto3/botocore, never ``aws_cdk``.

Example::

    from firehose_s3_client.producer import FirehoseProducer

    with FirehoseProducer("my-stream", region_name="eu-west-1") as producer:
        producer.put({"event": "click", "user": 42})  # dict -> compact JSON + "\\n"
        producer.put("already a JSON line\\n")  # the newline is not doubled
    print(producer.stats)

Every record becomes one newline-terminated line; lines are packed (*aggregated*, on by default) into Firehose
records of up to ``aggregate_max_bytes`` so that the per-record 5 KiB billing rounding stops dominating the
bill; Firehose records are sent with ``PutRecordBatch`` in batches of at most 500 records and 4 MiB.

**Every record is accounted for.** At any moment each record passed to :meth:`FirehoseProducer.put` is in
exactly one state: *buffered* (or in a call in progress), *delivered* (the service acknowledged it: an HTTP
answer whose entry for its Firehose record carries no ``ErrorCode``), or *handed back* as a
:class:`FailedRecord` (raised in :class:`DeliveryFailedError`, passed to ``on_failure``, or returned by
:meth:`~FirehoseProducer.abort`). ``stats`` shows the counts: ``records_put == records_delivered +
records_failed + records_not_attempted + records_pending``. Lines of one aggregate share its fate.

**At least once.** Entries that came back with an ``ErrorCode`` were not written, and only they are re-sent.
A call that got no usable answer (read timeout, connection reset or closed mid-call, an answer cut short) may
or may not have been written, and is re-sent whole: the destination can then hold those records twice. So a
record can be duplicated only when a call carrying it lost its answer; a record whose calls were refused
(connection refused, connect timeout, an error answer) is never duplicated. A handed-back record with
``attempted=True`` may also already be at the destination for the same reason. De-duplicate downstream (for
example on an event id) if duplicates matter.
"""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from firehose_s3_client.aws_clients import create_boto3_client
from firehose_s3_client.batch_sender import BatchSender, FirehoseClient
from firehose_s3_client.batching import RecordBuffer
from firehose_s3_client.dispatch import Dispatcher
from firehose_s3_client.failures import (
    NON_RETRYABLE_ERROR_CODES,
    RETRYABLE_ERROR_CODES,
    DeliveryFailedError,
    FailedRecord,
    ProducerClosedError,
    ProducerError,
    RecordTooLargeError,
    is_retryable_error_code,
)
from firehose_s3_client.flush_thread import FlushThread, flush_at_exit
from firehose_s3_client.producer_options import DEFAULT_MAX_BUFFERED_SECONDS, validate_options
from firehose_s3_client.producer_stats import Counters, ProducerStats
from firehose_s3_client.records import DEAGGREGATION_MAX_SUB_RECORDS, billed_bytes, encode_record
from firehose_s3_client.retry_policy import RetryPolicy
from firehose_transform.contract import (
    BILLING_INCREMENT_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
)

__all__ = [
    "BILLING_INCREMENT_BYTES",
    "DEFAULT_MAX_BUFFERED_SECONDS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_RECORDS",
    "MAX_RECORD_BYTES",
    "NON_RETRYABLE_ERROR_CODES",
    "RETRYABLE_ERROR_CODES",
    "DeliveryFailedError",
    "FailedRecord",
    "FirehoseClient",
    "FirehoseProducer",
    "ProducerClosedError",
    "ProducerError",
    "ProducerStats",
    "RecordTooLargeError",
    "RetryPolicy",
    "billed_bytes",
    "create_boto3_client",
    "encode_record",
    "is_retryable_error_code",
]

_log = logging.getLogger(__name__)


class FirehoseProducer:
    """Buffers, aggregates, batches and sends records to a Firehose Direct PUT stream.

    See the module docstring for the accounting and at-least-once rules, and ``docs/producer.md``.

    Sending: the ``put`` that fills a batch (500 records or 4 MiB), or the buffer (``max_buffer_bytes`` /
    ``max_buffer_records``), sends synchronously in the calling thread, retries included. A background
    thread sends whatever has waited ``max_buffered_seconds`` (like the KPL's ``RecordMaxBufferedTime``), so
    records never wait unbounded when the caller forgets :meth:`flush`; its failures go to ``on_failure``, or
    are raised by the next ``put``/``flush``/``close``. At interpreter exit, a producer that was not closed is
    flushed; what cannot be delivered then is logged as an error (logger ``firehose_s3_client.producer``),
    never dropped silently. All methods are thread-safe.

    Args:
        stream_name: the delivery stream name.
        client: a boto3 ``firehose`` client (or anything with ``put_record_batch``). Default: one created from
            ``region_name``/``profile_name``/``endpoint_url`` and the usual environment, with botocore's retries
            off (see :func:`create_boto3_client`).
        region_name, profile_name, endpoint_url: for the default client. Default: environment/profile, AWS.
        aggregate: pack lines into aggregates. Default True.
        aggregate_max_bytes: aggregate size cap, 5,120 to 1,024,000 bytes. Default 1,024,000.
        aggregate_max_records: lines per aggregate, at least 1. Default 500 (the de-aggregation limit).
        max_batch_records: Firehose records per call, 1 to 500. Default 500.
        max_batch_bytes: bytes per call, 1 to 4 MiB (a single larger record is sent alone). Default 4 MiB.
        max_buffer_bytes: buffered bytes that force a send from ``put``. Default 8 MiB.
        max_buffer_records: buffered caller records that force a send from ``put``. Default 250,000.
        max_buffered_seconds: the longest a record waits in the buffer before the background thread sends it;
            None disables the thread (then only ``put``, ``flush`` and ``close`` send). Default 5 s.
        retry: the :class:`RetryPolicy`. Default ``RetryPolicy()`` (60 s per batch, 0.1 s base, 10 s cap).
        on_failure: receives the failed records instead of an exception being raised. Default None.
        json_default: ``default=`` for ``json.dumps`` of dict records (e.g. ``str`` for datetimes).
        sleep: sleep between retries (tests). Default: ``time.sleep`` in slices that end early on
            :meth:`request_stop`.
        clock: monotonic clock for the retry budget (tests). Default ``time.monotonic``.
        random: uniform [0, 1) source for the jitter (tests). Default ``random.random``.
    """

    def __init__(
        self,
        stream_name: str,
        *,
        client: FirehoseClient | None = None,
        region_name: str | None = None,
        profile_name: str | None = None,
        endpoint_url: str | None = None,
        aggregate: bool = True,
        aggregate_max_bytes: int = MAX_RECORD_BYTES,
        aggregate_max_records: int = DEAGGREGATION_MAX_SUB_RECORDS,
        max_batch_records: int = MAX_BATCH_RECORDS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        max_buffer_bytes: int = 8 * 1024 * 1024,
        max_buffer_records: int = 250_000,
        max_buffered_seconds: float | None = DEFAULT_MAX_BUFFERED_SECONDS,
        retry: RetryPolicy | None = None,
        on_failure: Callable[[list[FailedRecord]], None] | None = None,
        json_default: Callable[[Any], Any] | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
    ) -> None:
        validate_options(
            stream_name,
            aggregate_max_bytes=aggregate_max_bytes,
            aggregate_max_records=aggregate_max_records,
            max_batch_records=max_batch_records,
            max_batch_bytes=max_batch_bytes,
            max_buffer_bytes=max_buffer_bytes,
            max_buffer_records=max_buffer_records,
            max_buffered_seconds=max_buffered_seconds,
        )
        if client is not None and (region_name or profile_name or endpoint_url):
            raise ValueError("pass either client or region_name/profile_name/endpoint_url, not both")
        if client is None:
            client = create_boto3_client(
                "firehose", region_name=region_name, profile_name=profile_name, endpoint_url=endpoint_url
            )
        self.stream_name = stream_name
        self._max_buffer_bytes = max_buffer_bytes
        self._max_buffer_records = max_buffer_records
        self._json_default = json_default
        self._cond = threading.Condition(threading.Lock())
        self._counters = Counters()
        self._buffer = RecordBuffer(
            aggregate=aggregate,
            aggregate_max_bytes=aggregate_max_bytes,
            aggregate_max_records=aggregate_max_records,
            max_batch_records=max_batch_records,
            max_batch_bytes=max_batch_bytes,
            clock=time.monotonic,  # buffer age is real time, whatever clock the retries use
        )
        self._sender = BatchSender(
            client=client,
            stream_name=stream_name,
            policy=retry if retry is not None else RetryPolicy(),
            lock=self._cond,
            counters=self._counters,
            clock=clock,
            sleep=sleep if sleep is not None else self._stoppable_sleep,
            random=random,
            stop_requested=self._stopping,
        )
        self._dispatch = Dispatcher(
            cond=self._cond,
            buffer=self._buffer,
            sender=self._sender,
            counters=self._counters,
            stream_name=stream_name,
            on_failure=on_failure,
            stop_requested=self._stopping,
        )
        self._closed = False
        self._stop_requested = False
        self._stop_now = False
        self._flusher = (
            None
            if max_buffered_seconds is None
            else FlushThread(
                name=f"firehose-flush-{stream_name}",
                cond=self._cond,
                limit=max_buffered_seconds,
                oldest=self._buffer.oldest,
                take=lambda: self._dispatch.take_locked(everything=True),
                send=self._dispatch.send_in_background,
                finished=lambda: self._closed or self._stop_requested,
            )
        )
        flush_at_exit(self)

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> ProducerStats:
        """A snapshot of the counters."""
        with self._cond:
            return self._counters.snapshot()

    @property
    def buffered_bytes(self) -> int:
        """Bytes buffered and not yet handed to a ``PutRecordBatch`` call."""
        with self._cond:
            return self._buffer.bytes

    @property
    def buffered_records(self) -> int:
        """Caller records buffered and not yet handed to a ``PutRecordBatch`` call."""
        with self._cond:
            return self._buffer.records

    @property
    def main_thread_in_call(self) -> bool:
        """Whether the main thread is waiting for a ``PutRecordBatch`` answer right now.

        A signal handler may raise ``KeyboardInterrupt`` then (and only then) without the producer losing track
        of any record: the records of that call go back to the buffer, marked attempted.
        """
        return self._sender.main_thread_in_call

    def put(self, record: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> None:
        """Buffer one record; send a batch synchronously if that fills one (or fills the buffer).

        Raises:
            RecordTooLargeError: the record with its newline exceeds 1,024,000 bytes (not buffered).
            TypeError, ValueError: the record cannot be encoded (not buffered).
            ProducerClosedError: the producer was closed, aborted or asked to stop (not buffered).
            DeliveryFailedError: records failed in a batch this call sent, or in one the flush thread sent since
                the last call (unless ``on_failure`` is set). The record was buffered; records the exception
                does not list were delivered or are still buffered.
        """
        data = encode_record(record, self._json_default)
        with self._cond:
            if self._closed or self._stop_requested:
                raise ProducerClosedError(f"producer for {self.stream_name!r} is closed")
            buffer = self._buffer
            if not buffer.records and self._flusher is not None:
                self._flusher.wake_locked()
            self._counters.records_put += 1
            buffer.add(data, record)
            force = buffer.bytes >= self._max_buffer_bytes or buffer.records >= self._max_buffer_records
            batches = self._dispatch.take_locked(everything=force) if force or buffer.has_full_batch() else []
            if not batches and not self._dispatch.has_news_locked():
                return
        self._dispatch.send_and_report(batches)

    def flush(self) -> None:
        """Send everything buffered and wait for the batches other threads are sending.

        After :meth:`request_stop` nothing more is sent; flush then only waits.

        Raises:
            DeliveryFailedError: records failed in batches this call sent, or that the flush thread sent since
                the last call (unless ``on_failure`` is set).
        """
        with self._cond:
            batches = [] if self._stop_requested else self._dispatch.take_locked(everything=True)
        self._dispatch.send_and_report(batches)
        with self._cond:
            self._dispatch.wait_idle_locked()
        self._dispatch.send_and_report([])  # what the flush thread left while we waited

    def close(self) -> None:
        """Flush, then refuse further records and stop the flush thread. Closing twice is harmless."""
        try:
            self.flush()
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def request_stop(self, *, at_once: bool = False) -> None:
        """Ask the producer to stop sending: safe to call from a signal handler (it takes no lock).

        Retry loops stop before their next retry (their pending records fail with their last error), backoff
        sleeps end, batches not started yet stay buffered, ``put`` refuses records. A call in progress
        finishes (bounded by the client's timeouts). Follow with :meth:`abort` to get the unsent records;
        ``at_once=True`` makes a waiting ``abort`` stop waiting for calls in progress.
        """
        self._stop_requested = True
        if at_once:
            self._stop_now = True

    def abort(self, timeout: float | None = None) -> list[FailedRecord]:
        """Stop sending, close the producer and hand back every record neither delivered nor handed back yet.

        Waits up to ``timeout`` seconds (None: as long as they take; ends early after
        ``request_stop(at_once=True)``) for calls in progress; their results count as usual (acknowledged
        records are delivered, failures go to ``on_failure`` or are returned here).

        Returns, in order: failures not yet handed back (of the flush thread, or of an interrupted call's batch);
        records of calls still in progress when the wait ended (``error_code="InFlight"``, ``attempted=True``:
        they may have been written); records never sent (``error_code="NotAttempted"``, ``attempted=False``) -
        except records an interrupted call had carried, which keep ``attempted=True`` and their code.
        """
        self._stop_requested = True
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            return self._dispatch.take_over_locked(timeout=timeout, stop_now=lambda: self._stop_now)

    def __enter__(self) -> FirehoseProducer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Flush and close, also when the block raised: buffered records are still sent."""
        self.close()

    # ------------------------------------------------------------------ internals

    def _stopping(self) -> bool:
        return self._stop_requested

    def _stoppable_sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stop_requested and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))

    def flush_at_exit(self) -> None:
        """Close the producer unless it was; log what cannot be delivered (called at interpreter exit)."""
        with self._cond:
            if self._closed:
                return
        try:
            self.close()
        except DeliveryFailedError as error:
            _log.error("at interpreter exit: %s", error)
        except Exception:
            _log.exception("at interpreter exit: flushing the producer for %r failed", self.stream_name)

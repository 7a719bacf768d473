"""A batching, aggregating, retrying producer for Amazon Data Firehose (Direct PUT) streams.

Runtime code only: it needs boto3/botocore, never ``aws_cdk``.

Example::

    from firehose_s3_client.producer import FirehoseProducer

    with FirehoseProducer("my-stream", region_name="eu-west-1") as producer:
        producer.put({"event": "click", "user": 42})  # dict -> compact JSON + "\\n"
        producer.put("already a JSON line\\n")  # the newline is not doubled
    print(producer.stats)

What it does, in one paragraph: every record becomes one newline-terminated line; lines are packed
(*aggregated*, on by default) into Firehose records of up to ``aggregate_max_bytes`` so that the
per-record 5 KiB billing rounding stops dominating the bill; Firehose records are sent with
``PutRecordBatch`` in batches of at most 500 records and 4 MiB; entries that come back with an
``ErrorCode`` are re-sent, throttling/5xx/timeouts are retried with exponential backoff and full
jitter; whatever still fails is handed back to the caller (exception or callback) as the original
records, never dropped.

Delivery is **at least once**: a timed-out call may have been written, and it is re-sent whole, so
the destination can see duplicates. De-duplicate downstream (for example on an event id).
"""

from __future__ import annotations

import json
import math
import random as _random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from firehose_transform.contract import (
    BILLING_INCREMENT_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
    STREAM_NAME_PATTERN,
)

__all__ = [
    "BILLING_INCREMENT_BYTES",
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
    "encode_record",
    "is_retryable_error_code",
]

#: ``RecordDeAggregation`` does not split a record of more than 500 sub-records.
DEAGGREGATION_MAX_SUB_RECORDS = 500

#: Error codes (of a whole call or of one entry) that are retried.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "ServiceUnavailableException",  # also "Slow down." when the stream is throttled
        "ServiceUnavailable",
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "InternalFailure",
        "InternalFailureException",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
#: Error codes that fail a batch at once (retrying cannot help).
NON_RETRYABLE_ERROR_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidArgumentException",
        "InvalidSourceException",
        "InvalidKMSResourceException",
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "ValidationException",
    }
)

_STREAM_NAME = re.compile(STREAM_NAME_PATTERN)


def is_retryable_error_code(code: str, http_status: int | None = None) -> bool:
    """Whether a Firehose error code (of a call or of one batch entry) is worth retrying.

    Known transient codes (throttling, ``ServiceUnavailableException``, ``InternalFailure``...) are;
    known permanent ones (``ResourceNotFoundException``, ``InvalidArgumentException``, access and
    KMS errors...) are not; an unknown code is retried only when the HTTP status is 5xx or 429.
    """
    if code in RETRYABLE_ERROR_CODES:
        return True
    if code in NON_RETRYABLE_ERROR_CODES or "AccessDenied" in code or "KMS" in code:
        return False
    return http_status is not None and (http_status >= 500 or http_status == 429)


def billed_bytes(record_size: int) -> int:
    """Bytes Firehose bills for one record of ``record_size`` bytes (rounded up to 5 KiB)."""
    return max(1, math.ceil(record_size / BILLING_INCREMENT_BYTES)) * BILLING_INCREMENT_BYTES


class ProducerError(Exception):
    """Base class of the producer's errors."""


class RecordTooLargeError(ProducerError, ValueError):
    """A record is larger than Firehose accepts; it was not buffered and nothing was sent."""

    def __init__(self, size: int, limit: int = MAX_RECORD_BYTES) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"record is {size:,} bytes including its trailing newline; "
            f"the Firehose limit is {limit:,} bytes (1,000 KiB) per record"
        )


class ProducerClosedError(ProducerError, RuntimeError):
    """``put`` was called after ``close()``."""


@dataclass(frozen=True)
class FailedRecord:
    """One caller record that could not be delivered.

    Attributes:
        record: the object the caller passed to :meth:`FirehoseProducer.put` (bytes, str or dict).
        data: the newline-terminated bytes the producer tried to send for it.
        error_code: the last error code (``ServiceUnavailableException``, ``InternalFailure``,
            ``ThrottlingException``, ``ReadTimeoutError``, ``ResourceNotFoundException``...).
        error_message: the last error message.
    """

    record: object
    data: bytes
    error_code: str
    error_message: str

    @property
    def retryable(self) -> bool:
        """Whether the last error was transient (sending the record again later may work)."""
        return is_retryable_error_code(self.error_code)


class DeliveryFailedError(ProducerError):
    """Records could not be delivered (retries exhausted, or a permanent error).

    Attributes:
        stream_name: the delivery stream.
        failed_records: every failed caller record (aggregates are mapped back to their records).
        error_codes: how many failed records carry each error code.
    """

    def __init__(self, stream_name: str, failed_records: Sequence[FailedRecord]) -> None:
        self.stream_name = stream_name
        self.failed_records = list(failed_records)
        self.error_codes: Counter[str] = Counter(r.error_code for r in self.failed_records)
        codes = ", ".join(f"{code} x{count}" for code, count in self.error_codes.most_common())
        first = self.failed_records[0].error_message if self.failed_records else ""
        super().__init__(
            f"{len(self.failed_records)} record(s) could not be delivered to Firehose stream "
            f"{stream_name!r}: {codes}" + (f" ({first})" if first else "")
        )

    @property
    def retryable(self) -> bool:
        """True when every failure was transient (the records may be sent again later)."""
        return all(r.retryable for r in self.failed_records)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry bounds for one batch: exponential backoff with full jitter.

    Before retry ``n`` (1, 2, ...) the producer sleeps ``random() * min(max_delay_seconds,
    base_delay_seconds * 2 ** (n - 1))``. It gives up when ``max_attempts`` calls were made for the
    batch or when the next sleep would take the batch past ``max_elapsed_seconds`` (counted from its
    first call), whichever comes first.

    Attributes:
        max_attempts: calls per batch, the first one included. Default 10.
        base_delay_seconds: backoff base. Default 0.1 s.
        max_delay_seconds: backoff cap. Default 10 s.
        max_elapsed_seconds: time budget per batch. Default 60 s.
    """

    max_attempts: int = 10
    base_delay_seconds: float = 0.1
    max_delay_seconds: float = 10.0
    max_elapsed_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_seconds < 0:
            raise ValueError(f"base_delay_seconds must be >= 0, got {self.base_delay_seconds}")
        if self.max_delay_seconds < self.base_delay_seconds:
            raise ValueError(
                f"max_delay_seconds must be >= base_delay_seconds ({self.base_delay_seconds}), "
                f"got {self.max_delay_seconds}"
            )
        if self.max_elapsed_seconds < 0:
            raise ValueError(f"max_elapsed_seconds must be >= 0, got {self.max_elapsed_seconds}")

    def delay(self, retry_number: int, random: Callable[[], float]) -> float:
        """The sleep before retry ``retry_number`` (1-based), given a ``random()`` in [0, 1)."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** min(retry_number - 1, 62))
        return random() * ceiling


@dataclass(frozen=True)
class ProducerStats:
    """Counters of a :class:`FirehoseProducer` (a snapshot).

    Attributes:
        records_put: caller records accepted by ``put``.
        records_delivered: caller records acknowledged by Firehose (a record re-sent after a timeout
            counts once per acknowledgement, so duplicates can make this exceed ``records_put``).
        firehose_records: Firehose records (aggregates) acknowledged.
        api_calls: ``PutRecordBatch`` calls, retries and failed calls included.
        payload_bytes: bytes acknowledged (newlines included).
        billed_bytes: estimate of the ingestion bytes billed for the acknowledged records: each
            Firehose record rounded up to 5 KiB (5,120 bytes). Calls that timed out may also have
            been billed; they are not counted.
        retries: re-sends (calls after the first one for a batch).
        records_failed: caller records given up on (raised or passed to ``on_failure``).
    """

    records_put: int = 0
    records_delivered: int = 0
    firehose_records: int = 0
    api_calls: int = 0
    payload_bytes: int = 0
    billed_bytes: int = 0
    retries: int = 0
    records_failed: int = 0

    @property
    def billed_ratio(self) -> float:
        """``billed_bytes / payload_bytes`` (1.0 is perfect; 0.0 before anything was delivered)."""
        return self.billed_bytes / self.payload_bytes if self.payload_bytes else 0.0


class FirehoseClient(Protocol):
    """What the producer needs from a client: boto3's ``firehose`` client qualifies."""

    def put_record_batch(
        self,
        *,
        DeliveryStreamName: str,  # noqa: N803 (the boto3 parameter name)
        Records: list[dict[str, bytes]],  # noqa: N803
    ) -> Mapping[str, Any]: ...


def encode_record(record: object, json_default: Callable[[Any], Any] | None = None) -> bytes:
    """The bytes the producer sends for ``record``: one newline-terminated line.

    ``bytes``/``bytearray``/``memoryview`` are sent as is and ``str`` as UTF-8; a ``Mapping`` becomes
    compact JSON (``separators=(",", ":")``, UTF-8, ``NaN``/``Infinity`` rejected). A ``"\\n"`` is
    appended unless the data already ends with one (it is never doubled). The size limit applies to
    the result, newline included, because that is what is sent.

    Raises:
        TypeError: another type.
        ValueError: an empty record, or a dict that JSON cannot encode.
        RecordTooLargeError: more than 1,024,000 bytes with the newline.
    """
    if isinstance(record, bytes):
        data = record
    elif isinstance(record, bytearray | memoryview):
        data = bytes(record)
    elif isinstance(record, str):
        data = record.encode("utf-8")
    elif isinstance(record, Mapping):
        data = json.dumps(
            record, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=json_default
        ).encode("utf-8")
    else:
        raise TypeError(f"a record must be bytes, str or dict, got {type(record).__name__}")
    if not data.endswith(b"\n"):
        data += b"\n"
    if len(data) == 1:
        raise ValueError("empty record: Firehose would store a blank line")
    if len(data) > MAX_RECORD_BYTES:
        raise RecordTooLargeError(len(data))
    return data


class _Entry:
    """One Firehose record: a single caller record, or an aggregate of whole lines."""

    __slots__ = ("data", "error_code", "error_message", "lengths", "records")

    def __init__(self, data: bytes, records: list[object], lengths: list[int]) -> None:
        self.data = data
        self.records = records
        self.lengths = lengths
        self.error_code = ""
        self.error_message = ""

    def failed(self) -> list[FailedRecord]:
        out = []
        offset = 0
        for record, length in zip(self.records, self.lengths, strict=True):
            out.append(
                FailedRecord(
                    record=record,
                    data=self.data[offset : offset + length],
                    error_code=self.error_code,
                    error_message=self.error_message,
                )
            )
            offset += length
        return out


def _classify(exc: Exception) -> tuple[str, str, bool]:
    """(error code, message, retryable) of an exception raised by ``put_record_batch``."""
    if isinstance(exc, ClientError):
        response = getattr(exc, "response", None) or {}
        error = response.get("Error") or {}
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or exc)
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return code, message, is_retryable_error_code(code, status if isinstance(status, int) else None)
    if isinstance(exc, BotocoreConnectionError | HTTPClientError):
        # ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError...
        return type(exc).__name__, str(exc), True
    return type(exc).__name__, str(exc) or type(exc).__name__, False


def create_boto3_client(
    service: str,
    *,
    region_name: str | None = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    botocore_retries: bool = False,
    session: Any = None,
) -> Any:
    """A boto3 client from the usual environment/profile chain (botocore's own retries off by default).

    The producer does its own retrying (per entry, with a time budget), so botocore's retries are
    disabled (``total_max_attempts=1``) to keep the attempt count and the time bound exact.
    ``botocore_retries=True`` keeps botocore's "standard" retry mode instead (for S3 reads). A given
    ``session`` (a ``boto3.session.Session``) replaces ``region_name``/``profile_name``.
    """
    if session is None:
        session = boto3.session.Session(profile_name=profile_name, region_name=region_name)
    retries: dict[str, Any] = {"mode": "standard"}
    if not botocore_retries:
        retries["total_max_attempts"] = 1
    return session.client(service, endpoint_url=endpoint_url, config=Config(retries=retries))


class FirehoseProducer:
    """Buffers, aggregates, batches and sends records to a Firehose Direct PUT stream.

    Records:
        ``put`` takes ``bytes``, ``str`` or a ``dict`` (sent as compact JSON). Every record is sent
        newline-terminated: a ``"\\n"`` is appended unless the record already ends with one. The
        1,000 KiB (1,024,000 bytes) Firehose limit applies to the record *with* its newline; a
        larger record raises :class:`RecordTooLargeError` from ``put`` and nothing is buffered.

    Aggregation (``aggregate=True``, the default):
        Whole lines are packed into one Firehose record of at most ``aggregate_max_bytes`` and
        ``aggregate_max_records`` lines; a line is never split (a line bigger than
        ``aggregate_max_bytes`` travels alone). Firehose bills every record rounded up to 5 KiB, so
        100-byte records cost ~51x their size one by one, and ~1.0x aggregated. Trade-offs:

        * A Lambda transform receives the aggregate as *one* record with one ``recordId`` and can
          return one result for it: one bad line fails (``ProcessingFailed``) the whole aggregate,
          and all its lines land in ``processing-failed`` together (or the transform drops the bad
          line silently). Lower ``aggregate_max_bytes`` to shrink that blast radius, or turn
          aggregation off.
        * Dynamic partitioning extracts keys per Firehose record: add the ``RecordDeAggregation``
          processor (``SubRecordType=DELIMITED`` with delimiter ``"\\n"``, or ``JSON``) so each line is
          partitioned on its own, or only aggregate records of one partition together (e.g. one
          producer per partition). De-aggregation does not work on records of more than 500 lines,
          hence the default ``aggregate_max_records=500``.

    Batching and memory:
        Firehose records wait in a buffer until a full ``PutRecordBatch`` (500 records or 4 MiB) can
        be sent; then the ``put`` that completed it sends the batch **synchronously, in the calling
        thread** (retries and backoff included, so ``put`` can block for up to
        ``retry.max_elapsed_seconds`` per batch). When the buffer reaches ``max_buffer_bytes`` or
        ``max_buffer_records`` everything is sent the same way. There is no background thread: call
        :meth:`flush` (or leave the ``with`` block) to send what is left, and flush periodically
        when records trickle in.

    Reliability:
        After each call only the entries that came back with an ``ErrorCode`` are re-sent. A
        throttling/5xx error or a timeout of the whole call re-sends the whole batch (a timed-out call
        may or may not have been written, so this is **at least once**: expect duplicates).
        Permanent errors (``ResourceNotFoundException``, ``InvalidArgumentException``, access denied,
        KMS...) fail the batch at once. Failed records are never dropped silently: by default the
        call that sent them (``put``, ``flush``, ``close``, the ``with`` exit) raises
        :class:`DeliveryFailedError` carrying the original records and their error codes; with
        ``on_failure`` the callback receives them instead (from the sending thread; an exception it
        raises propagates to that call).

    Thread safety:
        All methods may be called from several threads. Batches are sent outside the lock, so threads
        can send concurrently; ``flush`` also waits for batches other threads are sending. Order is
        kept within one thread unless records are retried.

    Args:
        stream_name: the delivery stream name.
        client: a boto3 ``firehose`` client (or anything with ``put_record_batch``). Default: one
            created from ``region_name``/``profile_name``/``endpoint_url`` and the usual environment,
            with botocore's retries off (see :func:`create_boto3_client`).
        region_name: region of the default client. Default: the environment/profile region.
        profile_name: profile of the default client. Default: the environment/default profile.
        endpoint_url: endpoint of the default client (e.g. a local moto server). Default: AWS.
        aggregate: pack lines into aggregates. Default True.
        aggregate_max_bytes: aggregate size cap, 5,120 to 1,024,000 bytes. Default 1,024,000.
        aggregate_max_records: lines per aggregate, at least 1. Default 500 (the de-aggregation
            limit; raising it breaks ``RecordDeAggregation``).
        max_batch_records: Firehose records per call, 1 to 500. Default 500.
        max_batch_bytes: bytes per call, 1 to 4 MiB (a single larger record is sent alone).
            Default 4 MiB (4,194,304).
        max_buffer_bytes: buffered bytes that force a send from ``put``. Default 8 MiB.
        max_buffer_records: buffered caller records that force a send from ``put``. Default 250,000.
        retry: the :class:`RetryPolicy`. Default ``RetryPolicy()`` (10 attempts, 0.1 s base, 10 s cap,
            60 s per batch).
        on_failure: receives the failed records instead of an exception being raised. Default None.
        json_default: ``default=`` for ``json.dumps`` of dict records (e.g. ``str`` for datetimes).
        sleep: sleep function (tests). Default ``time.sleep``.
        clock: monotonic clock in seconds (tests). Default ``time.monotonic``.
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
        retry: RetryPolicy | None = None,
        on_failure: Callable[[list[FailedRecord]], None] | None = None,
        json_default: Callable[[Any], Any] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if not _STREAM_NAME.fullmatch(stream_name):
            raise ValueError(f"stream_name must be 1-64 characters of [a-zA-Z0-9_.-], got {stream_name!r}")
        if not BILLING_INCREMENT_BYTES <= aggregate_max_bytes <= MAX_RECORD_BYTES:
            raise ValueError(
                f"aggregate_max_bytes must be between {BILLING_INCREMENT_BYTES} and "
                f"{MAX_RECORD_BYTES} bytes, got {aggregate_max_bytes}"
            )
        if aggregate_max_records < 1:
            raise ValueError(f"aggregate_max_records must be at least 1, got {aggregate_max_records}")
        if not 1 <= max_batch_records <= MAX_BATCH_RECORDS:
            raise ValueError(f"max_batch_records must be between 1 and {MAX_BATCH_RECORDS}, got {max_batch_records}")
        if not 1 <= max_batch_bytes <= MAX_BATCH_BYTES:
            raise ValueError(f"max_batch_bytes must be between 1 and {MAX_BATCH_BYTES} bytes, got {max_batch_bytes}")
        if max_buffer_bytes < 1:
            raise ValueError(f"max_buffer_bytes must be at least 1, got {max_buffer_bytes}")
        if max_buffer_records < 1:
            raise ValueError(f"max_buffer_records must be at least 1, got {max_buffer_records}")
        if client is not None and (region_name or profile_name or endpoint_url):
            raise ValueError("pass either client or region_name/profile_name/endpoint_url, not both")

        self.stream_name = stream_name
        self._client: FirehoseClient = (
            client
            if client is not None
            else create_boto3_client(
                "firehose", region_name=region_name, profile_name=profile_name, endpoint_url=endpoint_url
            )
        )
        self._aggregate = aggregate
        self._aggregate_max_bytes = aggregate_max_bytes
        self._aggregate_max_records = aggregate_max_records
        self._max_batch_records = max_batch_records
        self._max_batch_bytes = max_batch_bytes
        self._max_buffer_bytes = max_buffer_bytes
        self._max_buffer_records = max_buffer_records
        self._retry = retry if retry is not None else RetryPolicy()
        self._on_failure = on_failure
        self._json_default = json_default
        self._sleep = sleep
        self._clock = clock
        self._random = random

        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        # The open aggregate.
        self._agg_parts: list[bytes] = []
        self._agg_records: list[object] = []
        self._agg_size = 0
        # Sealed Firehose records waiting for a batch (always less than a full batch between calls).
        self._ready: list[_Entry] = []
        self._ready_bytes = 0
        self._buffered_bytes = 0
        self._buffered_records = 0
        self._in_flight = 0
        # Counters (guarded by the lock).
        self._records_put = 0
        self._records_delivered = 0
        self._firehose_records = 0
        self._api_calls = 0
        self._payload_bytes = 0
        self._billed_bytes = 0
        self._retries = 0
        self._records_failed = 0

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> ProducerStats:
        """A snapshot of the counters."""
        with self._cond:
            return ProducerStats(
                records_put=self._records_put,
                records_delivered=self._records_delivered,
                firehose_records=self._firehose_records,
                api_calls=self._api_calls,
                payload_bytes=self._payload_bytes,
                billed_bytes=self._billed_bytes,
                retries=self._retries,
                records_failed=self._records_failed,
            )

    @property
    def buffered_bytes(self) -> int:
        """Bytes buffered and not yet handed to a ``PutRecordBatch`` call."""
        with self._cond:
            return self._buffered_bytes

    @property
    def buffered_records(self) -> int:
        """Caller records buffered and not yet handed to a ``PutRecordBatch`` call."""
        with self._cond:
            return self._buffered_records

    def put(self, record: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> None:
        """Buffer one record; send a batch synchronously if that fills one (or fills the buffer).

        Raises:
            RecordTooLargeError: the record with its newline exceeds 1,024,000 bytes (not buffered).
            TypeError, ValueError: the record cannot be encoded (not buffered).
            ProducerClosedError: the producer was closed.
            DeliveryFailedError: a batch this call sent failed (unless ``on_failure`` is set). The
                exception lists exactly the failed records; records it does not list were delivered
                or are still buffered.
        """
        data = encode_record(record, self._json_default)
        size = len(data)
        with self._cond:
            if self._closed:
                raise ProducerClosedError(f"producer for {self.stream_name!r} is closed")
            self._records_put += 1
            self._buffered_bytes += size
            self._buffered_records += 1
            if self._aggregate:
                if self._agg_parts and (
                    self._agg_size + size > self._aggregate_max_bytes
                    or len(self._agg_parts) >= self._aggregate_max_records
                ):
                    self._seal_locked()
                self._agg_parts.append(data)
                self._agg_records.append(record)
                self._agg_size += size
            else:
                self._ready.append(_Entry(data, [record], [size]))
                self._ready_bytes += size
            force = self._buffered_bytes >= self._max_buffer_bytes or self._buffered_records >= self._max_buffer_records
            batches = self._take_batches_locked(force=force)
        if batches:
            self._report(self._dispatch(batches))

    def flush(self) -> None:
        """Send everything buffered and wait for batches other threads are sending.

        Raises:
            DeliveryFailedError: records this call sent failed (unless ``on_failure`` is set).
        """
        with self._cond:
            batches = self._take_batches_locked(force=True)
        failures = self._dispatch(batches)
        with self._cond:
            while self._in_flight:
                self._cond.wait()
        self._report(failures)

    def close(self) -> None:
        """Flush, then refuse further records. Closing twice is harmless."""
        try:
            self.flush()
        finally:
            with self._cond:
                self._closed = True

    def __enter__(self) -> FirehoseProducer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Flush and close, also when the block raised: buffered records are still sent."""
        self.close()

    # ------------------------------------------------------------------ internals

    def _seal_locked(self) -> None:
        if not self._agg_parts:
            return
        data = self._agg_parts[0] if len(self._agg_parts) == 1 else b"".join(self._agg_parts)
        self._ready.append(_Entry(data, self._agg_records, [len(p) for p in self._agg_parts]))
        self._ready_bytes += len(data)
        self._agg_parts = []
        self._agg_records = []
        self._agg_size = 0

    def _take_batches_locked(self, *, force: bool) -> list[list[_Entry]]:
        """Remove the batches to send now from the buffer (full ones, or everything if ``force``)."""
        if force:
            self._seal_locked()
        batches: list[list[_Entry]] = []
        while self._ready and (
            force or len(self._ready) >= self._max_batch_records or self._ready_bytes >= self._max_batch_bytes
        ):
            count = 0
            size = 0
            for entry in self._ready:
                if count == self._max_batch_records or (count and size + len(entry.data) > self._max_batch_bytes):
                    break
                count += 1
                size += len(entry.data)
            batch = self._ready[:count]
            del self._ready[:count]
            self._ready_bytes -= size
            self._buffered_bytes -= size
            self._buffered_records -= sum(len(e.records) for e in batch)
            batches.append(batch)
        self._in_flight += len(batches)
        return batches

    def _dispatch(self, batches: list[list[_Entry]]) -> list[FailedRecord]:
        failures: list[FailedRecord] = []
        try:
            for batch in batches:
                failures.extend(self._send_batch(batch))
        finally:
            with self._cond:
                self._in_flight -= len(batches)
                self._cond.notify_all()
        return failures

    def _report(self, failures: list[FailedRecord]) -> None:
        if not failures:
            return
        if self._on_failure is not None:
            self._on_failure(failures)
        else:
            raise DeliveryFailedError(self.stream_name, failures)

    def _send_batch(self, batch: list[_Entry]) -> list[FailedRecord]:
        """Send one batch with retries; return the failed caller records."""
        policy = self._retry
        pending = batch
        failed: list[_Entry] = []
        start = self._clock()
        attempt = 0
        while pending:
            attempt += 1
            retry: list[_Entry] = []
            delivered: list[_Entry] = []
            try:
                response = self._client.put_record_batch(
                    DeliveryStreamName=self.stream_name, Records=[{"Data": e.data} for e in pending]
                )
            except Exception as exc:  # classified: retryable, or fails the batch with its records
                code, message, retryable = _classify(exc)
                for entry in pending:
                    entry.error_code, entry.error_message = code, message
                (retry if retryable else failed).extend(pending)
            else:
                responses = response.get("RequestResponses")
                if (
                    not isinstance(responses, list)
                    or len(responses) != len(pending)
                    or not all(isinstance(r, Mapping) for r in responses)
                ):
                    # Cannot tell which entries were written: re-send them all (at least once).
                    for entry in pending:
                        entry.error_code = "IncompleteResponse"
                        entry.error_message = "RequestResponses does not match the records sent"
                    retry.extend(pending)
                else:
                    for entry, result in zip(pending, responses, strict=True):
                        code = result.get("ErrorCode")
                        if not code:
                            delivered.append(entry)
                            continue
                        entry.error_code = str(code)
                        entry.error_message = str(result.get("ErrorMessage") or "")
                        # Per-entry codes are transient by contract unless known to be permanent.
                        retryable = is_retryable_error_code(entry.error_code, 500)
                        (retry if retryable else failed).append(entry)
            self._count_call(delivered)
            if not retry:
                break
            if attempt >= policy.max_attempts:
                failed.extend(retry)
                break
            delay = policy.delay(attempt, self._random)
            if self._clock() - start + delay > policy.max_elapsed_seconds:
                failed.extend(retry)
                break
            self._sleep(delay)
            with self._cond:
                self._retries += 1
            pending = retry
        failures = [record for entry in failed for record in entry.failed()]
        if failures:
            with self._cond:
                self._records_failed += len(failures)
        return failures

    def _count_call(self, delivered: list[_Entry]) -> None:
        with self._cond:
            self._api_calls += 1
            for entry in delivered:
                self._firehose_records += 1
                self._records_delivered += len(entry.records)
                self._payload_bytes += len(entry.data)
                self._billed_bytes += billed_bytes(len(entry.data))

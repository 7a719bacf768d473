"""The producer's errors, the records it hands back, and which Firehose errors are worth retrying.

A call to ``PutRecordBatch`` can end four ways, and each maps to a retry decision:

* an HTTP answer with per-entry results: entries without ``ErrorCode`` are **acknowledged** (written); an
  entry's ``ErrorCode`` (``ServiceUnavailableException``, ``InternalFailure``) means it was not written and is
  retried, unless the code is known to be permanent;
* an error answer (``ClientError``): throttling, ``ServiceUnavailableException``, any 5xx or 429 are retried;
  ``ResourceNotFoundException``, ``InvalidArgumentException``, access, KMS and credential errors, any other
  4xx, are permanent;
* no usable answer at all (:data:`CONNECTION_ERRORS`): the endpoint could not be reached, the connection was
  reset or closed, a connect or read timeout, an answer that could not be read. These are retried with the
  same backoff and limits as throttling. When the request may have reached the service (everything but a
  refused or timed-out *connection*) the records may have been written: re-sending them is what makes
  delivery **at least once**;
* any other exception (a bug, missing credentials): permanent.

Source: "If FailedPutCount is greater than 0, retry the request, resending only those records that might
have failed processing ... We recommend that you handle any duplicates at the destination."
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from botocore.parsers import ResponseParserError

from firehose_transform.contract import MAX_RECORD_BYTES

__all__ = [
    "CODE_INTERRUPTED",
    "CODE_IN_FLIGHT",
    "CODE_NOT_ATTEMPTED",
    "CONNECTION_ERRORS",
    "NON_RETRYABLE_ERROR_CODES",
    "RETRYABLE_ERROR_CODES",
    "DeliveryFailedError",
    "FailedRecord",
    "ProducerClosedError",
    "ProducerError",
    "RecordTooLargeError",
    "classify_exception",
    "is_retryable_error_code",
]

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
#: botocore's "no usable answer" exceptions: ``EndpointConnectionError``, ``ConnectTimeoutError``,
#: ``ProxyConnectionError``, ``SSLError`` (connection errors); ``ReadTimeoutError``, ``ConnectionClosedError``,
#: ``ResponseStreamingError`` (HTTP client errors); ``ResponseParserError`` (an answer cut short).
CONNECTION_ERRORS: tuple[type[Exception], ...] = (BotocoreConnectionError, HTTPClientError, ResponseParserError)

#: ``FailedRecord.error_code`` of a record handed back by ``abort()`` without ever being sent.
CODE_NOT_ATTEMPTED = "NotAttempted"
#: ... of a record whose call was interrupted (KeyboardInterrupt): it may have been written.
CODE_INTERRUPTED = "Interrupted"
#: ... of a record whose call was still in flight when ``abort()`` stopped waiting: it may have been written.
CODE_IN_FLIGHT = "InFlight"


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


def classify_exception(exc: Exception) -> tuple[str, str, bool]:
    """(error code, message, retryable) of an exception raised by ``put_record_batch``."""
    if isinstance(exc, ClientError):
        response = getattr(exc, "response", None) or {}
        error = response.get("Error") or {}
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or exc)
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        return code, message, is_retryable_error_code(code, status if isinstance(status, int) else None)
    if isinstance(exc, CONNECTION_ERRORS):
        return type(exc).__name__, str(exc), True
    return type(exc).__name__, str(exc) or type(exc).__name__, False


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
    """``put`` was called after ``close()`` or ``abort()``."""


@dataclass(frozen=True)
class FailedRecord:
    """One caller record that was not delivered (not acknowledged by the service).

    Attributes:
        record: the object the caller passed to ``put`` (bytes, str or dict).
        data: the newline-terminated bytes the producer sent (or would have sent) for it.
        error_code: the last error code (``ServiceUnavailableException``, ``ThrottlingException``,
            ``EndpointConnectionError``, ``ReadTimeoutError``, ``ResourceNotFoundException``...), or
            :data:`CODE_NOT_ATTEMPTED`, :data:`CODE_INTERRUPTED`, :data:`CODE_IN_FLIGHT`.
        error_message: the last error message.
        retryable: whether the last error was transient (sending the record again later may work).
        attempted: whether a call carried the record. False: it was never sent, so it is certainly not
            at the destination. True: it was not acknowledged; it may still have been written if the last
            call got no usable answer (a timeout, a reset connection), so re-sending it can duplicate it.
    """

    record: object
    data: bytes
    error_code: str
    error_message: str
    retryable: bool
    attempted: bool = True


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
        count = len(self.failed_records)
        codes = ", ".join(f"{code} x{n}" for code, n in self.error_codes.most_common())
        first = self.failed_records[0].error_message if self.failed_records else ""
        super().__init__(
            f"{count} record{'' if count == 1 else 's'} could not be delivered to Firehose stream "
            f"{stream_name!r}: {codes}" + (f" ({first})" if first else "")
        )

    @property
    def retryable(self) -> bool:
        """True when every failure was transient (the records may be sent again later)."""
        return all(r.retryable for r in self.failed_records)

"""Fake Firehose clients for the producer tests (no network)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from firehose_s3_client.producer import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES

ENDPOINT = "https://firehose.us-east-1.amazonaws.com/"


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    """A ClientError as botocore raises it for PutRecordBatch."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutRecordBatch",
    )


def check_limits(
    datas: Sequence[bytes], max_records: int = MAX_BATCH_RECORDS, max_bytes: int = MAX_BATCH_BYTES
) -> None:
    """Raise InvalidArgumentException like Firehose when a batch breaks a service limit."""
    if not 1 <= len(datas) <= max_records:
        raise client_error("InvalidArgumentException", f"{len(datas)} records in one batch")
    if sum(len(d) for d in datas) > max_bytes:
        raise client_error("InvalidArgumentException", f"{sum(len(d) for d in datas)} bytes in one batch")
    for data in datas:
        if len(data) > MAX_RECORD_BYTES:
            raise client_error("InvalidArgumentException", f"record of {len(data)} bytes")


def ok_response(count: int) -> dict[str, Any]:
    return {
        "FailedPutCount": 0,
        "Encrypted": False,
        "RequestResponses": [{"RecordId": f"id-{i}"} for i in range(count)],
    }


def lines_of(datas: Sequence[bytes]) -> list[bytes]:
    """The newline-terminated lines in Firehose records (what lands in S3, concatenated)."""
    return b"".join(datas).splitlines(keepends=True)


class RecordingFirehose:
    """Accepts every batch that respects the limits; thread-safe; remembers every call."""

    def __init__(self, *, on_call: Callable[[], None] | None = None) -> None:
        self.lock = threading.Lock()
        self.calls: list[list[bytes]] = []
        self.stream_names: set[str] = set()
        self.on_call = on_call

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        datas = [r["Data"] for r in Records]
        check_limits(datas)
        if self.on_call is not None:
            self.on_call()
        with self.lock:
            self.calls.append(datas)
            self.stream_names.add(DeliveryStreamName)
        return ok_response(len(datas))

    @property
    def records(self) -> list[bytes]:
        return [d for call in self.calls for d in call]

    @property
    def lines(self) -> list[bytes]:
        return lines_of(self.records)


Action = BaseException | Sequence[str | None] | None


class ScriptedFirehose:
    """Follows a script, one action per call: an exception to raise (after writing ``partial`` entries
    when it is a timeout), a list of per-entry error codes (None = accepted), or None = accept all."""

    def __init__(self, script: Sequence[Action], *, partial: int = 0) -> None:
        self.script = list(script)
        self.partial = partial
        self.calls: list[list[bytes]] = []
        self.stored: list[bytes] = []

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        datas = [r["Data"] for r in Records]
        check_limits(datas)
        self.calls.append(datas)
        action = self.script.pop(0) if self.script else None
        if isinstance(action, BaseException):
            if isinstance(action, ReadTimeoutError | ConnectionClosedError):
                self.stored.extend(datas[: self.partial])
            raise action
        codes = list(action) if action is not None else [None] * len(datas)
        responses: list[dict[str, str]] = []
        for data, code in zip(datas, codes, strict=True):
            if code is None:
                self.stored.append(data)
                responses.append({"RecordId": "x"})
            else:
                responses.append({"ErrorCode": code, "ErrorMessage": f"{code} (scripted)"})
        return {"FailedPutCount": sum(1 for c in codes if c), "Encrypted": False, "RequestResponses": responses}


class FaultyFirehose:
    """Random faults: throttling exceptions, timeouts after a partial write, per-entry ErrorCodes, permanent
    errors, and KeyboardInterrupt in the middle of a call (``p_interrupt``; the call may have been written).

    ``stored`` is what the destination holds (duplicates included); ``acknowledged`` is what answers told the
    producer was written.
    """

    RETRYABLE_CALL_ERRORS = ("ThrottlingException", "ServiceUnavailableException", "LimitExceededException")
    ENTRY_ERRORS = ("ServiceUnavailableException", "InternalFailure")

    def __init__(
        self,
        seed: int,
        *,
        p_throttle: float = 0.0,
        p_timeout: float = 0.0,
        p_entry_error: float = 0.0,
        p_permanent: float = 0.0,
        p_interrupt: float = 0.0,
        max_records: int = MAX_BATCH_RECORDS,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self.rng = random.Random(seed)
        self.p_throttle = p_throttle
        self.p_timeout = p_timeout
        self.p_entry_error = p_entry_error
        self.p_permanent = p_permanent
        self.p_interrupt = p_interrupt
        self.acknowledged: list[bytes] = []
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.stored: list[bytes] = []
        self.calls = 0

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        datas = [r["Data"] for r in Records]
        check_limits(datas, self.max_records, self.max_bytes)
        with self.lock:
            self.calls += 1
            roll = self.rng.random()
            if roll < self.p_throttle:
                code = self.rng.choice(self.RETRYABLE_CALL_ERRORS)
                raise client_error(code, "Slow down.", 503 if code == "ServiceUnavailableException" else 400)
            if roll < self.p_throttle + self.p_timeout:
                self.stored.extend(d for d in datas if self.rng.random() < 0.5)  # written, but no answer
                error = self.rng.choice((ReadTimeoutError, ConnectionClosedError))
                raise error(endpoint_url=ENDPOINT)
            roll -= self.p_throttle + self.p_timeout
            if roll < self.p_permanent:
                raise client_error("ResourceNotFoundException", "Firehose stream-1 not found")
            if roll < self.p_permanent + self.p_interrupt:
                self.stored.extend(d for d in datas if self.rng.random() < 0.5)
                raise KeyboardInterrupt
            responses: list[dict[str, str]] = []
            for data in datas:
                if self.rng.random() < self.p_entry_error:
                    code = self.rng.choice(self.ENTRY_ERRORS)
                    responses.append({"ErrorCode": code, "ErrorMessage": "injected"})
                else:
                    self.stored.append(data)
                    self.acknowledged.append(data)
                    responses.append({"RecordId": "x"})
        failed = sum(1 for r in responses if "ErrorCode" in r)
        return {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": responses}

    @property
    def lines(self) -> list[bytes]:
        return lines_of(self.stored)

    @property
    def acknowledged_lines(self) -> list[bytes]:
        return lines_of(self.acknowledged)


class FakeClock:
    """A clock that only moves when ``sleep`` is called."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class OutageFirehose:
    """Raises ``error`` for every call made before ``until`` (on ``clock``), then accepts everything."""

    def __init__(self, error: Exception, *, until: float, clock: FakeClock) -> None:
        self.error = error
        self.until = until
        self.clock = clock
        self.calls: list[list[bytes]] = []
        self.stored: list[bytes] = []

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        datas = [r["Data"] for r in Records]
        self.calls.append(datas)
        if self.clock.now < self.until:
            raise self.error
        self.stored.extend(datas)
        return ok_response(len(datas))

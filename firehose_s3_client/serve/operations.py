"""The operations ``serve`` answers over its streams: PutRecord, PutRecordBatch, DescribeDeliveryStream,
ListDeliveryStreams, with the service's outputs and errors (shapes from the service model in botocore).

A put is checked in this order, every check before any record reaches the engine:

1. the input's constraints (:mod:`protocol`): ``ValidationException`` naming every violation (a stream name
   that is not one, no records or more than 500, a record over 1,024,000 bytes);
2. the stream: ``ResourceNotFoundException`` "Firehose NAME under account ACCOUNT not found." (the service's
   message, quoted in turbot/steampipe-plugin-aws#759);
3. its source: a stream that reads a Kinesis data stream refuses puts with ``InvalidArgumentException`` "This
   operation is not permitted on KinesisStreamAsSource delivery stream type." (aws/aws-cli#7010);
4. ``PutRecordBatch``: more than 4 MiB of record data (the decoded ``Data`` bytes, the unit producers and the
   Kinesis Agent count) is ``InvalidArgumentException`` "Records size exceeds 4 MB limit";
5. the injected faults (:mod:`faults`): a throttled call is refused whole; failed entries are left out;
6. the engine takes the rest; the answer gives each record a ``RecordId`` (failed entries get the error
   instead), ``FailedPutCount`` and ``Encrypted`` (true when the stream has server-side encryption).

While the endpoint shuts down, puts are answered ``ServiceUnavailableException`` (500, retryable) and write
nothing. A failure of the engine itself (an object that cannot be written) is ``InternalFailure`` (500) and
stops the endpoint (``on_fatal``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from firehose_s3_client.serve.describe import DESTINATION_ID, description
from firehose_s3_client.serve.faults import FAULT_CODE, FAULT_MESSAGE, FaultInjector, throttled_error
from firehose_s3_client.serve.protocol import (
    ApiError,
    Problems,
    decode_blob,
    dumps,
    operation_of,
    optional_int,
    optional_string,
    parse_body,
    record_list,
    stream_name,
)
from firehose_s3_client.serve.record_ids import RecordIds
from firehose_s3_client.serve.served_stream import ServedStream, StreamClosedError
from firehose_transform.contract import MAX_BATCH_BYTES

__all__ = ["FirehoseService"]

INVALID_ARGUMENT = "InvalidArgumentException"
STREAM_TYPES = ("DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource")
#: ListDeliveryStreams' Limit when the request has none (API reference: "The default value is 10").
DEFAULT_LIST_LIMIT = 10
_FAILED_ENTRY = {"ErrorCode": FAULT_CODE, "ErrorMessage": FAULT_MESSAGE}


class FirehoseService:
    """Answers requests for ``streams`` (see the module docstring); thread-safe.

    Args:
        streams: the served streams, addressed by their names.
        faults: the fault injector (default: none).
        account_id: the simulated account, named in ResourceNotFoundException messages.
        on_fatal: called with an engine failure; the endpoint then stops.
    """

    def __init__(
        self,
        streams: Sequence[ServedStream],
        *,
        faults: FaultInjector | None = None,
        account_id: str = "123456789012",
        on_fatal: Callable[[BaseException], None] = lambda error: None,
    ) -> None:
        self.streams = {stream.name: stream for stream in streams}
        self.faults = faults or FaultInjector()
        self.account_id = account_id
        self.on_fatal = on_fatal
        self.record_ids = RecordIds()
        #: Calls refused before they named a served stream, by error type.
        self.unattributed: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "PutRecord": self.put_record,
            "PutRecordBatch": self.put_record_batch,
            "DescribeDeliveryStream": self.describe_delivery_stream,
            "ListDeliveryStreams": self.list_delivery_streams,
        }

    def handle(self, target: str | None, body: bytes) -> tuple[int, bytes]:
        """Answer one request: (HTTP status, JSON body)."""
        try:
            operation = operation_of(target)
            return 200, dumps(self._operations[operation](parse_body(body)))
        except ApiError as error:
            return error.status, error.body()

    # ------------------------------------------------------------------ helpers

    def _refused(self, error: ApiError) -> ApiError:
        with self._lock:
            self.unattributed[error.error_type] += 1
        return error

    def _check(self, problems: Problems) -> None:
        try:
            problems.check()
        except ApiError as error:
            raise self._refused(error) from None

    def _stream(self, name: str, operation: str) -> ServedStream:
        stream = self.streams.get(name)
        if stream is None:
            raise self._refused(
                ApiError("ResourceNotFoundException", f"Firehose {name} under account {self.account_id} not found.")
            )
        stream.counts.call(operation)
        return stream

    def _accept(self, stream: ServedStream, datas: list[bytes]) -> None:
        try:
            stream.put(datas)
        except StreamClosedError:
            raise ApiError(FAULT_CODE, "The endpoint is shutting down: nothing was written, retry.", 500) from None
        except Exception as error:  # the engine failed (an object could not be written): the endpoint stops
            self.on_fatal(error)
            raise ApiError("InternalFailure", f"The local delivery engine failed: {error}", 500) from None

    @staticmethod
    def _check_source(stream: ServedStream) -> None:
        if stream.reads_kinesis:
            raise ApiError(
                INVALID_ARGUMENT, "This operation is not permitted on KinesisStreamAsSource delivery stream type."
            )

    # ------------------------------------------------------------------ operations

    def put_record(self, request: dict[str, Any]) -> dict[str, Any]:
        problems = Problems()
        name = stream_name(problems, request.get("DeliveryStreamName"))
        record = request.get("Record")
        data = b""
        if record is None:
            problems.add(None, "record", "not be null")
        elif not isinstance(record, dict):
            raise self._refused(ApiError("SerializationException", "record: expected an object"))
        else:
            data = decode_blob(problems, record.get("Data"), "record.data")
        self._check(problems)
        stream = self._stream(name, "PutRecord")
        try:
            self._check_source(stream)
            if self.faults.throttle():
                stream.counts.throttle()
                raise throttled_error()
            if self.faults.failures(1)[0]:  # PutRecord has no entry to fail: the call fails
                stream.counts.answered(0, 1)
                raise throttled_error()
            self._accept(stream, [data])
        except ApiError as error:
            if error.error_type != FAULT_CODE:
                stream.counts.refuse(error.error_type)
            raise
        stream.counts.answered(1, 0)
        return {"RecordId": self.record_ids.call(1)[0], "Encrypted": stream.encrypted}

    def put_record_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        problems = Problems()
        name = stream_name(problems, request.get("DeliveryStreamName"))
        datas = record_list(problems, request.get("Records"))
        self._check(problems)
        stream = self._stream(name, "PutRecordBatch")
        try:
            self._check_source(stream)
            if sum(map(len, datas)) > MAX_BATCH_BYTES:
                raise ApiError(INVALID_ARGUMENT, "Records size exceeds 4 MB limit")
            if self.faults.throttle():
                stream.counts.throttle()
                raise throttled_error()
            failed = self.faults.failures(len(datas))
            kept = [data for data, fails in zip(datas, failed, strict=True) if not fails] if any(failed) else datas
            if kept:
                self._accept(stream, kept)
        except ApiError as error:
            if error.error_type != FAULT_CODE:
                stream.counts.refuse(error.error_type)
            raise
        failed_count = len(datas) - len(kept)
        stream.counts.answered(len(kept), failed_count)
        ids = self.record_ids.call(len(datas))
        responses = [
            _FAILED_ENTRY if fails else {"RecordId": record_id} for record_id, fails in zip(ids, failed, strict=True)
        ]
        # the key order of the service's answers (boto/boto3#2804)
        return {"Encrypted": stream.encrypted, "FailedPutCount": failed_count, "RequestResponses": responses}

    def describe_delivery_stream(self, request: dict[str, Any]) -> dict[str, Any]:
        problems = Problems()
        name = stream_name(problems, request.get("DeliveryStreamName"))
        optional_int(problems, request.get("Limit"), "limit", 1, 10000)
        start = request.get("ExclusiveStartDestinationId")
        if start is not None and not (isinstance(start, str) and 1 <= len(start) <= 100):
            problems.add(str(start), "exclusiveStartDestinationId", "have length between 1 and 100")
        self._check(problems)
        stream = self._stream(name, "DescribeDeliveryStream")
        described = description(stream)
        if start is not None and start >= DESTINATION_ID:  # the one destination is before it
            described["Destinations"] = []
        return {"DeliveryStreamDescription": described}

    def list_delivery_streams(self, request: dict[str, Any]) -> dict[str, Any]:
        problems = Problems()
        limit = optional_int(problems, request.get("Limit"), "limit", 1, 10000) or DEFAULT_LIST_LIMIT
        kind = optional_string(problems, request.get("DeliveryStreamType"), "deliveryStreamType", STREAM_TYPES)
        start = stream_name(
            problems,
            request.get("ExclusiveStartDeliveryStreamName"),
            "exclusiveStartDeliveryStreamName",
            required=False,
        )
        self._check(problems)
        names = sorted(name for name, stream in self.streams.items() if kind in (None, stream.stream_type))
        if start:
            names = [name for name in names if name > start]
        return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}

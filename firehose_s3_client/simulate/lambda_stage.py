"""The Lambda processor: Firehose's own buffer in front of the function, the invocation, and its outcome.

Records are buffered up to ``BufferSizeInMBs`` of data or ``BufferIntervalInSeconds`` (DG
data-transformation.html) and then sent as one synchronous invocation. Besides the size hint, a batch is
closed early when one more record would make the event exceed Lambda's 6,291,456-byte request limit
(Lambda API_Invoke; AWS does not say how Firehose avoids it, this engine never builds such an event).

Outcomes (the error records are :func:`error_records.processing_failure` documents):

* ``Ok`` records go on to the destination with the returned data (and ``metadata.partitionKeys``);
  ``Dropped`` ones are counted as dropped; ``ProcessingFailed`` ones go to ``processing-failed`` with
  ``Lambda.ProcessingFailedStatus`` / "ProcessingFailed status set for record", ``attemptsMade`` 1 (the code
  and message of captured Firehose error records);
* a response that breaks the status model fails the whole batch at once (``attemptsMade`` 1);
* a failed invocation (the function raised, timed out, returned more than 6,291,556 bytes, or its runtime
  crashed) is retried ``NumberOfRetries`` times; if every attempt fails the batch goes to
  ``processing-failed`` with ``Lambda.FunctionError`` or ``Lambda.FunctionTimedOut`` and ``attemptsMade`` =
  retries + 1 (DG data-transformation-failure-handling.html; captured records show ``attemptsMade`` 4).

On the virtual clock an invocation takes no time: every attempt ends at the moment the batch closed, which
is the ``attemptEndingTimestamp`` of its error records. Retries follow each other immediately.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate

from firehose_s3_client.simulate import error_records as er
from firehose_s3_client.simulate.buffering import Buffer, Timers
from firehose_s3_client.simulate.error_output import ErrorOutput
from firehose_s3_client.simulate.lambda_invoker import Invocation, InvocationRequest
from firehose_s3_client.simulate.processor_config import LambdaProcessor
from firehose_s3_client.simulate.record_batch import RecordBatch
from firehose_s3_client.simulate.tally import Tally

__all__ = ["REQUEST_LIMIT", "LambdaStage"]

#: ``,"kinesisRecordMetadata":{...}`` of one record: an upper bound (shard ID, 256-character partition key,
#: 56-digit sequence number, timestamps).
KINESIS_METADATA_BYTES = 560

#: Lambda's synchronous request payload limit (API_Invoke: "Request must be smaller than 6291456 bytes").
REQUEST_LIMIT = 6_291_456
PROCESSING_FAILED_STATUS = ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record")
#: The compact JSON of one event record without its base64 data (56-digit recordId, 13-digit timestamp), and
#: the separator: ``{"recordId":"...","approximateArrivalTimestamp":...,"data":""},``.
_RECORD_OVERHEAD = len('{"recordId":"","approximateArrivalTimestamp":,"data":""},') + 56 + 13


class LambdaStage:
    """Buffers records for the function, invokes it, and routes each record's result."""

    def __init__(
        self,
        processor: LambdaProcessor,
        invoke: Callable[[InvocationRequest], Invocation],
        *,
        timers: Timers,
        deliver: Callable[[RecordBatch, int], None],
        errors: ErrorOutput,
        tally: Tally,
        stream_arn: str,
        region: str,
        rng: random.Random,
        source_kinesis_arn: str | None = None,
        keep_originals: bool = False,
    ) -> None:
        self.processor = processor
        self.invoke_function = invoke
        self.deliver = deliver
        self.errors = errors
        self.tally = tally
        self.rng = rng
        self.stream_arn = stream_arn
        self.region = region
        self.source_kinesis_arn = source_kinesis_arn
        #: Whether Ok records keep their data from before the transform (later steps can fail them).
        self.keep_originals = keep_originals
        self._event_bytes = 0
        self.buffer = Buffer(
            processor.buffer_bytes,
            processor.interval_seconds * 1000,
            timers,
            self._invoke,
        )
        self.invocations = 0
        self.attempts = 0

    # ------------------------------------------------------------------ buffering

    def accept(self, batch: RecordBatch, times: list[int] | None, now: int) -> None:
        """Records entering the buffer, each at ``times[i]`` (or all at ``now``)."""
        sizes = list(map(len, batch.datas))
        costs = [(size + 2) // 3 * 4 + _RECORD_OVERHEAD for size in sizes]
        if batch.kinesis is not None:
            costs = [cost + KINESIS_METADATA_BYTES for cost in costs]
        data_sums = list(accumulate(sizes))
        cost_sums = list(accumulate(costs))
        count = len(sizes)
        position = 0
        buffer = self.buffer
        while position < count:
            base_data = data_sums[position - 1] if position else 0
            base_cost = cost_sums[position - 1] if position else 0
            room_data = buffer.capacity - buffer.size
            room_cost = REQUEST_LIMIT - 64 - self._event_bytes
            fit = (
                min(
                    bisect_right(data_sums, base_data + room_data, position, count),
                    bisect_right(cost_sums, base_cost + room_cost, position, count),
                )
                - position
            )
            at = times[position] if times is not None else now
            if fit == 0:
                if buffer.batch.datas:
                    buffer.deliver(at)
                    continue
                fit = 1  # a single record larger than the buffer hint goes alone
            end = position + fit
            whole = position == 0 and end == count
            buffer.add(batch if whole else batch.slice(position, end), data_sums[end - 1] - base_data, at)
            self._event_bytes += cost_sums[end - 1] - base_cost
            position = end
            if buffer.size >= buffer.capacity:
                buffer.deliver(times[end - 1] if times is not None else now)

    def flush(self, now: int) -> None:
        self.buffer.deliver(now)

    # ------------------------------------------------------------------ invocation

    def _request(self, batch: RecordBatch) -> InvocationRequest:
        return InvocationRequest(
            invocation_id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            delivery_stream_arn=self.stream_arn,
            region=self.region,
            source_kinesis_stream_arn=self.source_kinesis_arn,
            invocation=self.invocations,
            arrivals=batch.arrivals,
            datas=batch.datas,
            kinesis=batch.kinesis,
        )

    def _invoke(self, batch: RecordBatch, now: int) -> None:
        self._event_bytes = 0
        self.invocations += 1
        request = self._request(batch)
        attempts = 0
        outcome = Invocation("error")
        while attempts <= self.processor.retries:
            attempts += 1
            outcome = self.invoke_function(request)
            if outcome.kind != "error":
                break
        self.attempts += attempts
        self.tally.lambda_invocations += attempts
        self.tally.lambda_retries += attempts - 1
        if outcome.kind == "ok":
            self._route(batch, outcome, now)
        else:
            self._fail(batch, outcome.error_code, outcome.error_message, attempts, now)

    def _route(self, batch: RecordBatch, outcome: Invocation, now: int) -> None:
        results = outcome.results
        keys = outcome.partition_keys
        if results.count("O") == len(results):
            self.deliver(batch.with_datas(outcome.data, keys, keep_originals=self.keep_originals), now)
            return
        ok = [i for i, code in enumerate(results) if code == "O"]
        dropped = [i for i, code in enumerate(results) if code == "D"]
        failed = [i for i, code in enumerate(results) if code == "F"]
        if dropped:
            self.tally.dropped([batch.sources[i] for i in dropped])
        if failed:
            self._fail(batch.select(failed), *PROCESSING_FAILED_STATUS, 1, now)
        if ok:
            self.deliver(batch.select(ok).with_datas(outcome.data, keys, keep_originals=self.keep_originals), now)

    def _fail(self, batch: RecordBatch, code: str, message: str, attempts: int, now: int) -> None:
        arn = self.processor.lambda_arn
        documents = [
            er.processing_failure(
                data,
                arrival_ms=arrival,
                error_code=code,
                error_message=message,
                attempts=attempts,
                ending_ms=now,
                lambda_arn=arn,
            )
            for data, arrival in zip(batch.originals(), batch.arrivals, strict=True)
        ]
        self.errors.add(er.PROCESSING_FAILED, documents, batch.arrivals, batch.sources, now)

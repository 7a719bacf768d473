"""The delivery engine: one Firehose delivery stream, run on a clock its caller advances.

It is a library: ``firehose-s3 simulate`` feeds it records on a virtual clock (arrivals from ``--start`` at
``--rate``); ``firehose-s3 serve`` (issue 14) feeds it records as they arrive and advances it on the wall
clock. The caller must give nondecreasing times (epoch milliseconds)::

    engine = DeliveryEngine(config, sink=DirectorySink(out), invoke=invoker.invoke)
    engine.put([b'{"a":1}\\n', b'{"a":2}\\n'], [t0, t0 + 1])   # records and their arrival times
    engine.advance(t0 + 300_000)                                # deliver what is due by then
    engine.flush(t1)                                             # end of input: deliver everything
    engine.tally.as_dict()                                       # records_in = delivered + dropped + failed

Pipeline, in Firehose's order: source-record backup (raw records, own buffer) and the source processors
(decompression, message extraction, de-aggregation) as records arrive; the Lambda processor's buffer and
invocation; the destination (JQ keys, partitions, ``AppendDelimiterToRecord``, conversion, compression,
S3); the error output. Every buffer closes by size or at its deadline on the clock (see :mod:`buffering`).

Cost: records move in batches of parallel lists (:class:`RecordBatch`); the work per record is the
unavoidable part (base64 for the event, the function itself, the copy into the object), the rest is per
batch. Memory is bounded by the buffers: the input is streamed by the caller.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from firehose_s3_client.simulate import error_records as er
from firehose_s3_client.simulate.buffering import Buffer, Timers, fill
from firehose_s3_client.simulate.compression import default_extension
from firehose_s3_client.simulate.destination import Destination
from firehose_s3_client.simulate.error_output import ErrorOutput
from firehose_s3_client.simulate.lambda_invoker import Invocation, InvocationRequest
from firehose_s3_client.simulate.lambda_stage import LambdaStage
from firehose_s3_client.simulate.object_writer import ObjectWriter
from firehose_s3_client.simulate.prefix import error_prefix_for, with_default_timestamp
from firehose_s3_client.simulate.record_batch import RecordBatch
from firehose_s3_client.simulate.sinks import Sink
from firehose_s3_client.simulate.source_stages import SourceStages
from firehose_s3_client.simulate.stream_config import DeliveryStreamConfig
from firehose_s3_client.simulate.tally import Tally
from firehose_transform.contract import BILLING_INCREMENT_BYTES, DEFAULT_ACTIVE_PARTITIONS

__all__ = ["DeliveryEngine", "billed_size", "billed_total"]


def billed_size(size: int) -> int:
    """Ingestion billing of one record: rounded up to 5 KiB, at least one increment (DG limits.html)."""
    return max(1, -(-size // BILLING_INCREMENT_BYTES)) * BILLING_INCREMENT_BYTES


def billed_total(sizes: list[int]) -> int:
    """:func:`billed_size` summed over records (most records fit one increment: only the others are looked at)."""
    larger = [size for size in sizes if size > BILLING_INCREMENT_BYTES]
    return (len(sizes) - len(larger)) * BILLING_INCREMENT_BYTES + sum(map(billed_size, larger))


class DeliveryEngine:
    """One delivery stream (see the module docstring)."""

    def __init__(
        self,
        config: DeliveryStreamConfig,
        *,
        sink: Sink,
        invoke: Callable[[InvocationRequest], Invocation] | None = None,
        region: str = "us-east-1",
        query: Any = None,
        converter: Any = None,
        catalog_table: dict[str, str] | None = None,
        seed: int = 0,
        active_partitions: int = DEFAULT_ACTIVE_PARTITIONS,
    ) -> None:
        self.config = config
        processing = config.processing
        extraction = processing.cloudwatch_logs is not None and processing.cloudwatch_logs.data_message_extraction
        self.tally = Tally(split=processing.deaggregation is not None or extraction)
        self.timers = Timers()
        self.rng = random.Random(seed)
        self.clock: int | None = None
        self._received = 0
        destination = config.destination
        dynamic = config.dynamic_partitioning

        def writer(kind: str, bucket: str, compression: str, extension: str, time_zone: str | None) -> ObjectWriter:
            return ObjectWriter(
                kind=kind,
                bucket=bucket,
                stream_name=config.name,
                version=config.version,
                time_zone=time_zone,
                compression=compression,
                extension=extension,
                sink=sink,
                tally=self.tally,
                rng=self.rng,
            )

        data_extension = destination.file_extension or (
            converter.extension if converter is not None else default_extension(destination.compression)
        )
        self.errors = ErrorOutput(
            template=error_prefix_for(destination.error_prefix, destination.prefix),
            buffering=destination.buffering,
            timers=self.timers,
            writer=writer(
                "error",
                destination.bucket,
                destination.compression,
                default_extension(destination.compression),
                destination.time_zone,
            ),
            tally=self.tally,
        )
        self.destination = Destination(
            template=with_default_timestamp(destination.prefix, dynamic_partitioning=dynamic),
            buffering=destination.buffering,
            append_delimiter=processing.append_delimiter,
            timers=self.timers,
            writer=writer("data", destination.bucket, destination.compression, data_extension, destination.time_zone),
            errors=self.errors,
            tally=self.tally,
            dynamic_partitioning=dynamic,
            query=query,
            converter=converter,
            catalog_table=catalog_table,
            active_partitions=active_partitions,
        )
        intervals = [destination.buffering.interval_seconds]
        self.backup: Buffer | None = None
        self.backup_writer: ObjectWriter | None = None
        if config.backup is not None:
            backup = config.backup
            backup_writer = writer(
                "backup", backup.bucket, backup.compression, default_extension(backup.compression), None
            )
            self.backup_writer = backup_writer
            template = with_default_timestamp(backup.prefix, dynamic_partitioning=False)

            def write_backup(batch: RecordBatch, now: int) -> None:
                oldest = min(batch.arrivals)
                backup_writer.write(backup_writer.prefix(template, oldest), oldest, b"".join(batch.datas))

            self.backup = Buffer(
                backup.buffering.size_bytes, backup.buffering.interval_seconds * 1000, self.timers, write_backup
            )
            intervals.append(backup.buffering.interval_seconds)
        self.sources = SourceStages(
            processing,
            on_failure=self._source_failure,
            on_split=self.tally.parts,
            on_empty=lambda source: self.tally.dropped([source]),
        )
        self.lambda_stage: LambdaStage | None = None
        if processing.lambda_processor is not None:
            if invoke is None:
                raise ValueError("the stream has a Lambda processor: pass invoke=")
            self.lambda_stage = LambdaStage(
                processing.lambda_processor,
                invoke,
                timers=self.timers,
                deliver=lambda batch, now: self.destination.accept(batch, None, now),
                errors=self.errors,
                tally=self.tally,
                stream_arn=config.arn,
                region=region,
                rng=self.rng,
                source_kinesis_arn=config.source_kinesis_arn,
                keep_originals=dynamic or converter is not None,
            )
            intervals.append(processing.lambda_processor.interval_seconds)
        #: No buffer opened during a chunk can close before this long after the chunk's first record.
        self._min_interval_ms = min(intervals) * 1000

    # ------------------------------------------------------------------ the clock

    def advance(self, now: int) -> None:
        """Deliver every buffer whose deadline is at or before ``now``, in deadline order."""
        if self.clock is not None and now < self.clock:
            raise ValueError(f"time went backwards: {now} < {self.clock}")
        self.clock = now
        while (due := self.timers.pop_due(now)) is not None:
            deadline, buffer = due
            buffer.deliver(deadline)

    def put(self, datas: list[bytes], arrivals: list[int], kinesis: list[dict[str, Any]] | None = None) -> None:
        """Records (one Firehose record each) arriving at ``arrivals`` (nondecreasing epoch ms).

        ``kinesis`` holds each record's ``kinesisRecordMetadata`` for a stream that reads a Kinesis data
        stream (see :class:`input_records.KinesisMetadata`).
        """
        count = len(datas)
        if count == 0:
            return
        first = self._received
        self._received += count
        self.tally.records_in += count
        sizes = list(map(len, datas))
        self.tally.input_bytes += sum(sizes)
        self.tally.billed_bytes += billed_total(sizes)
        batch = RecordBatch(datas, arrivals, list(range(first, first + count)), kinesis=kinesis)
        position = 0
        while position < count:
            now = arrivals[position]
            self.advance(now)
            limit = now + max(self._min_interval_ms, 1)
            deadline = self.timers.next_deadline()
            if deadline is not None:
                limit = min(limit, deadline)
            end = max(bisect_left(arrivals, limit, position), position + 1)
            self._enter(batch if position == 0 and end == count else batch.slice(position, end))
            position = end

    def _enter(self, chunk: RecordBatch) -> None:
        """Records arriving before any buffer can close by time (see :meth:`put`)."""
        if self.backup is not None:
            fill(
                self.backup, RecordBatch(chunk.datas, chunk.arrivals, chunk.sources), chunk.arrivals, chunk.arrivals[0]
            )
        parts = self.sources.apply(chunk)
        if not parts.datas:
            return
        if self.lambda_stage is not None:
            self.lambda_stage.accept(parts, parts.arrivals, parts.arrivals[0])
        else:
            self.destination.accept(parts, parts.arrivals, parts.arrivals[0])

    def _source_failure(self, raw: bytes, arrival: int, source: int, code: str, message: str) -> None:
        document = er.error_document(raw, arrival_ms=arrival, error_code=code, error_message=message, ending_ms=arrival)
        self.errors.add(er.DECOMPRESSION_FAILED, [document], [arrival], [source], arrival)

    def flush(self, now: int | None = None) -> None:
        """End of input: deliver every buffer now (``now`` defaults to the clock), stage by stage."""
        now = now if now is not None else (self.clock or 0)
        self.advance(now)
        if self.lambda_stage is not None:
            self.lambda_stage.flush(now)
        self.destination.flush(now)
        self.errors.flush(now)
        if self.backup is not None:
            self.backup.deliver(now)

"""The S3 destination: buffers (one, or one per dynamic partition), format conversion, data objects.

Records arrive here after the Lambda transform (or straight from the source stages without one). Without
dynamic partitioning there is one buffer and the prefix is ``Prefix`` plus Firehose's default
``yyyy/MM/dd/HH/`` when it has no timestamp expression. With dynamic partitioning each record's partition is
the values of the keys its prefix uses: ``partitionKeyFromQuery`` keys from the JQ query (B's
:mod:`jq_keys`), ``partitionKeyFromLambda`` keys from the transform's ``metadata.partitionKeys``; every active
partition has its own buffer (DG buffering.html), and a record that would open partition 501 (the default
limit; ``--active-partitions``) goes to ``activePartitionExceeded``. A record whose keys cannot be extracted
goes to ``metadata-extraction-failed``; one whose prefix cannot be evaluated (a Lambda key missing, more than
512 characters) to ``partitioning-failed``.

Format conversion runs when a buffer is delivered: each record becomes rows (B's :mod:`conversion`), a record
that does not match goes to ``format-conversion-failed``, and the rows of the others make one Parquet/ORC
object. ``AppendDelimiterToRecord`` adds ``\\n`` after every record of a (non-converted) object.
"""

from __future__ import annotations

from typing import Any

from firehose_s3_client.simulate import error_records as er
from firehose_s3_client.simulate.buffering import Buffer, Timers, fill
from firehose_s3_client.simulate.error_output import ErrorOutput
from firehose_s3_client.simulate.object_writer import ObjectWriter
from firehose_s3_client.simulate.prefix import Expression, PrefixEvaluationError, parse_prefix
from firehose_s3_client.simulate.record_batch import RecordBatch
from firehose_s3_client.simulate.stream_config import BufferingHints
from firehose_s3_client.simulate.tally import Tally
from firehose_transform.contract import DEFAULT_ACTIVE_PARTITIONS

__all__ = ["Destination"]

PartitionId = tuple[tuple[str, ...], tuple[str, ...]]


class Destination:
    """The data side of the S3 destination (see the module docstring)."""

    def __init__(
        self,
        *,
        template: str,
        buffering: BufferingHints,
        append_delimiter: bool,
        timers: Timers,
        writer: ObjectWriter,
        errors: ErrorOutput,
        tally: Tally,
        dynamic_partitioning: bool = False,
        query: Any = None,
        converter: Any = None,
        catalog_table: dict[str, str] | None = None,
        active_partitions: int = DEFAULT_ACTIVE_PARTITIONS,
    ) -> None:
        self.template = template
        self.buffering = buffering
        self.append_delimiter = append_delimiter
        self.timers = timers
        self.writer = writer
        self.errors = errors
        self.tally = tally
        self.dynamic_partitioning = dynamic_partitioning
        self.query = query
        self.converter = converter
        self.catalog_table = catalog_table or {}
        self.active_partitions = active_partitions
        expressions = [piece for piece in parse_prefix(template) if isinstance(piece, Expression)]
        self._query_names = tuple(e.value for e in expressions if e.namespace == "partitionKeyFromQuery")
        self._lambda_names = tuple(e.value for e in expressions if e.namespace == "partitionKeyFromLambda")
        self._single = None if dynamic_partitioning else self._new_buffer(None)
        self._partitions: dict[PartitionId, Buffer] = {}
        self.peak_partitions = 0
        self._sequence = 0

    def _new_buffer(self, partition: PartitionId | None) -> Buffer:
        return Buffer(
            self.buffering.size_bytes,
            self.buffering.interval_seconds * 1000,
            self.timers,
            lambda batch, now: self._deliver(partition, batch, now),
        )

    # ------------------------------------------------------------------ records in

    def accept(self, batch: RecordBatch, times: list[int] | None, now: int) -> None:
        """Records entering the destination, each at ``times[i]`` (or all at ``now``)."""
        if not batch.datas:
            return
        if self._single is not None:
            fill(self._single, batch, times, now)
            return
        if times is not None:  # records arriving over time: route them one instant at a time
            start = 0
            for end in range(1, len(times) + 1):
                if end == len(times) or times[end] != times[start]:
                    self._route(batch.slice(start, end), times[start])
                    start = end
            return
        self._route(batch, now)

    def _route(self, batch: RecordBatch, now: int) -> None:
        routed: dict[PartitionId, list[int]] = {}
        keys = batch.keys or [None] * len(batch)
        for position, (data, lambda_keys) in enumerate(zip(batch.datas, keys, strict=True)):
            partition = self._partition(data, lambda_keys, batch, position, now)
            if partition is not None:
                routed.setdefault(partition, []).append(position)
        for partition, positions in routed.items():
            buffer = self._partitions.get(partition)
            if buffer is None:
                if len(self._partitions) >= self.active_partitions:
                    self._fail(batch.select(positions), er.ACTIVE_PARTITION_EXCEEDED, *er.ACTIVE_PARTITION_CODE, now)
                    continue
                buffer = self._partitions[partition] = self._new_buffer(partition)
                self.peak_partitions = max(self.peak_partitions, len(self._partitions))
            fill(buffer, batch.select(positions), None, now)

    def _partition(
        self, data: bytes, lambda_keys: dict[str, str] | None, batch: RecordBatch, position: int, now: int
    ) -> PartitionId | None:
        query_keys: dict[str, str] = {}
        if self.query is not None:
            from firehose_s3_client.simulate.jq_keys import ERROR_OUTPUT_TYPE, KeyExtractionError

            try:
                query_keys = self.query.extract(data)
            except KeyExtractionError as error:
                self._fail(
                    batch.slice(position, position + 1), ERROR_OUTPUT_TYPE, error.error_code, error.error_message, now
                )
                return None
        try:
            query_values = tuple(_key(query_keys, name, "partitionKeyFromQuery") for name in self._query_names)
            lambda_values = tuple(
                _key(lambda_keys or {}, name, "partitionKeyFromLambda") for name in self._lambda_names
            )
        except PrefixEvaluationError as error:
            self._fail(
                batch.slice(position, position + 1), er.PARTITIONING_FAILED, error.error_code, error.error_message, now
            )
            return None
        partition = (query_values, lambda_values)
        if partition not in self._partitions:
            try:  # a new partition: check that its prefix can be evaluated (the 512-character limit)
                self._prefix(partition, batch.arrivals[position])
            except PrefixEvaluationError as error:
                self._fail(
                    batch.slice(position, position + 1),
                    er.PARTITIONING_FAILED,
                    error.error_code,
                    error.error_message,
                    now,
                )
                return None
        return partition

    def _fail(self, batch: RecordBatch, error_type: str, code: str, message: str, now: int) -> None:
        documents = [
            er.error_document(data, arrival_ms=arrival, error_code=code, error_message=message, ending_ms=now)
            for data, arrival in zip(batch.originals(), batch.arrivals, strict=True)
        ]
        self.errors.add(error_type, documents, batch.arrivals, batch.sources, now)

    # ------------------------------------------------------------------ objects out

    def _prefix(self, partition: PartitionId | None, oldest: int) -> str:
        if partition is None:
            return self.writer.prefix(self.template, oldest)
        query_values, lambda_values = partition
        return self.writer.prefix(
            self.template,
            oldest,
            query_keys=dict(zip(self._query_names, query_values, strict=True)),
            lambda_keys=dict(zip(self._lambda_names, lambda_values, strict=True)),
        )

    def _deliver(self, partition: PartitionId | None, batch: RecordBatch, now: int) -> None:
        if partition is not None:
            self._partitions.pop(partition, None)  # a delivered partition is no longer active
        oldest = min(batch.arrivals)
        try:
            prefix = self._prefix(partition, oldest)
        except PrefixEvaluationError as error:  # e.g. a month name made this object's prefix too long
            self._fail(batch, er.PARTITIONING_FAILED, error.error_code, error.error_message, now)
            return
        if self.converter is not None:
            self._deliver_converted(prefix, batch, now)
            return
        body = b"\n".join(batch.datas) + b"\n" if self.append_delimiter else b"".join(batch.datas)
        self.writer.write(prefix, oldest, body)
        self.tally.delivered(batch.sources, len(body))

    def _deliver_converted(self, prefix: str, batch: RecordBatch, now: int) -> None:
        from firehose_s3_client.simulate.conversion import ConversionFailure

        rows: list[dict[str, Any]] = []
        converted: list[int] = []
        failed: list[int] = []
        failures: list[bytes] = []
        originals = batch.originals()
        for position, (data, arrival) in enumerate(zip(batch.datas, batch.arrivals, strict=True)):
            try:
                rows.extend(self.converter.convert(data))
            except ConversionFailure as error:
                failed.append(position)
                self._sequence += 1
                failures.append(
                    er.conversion_failure(
                        originals[position],
                        arrival_ms=arrival,
                        error_code=error.error_code,
                        error_message=error.error_message,
                        ending_ms=now,
                        sequence_number=str(self._sequence),
                        catalog_table=self.catalog_table,
                    )
                )
            else:
                converted.append(position)
        if failed:
            bad = batch.select(failed)
            self.errors.add(er.CONVERSION_FAILED, failures, bad.arrivals, bad.sources, now)
        if not converted:
            return
        good = batch.select(converted) if failed else batch
        body = self.converter.write(rows)
        self.writer.write(prefix, min(good.arrivals), body, encoded=True)
        self.tally.delivered(good.sources, good.size())

    def flush(self, now: int) -> None:
        """Deliver every buffer."""
        if self._single is not None:
            self._single.deliver(now)
        for buffer in list(self._partitions.values()):
            buffer.deliver(now)


def _key(keys: dict[str, str], name: str, namespace: str) -> str:
    value = keys.get(name)
    if value is None:
        source = "the MetadataExtractionQuery" if namespace == "partitionKeyFromQuery" else "the Lambda function"
        raise PrefixEvaluationError(f"partition key {name!r} of !{{{namespace}:{name}}} was not returned by {source}")
    return value

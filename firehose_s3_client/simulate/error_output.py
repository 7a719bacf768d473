"""The error output: failed records, as AWS-format documents, buffered per error type under the error prefix.

The error prefix is ``ErrorOutputPrefix``, or ``<Prefix><error-output-type>/yyyy/MM/dd/HH/`` when it is
unset (DG s3-prefixes.html, see :func:`prefix.error_prefix_for`). Error documents are buffered like the data
(the destination's buffering hints, one buffer per error type, the size counted on the documents) and
compressed with the destination's ``CompressionFormat``. Where AWS is silent, see docs/simulate.md.
"""

from __future__ import annotations

import functools

from firehose_s3_client.simulate.buffering import Buffer, Timers, fill
from firehose_s3_client.simulate.object_writer import ObjectWriter
from firehose_s3_client.simulate.record_batch import RecordBatch
from firehose_s3_client.simulate.stream_config import BufferingHints
from firehose_s3_client.simulate.tally import Tally

__all__ = ["ErrorOutput"]


class ErrorOutput:
    """Buffers error documents per error output type and writes them as objects."""

    def __init__(
        self, *, template: str, buffering: BufferingHints, timers: Timers, writer: ObjectWriter, tally: Tally
    ) -> None:
        self.template = template
        self.buffering = buffering
        self.timers = timers
        self.writer = writer
        self.tally = tally
        self._buffers: dict[str, Buffer] = {}

    def add(self, error_type: str, documents: list[bytes], arrivals: list[int], sources: list[int], now: int) -> None:
        """Route failed records (already turned into documents) to the ``error_type`` output at ``now``."""
        if not documents:
            return
        self.tally.failed(error_type, sources)
        buffer = self._buffers.get(error_type)
        if buffer is None:
            buffer = Buffer(
                self.buffering.size_bytes,
                self.buffering.interval_seconds * 1000,
                self.timers,
                functools.partial(self._write, error_type),
            )
            self._buffers[error_type] = buffer
        fill(buffer, RecordBatch(documents, arrivals, sources), None, now)

    def _write(self, error_type: str, batch: RecordBatch, now: int) -> None:
        oldest = min(batch.arrivals)
        prefix = self.writer.prefix(self.template, oldest, error_output_type=error_type)
        self.writer.write(prefix, oldest, b"".join(batch.datas))

    def flush(self, now: int) -> None:
        """Write every buffered document."""
        for buffer in list(self._buffers.values()):
            buffer.deliver(now)

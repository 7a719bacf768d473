"""One delivery stream served on the wall clock: the simulate engine behind a lock, fed as calls arrive.

The HTTP server handles connections in threads; the engine is not thread-safe and needs nondecreasing
arrival times. So every entry into the engine (a put, the timer's advance, the final flush) holds the stream's
lock, and a put's arrival time is read from the clock *under* that lock, never earlier than the previous
put's. The engine therefore sees calls one after another, in the order they took the lock, each call's
records in request order and at one instant (Firehose stamps the records of one call alike).

A put returns once the engine holds the records (buffered, or delivered if a buffer filled), which is when
the call is answered: an acknowledged record is in the engine's count, and the flush at shutdown delivers it.
After :meth:`ServedStream.close` a put is refused (:class:`StreamClosedError`), so nothing is acknowledged
that the flush would miss.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from firehose_s3_client.serve.wall_clock import ScaledClock
from firehose_s3_client.simulate.lambda_invoker import LambdaInvoker
from firehose_s3_client.simulate.object_writer import to_datetime
from firehose_s3_client.simulate.simulation import stream_report
from firehose_s3_client.simulate.sinks import Sink
from firehose_s3_client.simulate.stream_setup import PreparedStream

__all__ = ["ApiCounts", "ServedStream", "StreamClosedError"]


class StreamClosedError(Exception):
    """The endpoint is shutting down: the stream takes no more records."""


class ApiCounts:
    """What the stream's callers sent and were answered; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.records_accepted = 0
        self.entries_failed = 0
        self.calls_throttled = 0

    def call(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def refuse(self, error_type: str) -> None:
        with self._lock:
            self.refused[error_type] += 1

    def throttle(self) -> None:
        with self._lock:
            self.calls_throttled += 1

    def answered(self, accepted: int, failed: int) -> None:
        with self._lock:
            self.records_accepted += accepted
            self.entries_failed += failed

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(sorted(self.calls.items())),
                "records_accepted": self.records_accepted,
                "entries_failed_injected": self.entries_failed,
                "calls_throttled_injected": self.calls_throttled,
                "calls_refused": dict(sorted(self.refused.items())),
            }


def _iso(epoch_ms: int) -> str:
    return to_datetime(epoch_ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ServedStream:
    """A prepared stream with its engine, serialized by a lock (see the module docstring)."""

    def __init__(
        self,
        prepared: PreparedStream,
        *,
        sink: Sink,
        output: Mapping[str, Any],
        clock: ScaledClock,
        invoker: LambdaInvoker | None,
    ) -> None:
        self.prepared = prepared
        self.config = prepared.config
        self.name = self.config.name
        self.sink = sink
        self.output = dict(output)
        self.clock = clock
        self.invoker = invoker
        self.engine = prepared.engine(sink, invoker)
        properties = prepared.stack.resources[self.config.logical_id].get("Properties") or {}
        #: Server-side encryption is on: PutRecord/PutRecordBatch answer ``"Encrypted": true``.
        self.encryption: dict[str, Any] | None = properties.get("DeliveryStreamEncryptionConfigurationInput")
        self.counts = ApiCounts()
        self.created_ms = clock.now()
        self._lock = threading.Lock()
        self._last = self.created_ms
        self._closed = False

    @property
    def encrypted(self) -> bool:
        return self.encryption is not None

    @property
    def stream_type(self) -> str:
        """``DeliveryStreamType``: ``DirectPut`` or ``KinesisStreamAsSource`` (the two the engine runs)."""
        return "KinesisStreamAsSource" if self.reads_kinesis else "DirectPut"

    @property
    def reads_kinesis(self) -> bool:
        """The stream's source is a Kinesis data stream (it refuses PutRecord and PutRecordBatch)."""
        return self.config.source_kinesis_arn is not None

    def _now(self) -> int:
        now = max(self.clock.now(), self._last)
        self._last = now
        return now

    def put(self, datas: list[bytes]) -> None:
        """Records of one call, arriving now (raises :class:`StreamClosedError` after :meth:`close`, and the
        sink's :class:`~firehose_s3_client.simulate.sinks.SinkError` when an object cannot be written)."""
        with self._lock:
            if self._closed:
                raise StreamClosedError(self.name)
            now = self._now()
            self.engine.put(datas, [now] * len(datas))

    def advance(self) -> int | None:
        """Deliver every buffer due now; the next buffer deadline (clock ms), or None."""
        with self._lock:
            self.engine.advance(self._now())
            return self.engine.timers.next_deadline()

    def close(self) -> None:
        """Take no more records (calls in progress complete first: they hold the lock)."""
        with self._lock:
            self._closed = True

    def flush(self) -> None:
        """Deliver everything buffered, now (after :meth:`close`)."""
        with self._lock:
            self.engine.flush(self._now())

    def report(self) -> dict[str, Any]:
        """The stream's report: ``simulate``'s (counts, function, notes, keys) with the API calls."""
        with self._lock:
            details = {
                "api": self.counts.as_dict(),
                "served": {
                    "start": _iso(self.created_ms),
                    "end": _iso(self._last),
                    "time_scale": self.clock.scale,
                },
            }
            return stream_report(
                self.prepared, self.engine, invoker=self.invoker, sink=self.sink, output=self.output, details=details
            )

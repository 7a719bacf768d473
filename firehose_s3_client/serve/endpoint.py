"""The life of a ``serve`` endpoint: start the engines, the HTTP server and the delivery timer, serve until
told to stop, then take no more records, flush every buffer and report.

The shutdown order leaves nothing acknowledged behind:

1. the server stops accepting connections;
2. every stream is closed: a put that already holds a stream's lock completes and is answered; a later one is
   answered ``ServiceUnavailableException`` (retryable) and writes nothing;
3. the answers in progress are written (up to :data:`ANSWER_WAIT_SECONDS`);
4. the delivery timer stops;
5. every stream flushes: its buffers are delivered at the shutdown instant (their function invoked as
   needed), then its function's worker stops;
6. the reports are taken (``records_in = records_delivered + records_dropped + sum(records_failed)``).

An engine failure (an object that cannot be written) stops the endpoint the same way; the run then reports it.
"""

from __future__ import annotations

import ssl
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from firehose_s3_client.errors import EXIT_FAILED, CliError
from firehose_s3_client.serve.faults import FaultInjector
from firehose_s3_client.serve.http_server import EndpointServer
from firehose_s3_client.serve.operations import FirehoseService
from firehose_s3_client.serve.served_stream import ServedStream
from firehose_s3_client.serve.stream_selection import StreamPlan
from firehose_s3_client.serve.wall_clock import DeliveryTimer, ScaledClock

__all__ = ["ANSWER_WAIT_SECONDS", "Endpoint", "EndpointResult"]

ANSWER_WAIT_SECONDS = 10.0


@dataclass
class EndpointResult:
    """What a run served: each stream's report, calls refused before naming a stream, the first failure."""

    url: str
    reports: list[dict[str, Any]]
    unattributed: Counter[str]
    failure: BaseException | None = None


@dataclass
class Endpoint:
    """The streams of ``plans`` served on ``host:port`` (port 0: any free port) by one server."""

    plans: Sequence[StreamPlan]
    host: str = "127.0.0.1"
    port: int = 4573
    faults: FaultInjector = field(default_factory=FaultInjector)
    clock: ScaledClock = field(default_factory=ScaledClock)
    #: Serve HTTPS with this context (default: plain HTTP).
    tls: ssl.SSLContext | None = None

    def run(
        self, stop: threading.Event, on_ready: Callable[[EndpointServer, list[ServedStream]], None]
    ) -> EndpointResult:
        """Serve until ``stop`` is set (or the engine fails), then shut down as the module docstring says.

        ``on_ready`` is called once the server listens. Raises CliError when the address cannot be listened on.
        """
        failures: list[BaseException] = []

        def fatal(error: BaseException) -> None:
            failures.append(error)
            stop.set()

        with ExitStack() as resources:
            streams = []
            for plan in self.plans:
                invoker = resources.enter_context(plan.prepared.open_invoker())
                streams.append(
                    ServedStream(plan.prepared, sink=plan.sink, output=plan.output, clock=self.clock, invoker=invoker)
                )
            service = FirehoseService(
                streams,
                faults=self.faults,
                account_id=streams[0].prepared.resolver.account.account_id if streams else "123456789012",
                on_fatal=fatal,
            )
            try:
                server = EndpointServer((self.host, self.port), service, tls=self.tls)
            except OSError as error:
                raise CliError(
                    f"cannot listen on {self.host}:{self.port}: {error.strerror or error}", EXIT_FAILED
                ) from None
            resources.callback(server.server_close)
            timer = DeliveryTimer(streams, self.clock, on_error=fatal)
            listener = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="firehose-s3-serve", daemon=True
            )
            listener.start()
            timer.start()
            try:
                on_ready(server, streams)
                while not stop.wait(0.5):
                    pass
            finally:
                self._stop_taking_records(server, streams, timer)
            for stream in streams:
                try:
                    stream.flush()
                except Exception as error:  # an object that cannot be written: reported, the others flush
                    failures.append(error)
            reports = [stream.report() for stream in streams]
            return EndpointResult(server.url, reports, Counter(service.unattributed), failures[0] if failures else None)

    @staticmethod
    def _stop_taking_records(server: EndpointServer, streams: list[ServedStream], timer: DeliveryTimer) -> None:
        server.stopping = True
        server.shutdown()
        for stream in streams:
            stream.close()
        server.wait_idle(ANSWER_WAIT_SECONDS)
        timer.stop()

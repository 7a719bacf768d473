"""The ``firehose-s3 serve`` command: a local Firehose endpoint for the delivery streams of a cloud assembly.

::

    firehose-s3 serve --app cdk.out [--stack STACK ...] --out DIR [--host 127.0.0.1] [--port 4573]
                      [--endpoint-url URL --bucket [STACK/]LOGICAL_ID=NAME ...] [--time-scale N]
                      [--fail-rate R] [--throttle-rate R] [--fault-seed N] [--report FILE] ...

Prints one line per stream (its name and the endpoint) when it listens, serves until SIGINT (Ctrl-C) or
SIGTERM, then flushes every buffer, prints each stream's summary (``simulate``'s) and writes ``--report``.
Exit status: 0 after a clean shutdown; 1 when a stream cannot be simulated, the address cannot be listened on,
or an object cannot be written; 2 for a bad command line; 130 when a second signal interrupts the flush.
Errors are one line. See docs/serve.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG, CliError
from firehose_s3_client.simulate.engine_arguments import add_engine_arguments, check_engine_arguments, write_report

if TYPE_CHECKING:  # the engine and the server are imported when the command runs (the CLI starts fast)
    import ssl

    from firehose_s3_client.serve.endpoint import EndpointResult
    from firehose_s3_client.serve.http_server import EndpointServer
    from firehose_s3_client.serve.served_stream import ServedStream

__all__ = ["DEFAULT_PORT", "add_command", "run"]

DEFAULT_PORT = 4573


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``serve`` to the subparsers."""
    parser = commands.add_parser(
        "serve",
        help="a local Firehose endpoint for a synthesized stack's delivery streams (PutRecord, PutRecordBatch)",
        description=(
            "Serve the Firehose API (PutRecord, PutRecordBatch, DescribeDeliveryStream, ListDeliveryStreams) for "
            "the delivery streams of a cloud assembly, delivering what clients send with the simulate engine on "
            "the wall clock to DIR/<bucket logical ID>/<key>. Requests are not signature-checked. See docs/serve.md."
        ),
    )
    parser.add_argument("--app", required=True, type=Path, help="the cloud assembly directory (cdk.out)")
    parser.add_argument(
        "--stack", action="append", default=[], help="a stack to serve (repeatable; default: every stack)"
    )
    parser.add_argument("--out", type=Path, help="output directory (DIR/<bucket logical ID>/<key>)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port)"
    )
    parser.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM; with --tls-key)")
    parser.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per wall second (default 1; 60 turns a 300 s buffer interval into 5 s)",
    )
    parser.add_argument("--fail-rate", type=_rate, default=0.0, help="share of records failed as throttled (0-1)")
    parser.add_argument("--throttle-rate", type=_rate, default=0.0, help="share of put calls refused (0-1)")
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the injected faults (default 0)")
    parser.add_argument("--report", type=Path, help="write the JSON report here on shutdown")
    add_engine_arguments(parser, per_stack=True)
    parser.set_defaults(handler=run)


def _check(args: argparse.Namespace) -> None:
    check_engine_arguments(args)
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port {args.port} is not a port number (0-65535)", EXIT_USAGE)
    if not args.time_scale > 0:
        raise CliError("--time-scale must be positive", EXIT_USAGE)


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.tls_cert is None and args.tls_key is None:
        return None
    if args.tls_cert is None or args.tls_key is None:
        raise CliError("--tls-cert and --tls-key go together", EXIT_USAGE)
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise CliError(
            f"cannot load the certificate {str(args.tls_cert)!r} and key {str(args.tls_key)!r}: "
            f"{getattr(error, 'strerror', None) or error}",
            EXIT_USAGE,
        ) from None
    return context


def _loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop``; a second one interrupts (KeyboardInterrupt: exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _announce(args: argparse.Namespace, server: EndpointServer, streams: list[ServedStream], out: IO[str]) -> None:
    url = server.url
    for stream in streams:
        config = stream.config
        where = stream.output.get("dir") or stream.output.get("endpoint_url")
        out.write(
            f"serving {stream.name} (stack {stream.prepared.stack.stack_name}, {stream.stream_type}) at {url}, "
            f"writing to {where}\n"
        )
        if config.source_kinesis_arn is not None:
            out.write(
                f"  {stream.name} reads a Kinesis data stream: it refuses PutRecord/PutRecordBatch, as AWS does\n"
            )
    faults = []
    if args.fail_rate:
        faults.append(f"failing {args.fail_rate:g} of records")
    if args.throttle_rate:
        faults.append(f"throttling {args.throttle_rate:g} of calls")
    extras = [f"time scale {args.time_scale:g}", *faults]
    out.write(
        f"endpoint {url} ready ({', '.join(extras)}; requests are not signature-checked); "
        "Ctrl-C or SIGTERM flushes every buffer and stops\n"
    )
    out.flush()
    if not _loopback(args.host):
        sys.stderr.write(
            f"{PROG}: warning: listening on {args.host}, not loopback: this endpoint has no authentication, "
            "anyone who can reach the port can write to the output\n"
        )


def _summary_rows(report: dict[str, Any]) -> list[tuple[str, Any]]:
    api = report["api"]
    calls = ", ".join(f"{name} {count}" for name, count in api["calls"].items()) or "0"
    refused = ", ".join(f"{name} {count}" for name, count in api["calls_refused"].items()) or "0"
    served = report["served"]
    return [
        ("API calls", calls),
        ("records accepted", api["records_accepted"]),
        (
            "injected faults",
            f"{api['entries_failed_injected']} records failed, {api['calls_throttled_injected']} calls throttled",
        ),
        ("calls refused", refused),
        ("served", f"{served['start']} .. {served['end']} (time scale {served['time_scale']:g})"),
    ]


def _finish(args: argparse.Namespace, result: EndpointResult) -> None:
    from firehose_s3_client.simulate.simulation import SimulationRun

    document = {
        "endpoint": result.url,
        "time_scale": args.time_scale,
        "faults": {"fail_rate": args.fail_rate, "throttle_rate": args.throttle_rate, "seed": args.fault_seed},
        "calls_refused_before_a_stream": dict(sorted(result.unattributed.items())),
        "streams": result.reports,
    }
    if args.report is not None:
        write_report(args.report, document)
    if not args.quiet:
        for report in result.reports:
            SimulationRun.print_summary(report, sys.stdout, extra_rows=_summary_rows(report))
        if result.unattributed:
            refused = ", ".join(f"{name} {count}" for name, count in sorted(result.unattributed.items()))
            sys.stdout.write(f"calls refused before naming a served stream: {refused}\n")
        sys.stdout.flush()
    for report in result.reports:
        init_error = (report.get("lambda") or {}).get("init_error")
        if init_error:
            message = " ".join(str(init_error).split())
            sys.stderr.write(
                f"{PROG}: warning: the Lambda function of {report['stream']['name']} failed to initialize: {message}\n"
            )


def run(args: argparse.Namespace) -> int:
    """``serve``'s handler (see the module docstring)."""
    from firehose_s3_client.serve.endpoint import Endpoint
    from firehose_s3_client.serve.faults import FaultInjector
    from firehose_s3_client.serve.stream_selection import plan_streams
    from firehose_s3_client.serve.wall_clock import ScaledClock

    _check(args)
    tls = _tls_context(args)
    plans = plan_streams(args)
    endpoint = Endpoint(
        plans,
        host=args.host,
        port=args.port,
        faults=FaultInjector(args.fail_rate, args.throttle_rate, args.fault_seed),
        clock=ScaledClock(args.time_scale),
        tls=tls,
    )
    stop = threading.Event()
    with _stop_on_signals(stop):
        result = endpoint.run(stop, lambda server, streams: _announce(args, server, streams, sys.stdout))
    _finish(args, result)
    if result.failure is not None:
        raise CliError(str(result.failure), EXIT_FAILED)
    return EXIT_OK

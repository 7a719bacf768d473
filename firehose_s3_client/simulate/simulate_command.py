"""The ``firehose-s3 simulate`` command: run a synthesized stack's delivery stream over local input.

::

    firehose-s3 simulate --app cdk.out --stack STACK [--stream ID] --input FILE|- --out DIR
                         [--start ISO-8601] [--rate N] [--report FILE] [--aggregate | --raw | --base64]
                         [--processor module:function] [--endpoint-url URL --bucket LOGICAL_ID=NAME ...]
                         [--secret LOGICAL_ID=VALUE ...] [--seed N] [--region R] [--function-log FILE]

Writes ``DIR/<bucket logical ID>/<key>`` (or puts to ``--endpoint-url``), prints a summary and, with
``--report``, a JSON report. Exit status: 0 when the run completed (failed records included: they are in the
error output and the report); 1 when the stream cannot be simulated (missing or unreadable cloud assembly,
unknown stack or stream, a configuration the engine does not reproduce, named) or an object cannot be
written; 2 for a bad command line or unreadable input. Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firehose_s3_client.errors import EXIT_OK, EXIT_USAGE, PROG, CliError
from firehose_s3_client.input_lines import open_input
from firehose_s3_client.simulate.engine_arguments import add_engine_arguments, check_engine_arguments, write_report

__all__ = ["add_command", "run"]


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``simulate`` to the subparsers."""
    parser = commands.add_parser(
        "simulate",
        help="run a synthesized stack's delivery stream locally (buffering, transform, partitions, S3 keys)",
        description=(
            "Run the delivery stream of a synthesized stack (cdk.out) over input lines, on a virtual clock, and "
            "write the objects Firehose would write to DIR/<bucket logical ID>/<key>. See docs/simulate.md."
        ),
    )
    parser.add_argument("--app", required=True, type=Path, help="the cloud assembly directory (cdk.out)")
    parser.add_argument("--stack", required=True, help="the stack (artifact ID or stack name)")
    parser.add_argument("--stream", help="the delivery stream (logical ID, construct path or name) if several")
    parser.add_argument("--input", required=True, help="input file, one record per line (- for stdin)")
    parser.add_argument("--out", type=Path, help="output directory (DIR/<bucket logical ID>/<key>)")
    parser.add_argument("--start", help="virtual arrival time of the first record, ISO-8601 (default: now, UTC)")
    parser.add_argument("--rate", type=float, default=1000.0, help="records per second (default 1000)")
    parser.add_argument("--report", type=Path, help="write the JSON report here")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--aggregate", action="store_true", help="pack lines into records as `firehose-s3 put` does")
    mode.add_argument("--raw", action="store_true", help="each line's bytes as they are, line ending included")
    mode.add_argument("--base64", action="store_true", help="each line is one record's data in base64 (binary records)")
    add_engine_arguments(parser, per_stack=False)
    parser.set_defaults(handler=run)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key or not text:
            raise CliError(f"{option} {value!r}: expected LOGICAL_ID=VALUE", EXIT_USAGE)
        out[key] = text
    return out


def _start_ms(text: str | None) -> int:
    if text is None:
        return int(time.time() * 1000)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise CliError(f"--start {text!r} is not an ISO-8601 time (e.g. 2026-11-26T09:00:00Z)", EXIT_USAGE) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def run(args: argparse.Namespace) -> int:
    """``simulate``'s handler (see the module docstring)."""
    from firehose_s3_client.simulate.simulation import SimulationRun

    if args.rate <= 0:
        raise CliError("--rate must be positive", EXIT_USAGE)
    check_engine_arguments(args)
    start = _start_ms(args.start)
    buckets = _pairs(args.bucket, "--bucket")
    secrets = _pairs(args.secret, "--secret")
    simulation = SimulationRun.prepare(args, secrets=secrets, buckets=buckets, start_ms=start)
    source = open_input(args.input)
    try:
        report = simulation.run(source, name="<stdin>" if args.input == "-" else args.input)
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    if args.report is not None:
        write_report(args.report, report)
    if not args.quiet:
        simulation.print_summary(report, sys.stdout)
    init_error = (report.get("lambda") or {}).get("init_error")
    if init_error:  # every batch failed: say why, once, where it cannot be missed
        message = " ".join(str(init_error).split())
        sys.stderr.write(f"{PROG}: warning: the Lambda function failed to initialize: {message}\n")
    return EXIT_OK

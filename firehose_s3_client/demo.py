"""``make demo``: the seed's two examples, run end to end on this machine, without AWS.

For each example stack of the synthesized sample app (``cdk.out``) it writes seed-like records (a few of them
bad) to ``local-s3/input/``, runs them through the stack's own delivery stream with ``firehose-s3 simulate``
into ``local-s3/``, and runs the README's example Athena query over the result with ``firehose-s3 query``.
Each step prints the ``firehose-s3`` command it runs, so every step can be repeated by hand::

    python -m firehose_s3_client.demo --app cdk.out --out local-s3

The records arrive on a virtual clock from 2026-11-26 09:00 UTC (``--start``), the day the README's queries
filter on; the IoT readings carry event times from the same morning.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from firehose_s3_client import cli, sample_data
from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, PROG

__all__ = ["EXAMPLES", "Example", "main", "run"]

#: The virtual arrival time of the first record (the README's queries read this day's partitions).
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Example:
    """One of the seed's examples: a sample stack, its records and the README's query over them."""

    stack: str
    kind: str
    records: int
    bad_share: float
    query: str


#: The README's two example queries (tests/client/test_demo.py checks that README.md shows them as here).
WEB_LOG_QUERY = """SELECT date_trunc('hour', from_iso8601_timestamp(ts)) AS event_hour,
       count(*) AS requests, count_if(status >= 500) AS server_errors
FROM "firehoses3weblogs_pipeline"."access_logs"
WHERE year = 2026 AND month = 11 AND day = 26
GROUP BY 1 ORDER BY 1;"""

IOT_QUERY = """SELECT device_type, device_id, round(avg(temperature), 2) AS avg_temperature, min(battery) AS min_battery
FROM "firehoses3iottelemetry_pipeline"."telemetry"
WHERE device_type = 'thermostat' AND dt >= '2026-11-20'
GROUP BY 1, 2 ORDER BY 1, 2;"""

EXAMPLES = (
    Example("FirehoseS3WebLogs", sample_data.WEBLOG, records=5000, bad_share=0.002, query=WEB_LOG_QUERY),
    Example("FirehoseS3IotTelemetry", sample_data.IOT, records=5000, bad_share=0.002, query=IOT_QUERY),
)


def _write_input(example: Example, path: Path, start_ms: int) -> int:
    """Write the example's records to ``path``; returns how many of them are bad."""
    bad = 0
    with path.open("wb") as out:
        for kind, line in sample_data.labelled_lines(
            example.kind, seed=1, count=example.records, bad_share=example.bad_share, start_ms=start_ms
        ):
            bad += kind is not None
            out.write(line)
    return bad


def _firehose_s3(args: list[str], *, keep: Path, head: int) -> int:
    """Run one ``firehose-s3`` command in this process after printing it; show ``head`` lines of its output.

    The whole output is kept in ``keep`` (the simulator's notes, every row of a query).
    """
    print(f"\n$ {PROG} {shlex.join(args)}", flush=True)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = cli.main(args)
    keep.write_text(output.getvalue())
    lines = output.getvalue().splitlines()
    shown = [line for line in lines if not line.startswith("note: ")][:head]
    print("\n".join(shown))
    if len(shown) < len(lines):
        print(f"... ({len(lines) - len(shown)} more lines in {keep})")
    return status


def run(app: Path, out: Path) -> int:
    """Simulate both examples into ``out`` and query them; returns the exit status."""
    if out.exists():
        shutil.rmtree(out)
    inputs = out / "input"
    inputs.mkdir(parents=True)
    start_ms = int(START.timestamp() * 1000)
    for example in EXAMPLES:
        path = inputs / f"{example.kind}.jsonl"
        bad = _write_input(example, path, start_ms)
        print(f"\n== {example.stack}: {example.records} {example.kind} records ({bad} of them bad) in {path}")
        simulate = [
            "simulate",
            "--app",
            str(app),
            "--stack",
            example.stack,
            "--input",
            str(path),
            "--out",
            str(out),
            "--start",
            START.isoformat().replace("+00:00", "Z"),
            "--report",
            str(inputs / f"{example.kind}-report.json"),
        ]
        if _firehose_s3(simulate, keep=inputs / f"{example.kind}-simulate.txt", head=20) != EXIT_OK:
            return EXIT_FAILED
        query = ["query", "--app", str(app), "--stack", example.stack, "--data", str(out), example.query]
        if _firehose_s3(query, keep=inputs / f"{example.kind}-query.txt", head=12) != EXIT_OK:
            return EXIT_FAILED
    print(f"\nThe objects are in {out}/<bucket logical ID>/<key>, as Firehose would write them to S3.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firehose_s3_client.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--app", type=Path, default=Path("cdk.out"), help="the cloud assembly (default cdk.out)")
    parser.add_argument("--out", type=Path, default=Path("local-s3"), help="output directory (default local-s3)")
    args = parser.parse_args(argv)
    return run(args.app, args.out)


if __name__ == "__main__":
    sys.exit(main())

"""``firehose-s3 replay``: re-send the original records of Firehose error objects.

Each error record's ``rawData`` (the Firehose record as it arrived, possibly an aggregate of lines) is sent
again as one record, unchanged except that a newline is appended if it lacks one (``--aggregate`` packs several
per Firehose record instead). Sending stops at the first record that cannot be delivered; the error objects are
never modified, so a replay can simply be run again (which sends again what was already replayed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from firehose_s3_client.cli_common import (
    add_aws_options,
    add_producer_options,
    client_from_args,
    exit_status_epilog,
    failure_message,
    make_producer,
)
from firehose_s3_client.console import Progress, count, one_line, print_rows
from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, PROG, CliError
from firehose_s3_client.failures import FailedRecord, ProducerClosedError, RecordTooLargeError
from firehose_s3_client.s3_objects import list_objects, read_object
from firehose_s3_client.verify import UnreadableObjectError, count_lines, iter_error_records

__all__ = ["add_command", "cmd_replay"]


class _Failures:
    """The producer's ``on_failure``: counts what was not replayed, by error code."""

    def __init__(self) -> None:
        self.records: list[FailedRecord] = []

    def __call__(self, failures: list[FailedRecord]) -> None:
        self.records += failures

    def describe(self) -> str:
        if not self.records:
            return "0"
        codes: dict[str, int] = {}
        for failure in self.records:
            codes[failure.error_code] = codes.get(failure.error_code, 0) + 1
        return f"{len(self.records)} (" + ", ".join(f"{code} x{n}" for code, n in sorted(codes.items())) + ")"


def _replay_records(s3: Any, args: argparse.Namespace, counts: dict[str, int]) -> Iterator[tuple[str, int, bytes]]:
    for obj in list_objects(s3, args.bucket, args.prefix):
        if obj.is_folder_marker:
            continue
        counts["objects"] += 1
        body = read_object(s3, args.bucket, obj.key)
        try:
            for record in iter_error_records(obj.key, body):
                if record.raw_data is None:
                    counts["bad lines"] += 1
                    sys.stderr.write(f"{PROG}: {obj.key}: line {record.line_number}: {record.problem}; skipped\n")
                    continue
                yield obj.key, record.line_number, record.raw_data
        except UnreadableObjectError as exc:
            counts["unreadable"] += 1
            sys.stderr.write(f"{PROG}: {one_line(exc)}; skipped\n")


def cmd_replay(args: argparse.Namespace) -> int:
    """``replay``: re-send the original records of Firehose error objects."""
    s3 = client_from_args("s3", args, botocore_retries=True)
    failures = _Failures()
    producer = None if args.dry_run else make_producer(args, on_failure=failures, aggregate=args.aggregate)
    progress = Progress(sys.stderr, enabled=not args.no_progress and sys.stderr.isatty())
    counts = {"objects": 0, "bad lines": 0, "unreadable": 0, "records": 0, "lines": 0, "bytes": 0, "rejected": 0}
    try:
        for key, line_number, raw in _replay_records(s3, args, counts):
            counts["records"] += 1
            counts["lines"] += count_lines(raw)
            counts["bytes"] += len(raw)
            progress.update(counts["records"], counts["bytes"])
            if producer is None:
                continue
            try:
                producer.put(raw)
            except (RecordTooLargeError, ValueError) as exc:
                counts["rejected"] += 1
                sys.stderr.write(f"{PROG}: {key}: line {line_number}: {exc}; not replayed\n")
            except ProducerClosedError:
                break
            if failures.records:  # stop at the first record that cannot be delivered
                break
        if producer is not None and not failures.records:
            producer.flush()
        progress.update(counts["records"], counts["bytes"], force=True)
    finally:
        progress.done()
        if producer is not None:
            producer.request_stop()
            failures(producer.abort())
    rows: list[tuple[str, object]] = [
        ("error objects", counts["objects"]),
        ("error records", counts["records"]),
        ("original lines", counts["lines"]),
        ("raw bytes", counts["bytes"]),
        ("skipped lines", counts["bad lines"]),
        ("unreadable objects", counts["unreadable"]),
    ]
    if producer is None:
        rows.append(("mode", "dry run: nothing sent"))
    else:
        stats = producer.stats
        rows += [
            ("records sent", stats.records_delivered),
            ("firehose records", stats.firehose_records),
            ("api calls", stats.api_calls),
            ("retries", stats.retries),
            ("payload bytes", stats.payload_bytes),
            ("billed bytes", f"{stats.billed_bytes} ({stats.billed_ratio:.3f}x payload)"),
            ("rejected", counts["rejected"]),
            ("failures", failures.describe()),
        ]
    print_rows(rows, sys.stdout)
    if failures.records:
        reason = failure_message(failures.records[0], args.stream)
        raise CliError(
            f"{reason}; {count(len(failures.records), 'record')} not replayed (they stay in the error objects: "
            "replay again to send them, which also re-sends what was replayed)"
        )
    bad = counts["rejected"] + counts["bad lines"] + counts["unreadable"]
    return EXIT_FAILED if bad else EXIT_OK


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``replay`` to the ``firehose-s3`` subparsers."""
    replay = commands.add_parser(
        "replay",
        epilog=exit_status_epilog(),
        help="re-send the records of Firehose error objects",
        description="Read Firehose error objects (JSON lines with a base64 rawData, possibly compressed) "
        "and send each rawData again, as is (a newline is appended only if it lacks one). Aggregation is "
        "off by default: a rawData that was an aggregate stays one Firehose record.",
    )
    replay.add_argument("--bucket", required=True, help="bucket holding the error objects")
    replay.add_argument(
        "--prefix", required=True, help="key prefix of the error objects, e.g. errors/processing-failed/"
    )
    replay.add_argument("--stream", required=True, help="delivery stream to send to")
    replay.add_argument("--dry-run", action="store_true", help="only decode and count; send nothing")
    replay.add_argument("--aggregate", action="store_true", help="pack several rawData records per Firehose record")
    replay.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")
    add_producer_options(replay)
    add_aws_options(replay)
    replay.set_defaults(handler=cmd_replay)

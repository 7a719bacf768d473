"""``firehose-s3 verify``: poll S3 until the records arrived; with ``--manifest``, check exactly which did.

Without a manifest, records are counted (non-blank lines after decompression, Parquet/ORC rows) until
``--expect`` (default: at least 1) arrived. With ``--manifest`` (written by ``put --manifest``) every delivered
line is compared by content with the records ``put`` accepted: verify passes only when each of them arrived,
nothing else did, and nothing arrived twice (``--allow-duplicates`` tolerates at-least-once re-sends). It
lists the input line numbers of missing records (saying how many are in error objects) and the object and line
of unexpected ones. Error objects (``processing-failed`` and the other Firehose error folders, or
``--error-prefix``) are reported separately and fail the check.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from firehose_s3_client.cli_common import add_aws_options, client_from_args, exit_status_epilog
from firehose_s3_client.console import count, print_rows
from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError
from firehose_s3_client.manifest import Manifest, ManifestCheck, preview
from firehose_s3_client.s3_objects import S3Object, list_objects, read_object
from firehose_s3_client.verify import (
    UnreadableObjectError,
    count_lines,
    decode_object,
    error_output_type,
    iter_error_records,
    parse_since,
)

__all__ = ["add_command", "cmd_verify"]

_sleep = time.sleep  # replaced in tests


@dataclass
class Tally:
    data_objects: int = 0
    data_records: int = 0
    error_objects: list[tuple[str, str, int, int]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def error_records(self) -> int:
        return sum(records for _, _, records, _ in self.error_objects)

    @property
    def error_lines(self) -> int:
        return sum(lines for _, _, _, lines in self.error_objects)


def _examine(s3: Any, args: argparse.Namespace, obj: S3Object, tally: Tally, check: ManifestCheck | None) -> None:
    body = read_object(s3, args.bucket, obj.key)
    kind = error_output_type(obj.key, args.error_prefix)
    try:
        if kind is None:
            decoded = decode_object(obj.key, body)
            if decoded.rows is not None and check is not None:
                raise UnreadableObjectError(
                    obj.key, f"a {decoded.format} object: --manifest compares JSON lines (use --expect for rows)"
                )
            tally.data_objects += 1
            tally.data_records += decoded.rows if decoded.rows is not None else count_lines(decoded.data or b"")
            if check is not None:
                check.add_data(obj.key, decoded.data or b"")
        else:
            records = lines = 0
            for record in iter_error_records(obj.key, body):
                records += 1
                if record.raw_data is not None:
                    lines += count_lines(record.raw_data)
                    if check is not None:
                        check.add_error_record(record.raw_data)
            tally.error_objects.append((obj.key, kind, records, lines))
    except UnreadableObjectError as exc:
        tally.unreadable.append((obj.key, exc.reason))


def _done(tally: Tally, target: int, check: ManifestCheck | None) -> bool:
    troubled = bool(tally.error_objects or tally.unreadable)
    if check is not None:
        return check.complete() or (troubled and check.complete(counting_errors=True))
    return tally.data_records >= target or (troubled and tally.data_records + tally.error_lines >= target)


def _parse(args: argparse.Namespace) -> tuple[Any, Manifest | None]:
    if args.expect is not None and args.expect < 0:
        raise CliError("--expect must be >= 0", EXIT_USAGE)
    if args.expect is not None and args.manifest:
        raise CliError("--expect and --manifest are exclusive: the manifest gives the count", EXIT_USAGE)
    if args.timeout < 0 or args.interval <= 0:
        raise CliError("--timeout must be >= 0 and --interval > 0", EXIT_USAGE)
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    return since, Manifest.read(args.manifest) if args.manifest else None


def cmd_verify(args: argparse.Namespace) -> int:
    """``verify``: poll S3 until the expected records arrived; report error objects."""
    since, manifest = _parse(args)
    check = ManifestCheck(manifest) if manifest is not None else None
    target = manifest.count if manifest is not None else args.expect if args.expect is not None else 1
    s3 = client_from_args("s3", args, botocore_retries=True)
    prefixes = [args.prefix]
    if args.error_prefix and not args.error_prefix.startswith(args.prefix):
        prefixes.append(args.error_prefix)
    interactive = sys.stderr.isatty()
    tally = Tally()
    seen: set[str] = set()
    start = time.monotonic()
    while True:
        for prefix in prefixes:
            for obj in list_objects(s3, args.bucket, prefix):
                if obj.key in seen or (since is not None and obj.last_modified < since):
                    continue
                seen.add(obj.key)
                if not obj.is_folder_marker:
                    _examine(s3, args, obj, tally, check)
        if _done(tally, target, check):
            break
        elapsed = time.monotonic() - start
        if elapsed + args.interval > args.timeout:
            break
        if interactive:
            arrived = check.arrived_expected if check is not None else tally.data_records
            sys.stderr.write(
                f"\rwaiting: {arrived:,}/{target:,} records in {count(tally.data_objects, 'object')}, "
                f"{elapsed:,.0f}s of {args.timeout:g}s   "
            )
            sys.stderr.flush()
        _sleep(args.interval)
    if interactive and time.monotonic() - start >= args.interval:
        sys.stderr.write("\n")
    problems = _report(args, tally, target, check)
    return EXIT_FAILED if problems else EXIT_OK


def _report(args: argparse.Namespace, tally: Tally, target: int, check: ManifestCheck | None) -> list[str]:
    out = sys.stdout
    problems = []
    if check is None:
        if tally.data_records < target:
            problems.append(f"{tally.data_records} of {target} expected records arrived")
    else:
        problems += _manifest_problems(check, allow_duplicates=args.allow_duplicates)
    if tally.error_objects:
        problems.append(count(len(tally.error_objects), "error object"))
    if tally.unreadable:
        problems.append(count(len(tally.unreadable), "unreadable object"))
    for key, kind, records, lines in tally.error_objects:
        out.write(f"error object: {key} ({kind}: {count(records, 'error record')}, {count(lines, 'line')})\n")
    for key, why in tally.unreadable:
        out.write(f"unreadable object: {key}: {why}\n")
    if check is not None:
        if missing := check.missing_lines():
            out.write(f"missing records (input lines): {preview(missing)}\n")
        if check.unexpected:
            out.write(f"unexpected records (object:line): {preview(f'{a.key}:{a.line}' for a in check.unexpected)}\n")
    rows: list[tuple[str, object]] = [
        ("bucket", args.bucket),
        ("prefix", args.prefix or "(whole bucket)"),
        ("data objects", tally.data_objects),
        ("data records", tally.data_records),
        ("error objects", len(tally.error_objects)),
        ("error records", f"{tally.error_records} ({count(tally.error_lines, 'line')})"),
        ("unreadable objects", len(tally.unreadable)),
    ]
    if check is not None:
        rows += [
            ("expected", f"{target} (manifest {args.manifest})"),
            ("arrived", check.arrived_expected),
            ("missing", len(check.missing_lines())),
            ("unexpected", len(check.unexpected)),
            ("duplicates", check.duplicates()),
        ]
    else:
        rows.append(("expected", target if args.expect is not None else "at least 1"))
    rows.append(("result", "OK" if not problems else "FAILED: " + "; ".join(problems)))
    print_rows(rows, out)
    return problems


def _manifest_problems(check: ManifestCheck, *, allow_duplicates: bool) -> list[str]:
    problems = []
    missing = len(check.missing_lines())
    if missing:
        in_errors = check.missing_in_error_objects()
        where = f", {in_errors} of them in error objects" if in_errors else ""
        problems.append(f"{count(missing, 'record')} of the manifest missing{where}")
    if check.unexpected:
        problems.append(f"{count(len(check.unexpected), 'unexpected record')} (not in the manifest)")
    if check.duplicates() and not allow_duplicates:
        problems.append(f"{count(check.duplicates(), 'duplicate')} (re-sent records; --allow-duplicates accepts them)")
    return problems


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``verify`` to the ``firehose-s3`` subparsers."""
    verify = commands.add_parser(
        "verify",
        epilog=exit_status_epilog(),
        help="wait until records arrive in S3 and check them",
        description="Poll S3 until the expected records arrived under --prefix: at least --expect records "
        "(default: 1), counting newline-delimited lines after decompression (.gz, .zip, .snappy, .hsnappy) and "
        "Parquet/ORC rows; or, with --manifest (from put --manifest), exactly the records put accepted, "
        "compared by content, listing missing and unexpected ones. Objects in Firehose error folders "
        "(processing-failed, format-conversion-failed, activePartitionExceeded, ...) or under --error-prefix are "
        "reported separately. Exit 0 only when the expected records arrived and no error or unreadable object "
        "was found.",
    )
    verify.add_argument("--bucket", required=True, help="destination bucket")
    verify.add_argument("--prefix", default="", help="key prefix of the data objects (default: whole bucket)")
    verify.add_argument("--since", help="only objects modified since: ISO-8601 time or an age like 15m, 2h, 1d")
    verify.add_argument("--expect", type=int, metavar="N", help="records expected (default: at least 1)")
    verify.add_argument("--manifest", metavar="FILE", help="check exactly the records of a put --manifest file")
    verify.add_argument(
        "--allow-duplicates", action="store_true", help="with --manifest: accept records that arrived twice"
    )
    verify.add_argument(
        "--timeout",
        type=float,
        default=360.0,
        metavar="S",
        help="give up after S seconds; Firehose buffers up to 900 s (default: %(default)s; 0 = look once)",
    )
    verify.add_argument(
        "--interval", type=float, default=10.0, metavar="S", help="seconds between polls (default: %(default)s)"
    )
    verify.add_argument(
        "--error-prefix",
        metavar="E",
        help="key prefix of error objects (default: any key with a *-failed or activePartitionExceeded folder)",
    )
    add_aws_options(verify)
    verify.set_defaults(handler=cmd_verify)

"""``firehose-s3``: send JSON lines to a Firehose stream, verify what reached S3, replay error records.

Commands (each takes ``--region``, ``--profile`` and ``--endpoint-url``)::

    firehose-s3 put --stream NAME [FILE|-]
    firehose-s3 verify --bucket B [--prefix P] [--since TIME] [--expect N] [--timeout S] [--error-prefix E]
    firehose-s3 replay --bucket B --prefix ERROR_PREFIX --stream NAME [--dry-run]

Exit status: 0 success; 1 a delivery/verification/replay failure or an AWS error (missing stream or
bucket, credentials, region...); 2 bad command line or unreadable input; 130 interrupted. Errors are
one line on stderr (``firehose-s3: error: ...``), never a traceback (set ``FIREHOSE_S3_DEBUG=1`` to
get the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, NoReturn

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from firehose_s3_client.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PROG, CliError
from firehose_s3_client.producer import (
    MAX_RECORD_BYTES,
    FailedRecord,
    FirehoseProducer,
    ProducerStats,
    RecordTooLargeError,
    RetryPolicy,
    create_boto3_client,
)
from firehose_s3_client.simulate import commands as simulator_commands
from firehose_s3_client.verify import (
    UnreadableObjectError,
    count_lines,
    decode_object,
    error_output_type,
    iter_error_records,
    parse_since,
)

_sleep = time.sleep  # replaced in tests

_CREDENTIAL_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "AuthFailure",
    }
)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --------------------------------------------------------------------------- helpers


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _client_error_message(exc: ClientError, *, stream: str | None, bucket: str | None) -> str:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code", "Unknown"))
    message = _one_line(error.get("Message", "") or exc)
    operation = getattr(exc, "operation_name", "request")
    if code == "ResourceNotFoundException" and stream:
        return f"delivery stream {stream!r} not found ({code}: {message})"
    if code in {"NoSuchBucket", "404"} and bucket:
        return f"bucket {bucket!r} does not exist ({code})"
    if code in _CREDENTIAL_ERROR_CODES:
        return f"AWS rejected the credentials ({code}: {message})"
    if "AccessDenied" in code or code == "403":
        return f"access denied for {operation} ({code}: {message})"
    return f"{operation} failed ({code}: {message})"


def _failure_message(failure: FailedRecord, stream: str) -> str:
    if failure.error_code == "ResourceNotFoundException":
        return f"delivery stream {stream!r} not found ({_one_line(failure.error_message)})"
    if failure.error_code == "NoCredentialsError":
        return "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile)"
    if failure.error_code in _CREDENTIAL_ERROR_CODES:
        return f"AWS rejected the credentials ({failure.error_code}: {_one_line(failure.error_message)})"
    return f"sending to {stream!r} failed ({failure.error_code}: {_one_line(failure.error_message)})"


def _client(service: str, args: argparse.Namespace, *, botocore_retries: bool = False) -> Any:
    """A client from --region/--profile/--endpoint-url; fails fast (before reading any input) when no
    credentials can be found."""
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    if session.get_credentials() is None:
        raise NoCredentialsError()
    return create_boto3_client(
        service, session=session, endpoint_url=args.endpoint_url, botocore_retries=botocore_retries
    )


def _print_summary(rows: Sequence[tuple[str, object]], out: IO[str]) -> None:
    width = max(len(name) for name, _ in rows) + 1
    for name, value in rows:
        out.write(f"{name + ':':<{width}} {value}\n")
    out.flush()


class _Progress:
    """A one-line progress display (records, MB, MB/s) on a terminal; silent otherwise."""

    def __init__(self, stream: IO[str], *, enabled: bool, interval: float = 0.2) -> None:
        self._stream = stream
        self._enabled = enabled
        self._interval = interval
        self._start = time.monotonic()
        self._last = 0.0
        self._shown = False

    def update(self, records: int, payload_bytes: int, *, force: bool = False) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        elapsed = max(now - self._start, 1e-9)
        megabytes = payload_bytes / 1e6
        self._stream.write(f"\r{records:,} records  {megabytes:,.1f} MB  {megabytes / elapsed:,.2f} MB/s   ")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()


# --------------------------------------------------------------------------- put


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CliError(f"cannot read {path!r}: {exc.strerror or exc}", EXIT_USAGE) from None


def _check_line(body: bytes) -> str | None:
    """Why a non-blank input line cannot be sent, or None."""
    try:
        json.loads(body)
    except UnicodeDecodeError:
        return "not valid UTF-8"
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if len(body) + 1 > MAX_RECORD_BYTES:
        return f"{len(body) + 1:,} bytes with its newline, over the {MAX_RECORD_BYTES:,}-byte record limit"
    return None


def _lines(source: IO[bytes], name: str) -> Iterator[tuple[int, bytes]]:
    """(line number, line without its line ending) for every non-blank line."""
    try:
        for number, line in enumerate(source, start=1):
            body = line.rstrip(b"\r\n")
            if body.strip():
                yield number, body
    except OSError as exc:
        raise CliError(f"cannot read {name!r}: {exc.strerror or exc}", EXIT_USAGE) from None


def _strict_prepass(source: IO[bytes], name: str) -> IO[bytes]:
    """``--strict``: check every line before anything is sent; return a rewound copy of the input."""
    if source is sys.stdin.buffer:
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115
        try:
            while chunk := source.read(1024 * 1024):
                spool.write(chunk)
        except OSError as exc:
            raise CliError(f"cannot read {name!r}: {exc.strerror or exc}", EXIT_USAGE) from None
        source = spool
    source.seek(0)
    problems = [(number, why) for number, body in _lines(source, name) if (why := _check_line(body))]
    if problems:
        for number, why in problems[:20]:
            sys.stderr.write(f"{PROG}: {name}: line {number}: {why}\n")
        more = " (first 20 shown)" if len(problems) > 20 else ""
        raise CliError(f"--strict: {len(problems)} invalid line(s){more}; nothing was sent", EXIT_USAGE)
    source.seek(0)
    return source


@dataclass
class _FailureLog:
    stream: str
    output: IO[bytes] | None = None
    count: int = 0
    codes: dict[str, int] = field(default_factory=dict)

    def __call__(self, failures: list[FailedRecord]) -> None:
        for failure in failures:
            self.codes[failure.error_code] = self.codes.get(failure.error_code, 0) + 1
            if self.output is not None:
                self.output.write(failure.data)
        self.count += len(failures)
        permanent = [f for f in failures if not f.retryable]
        if permanent:  # a missing stream, bad credentials...: stop instead of failing every batch
            raise CliError(_failure_message(permanent[0], self.stream))

    def describe(self) -> str:
        if not self.count:
            return "0"
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(self.codes.items()))
        return f"{self.count} ({codes})"


def _stats_rows(stats: ProducerStats) -> list[tuple[str, object]]:
    return [
        ("records sent", stats.records_delivered),
        ("firehose records", stats.firehose_records),
        ("api calls", stats.api_calls),
        ("retries", stats.retries),
        ("payload bytes", stats.payload_bytes),
        ("billed bytes", f"{stats.billed_bytes} ({stats.billed_ratio:.3f}x payload)"),
    ]


def _make_producer(args: argparse.Namespace, failures: _FailureLog, *, aggregate: bool) -> FirehoseProducer:
    return FirehoseProducer(
        args.stream,
        client=_client("firehose", args),
        aggregate=aggregate,
        aggregate_max_bytes=args.aggregate_bytes,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_elapsed_seconds=args.max_retry_seconds),
        on_failure=failures,
    )


def cmd_put(args: argparse.Namespace) -> int:
    """``put``: JSON lines from a file or stdin through the producer."""
    name = "<stdin>" if args.file == "-" else args.file
    source = _open_input(args.file)
    failed_output: IO[bytes] | None = None
    try:
        if args.strict:
            source = _strict_prepass(source, name)
        if args.failed_output:
            try:
                failed_output = open(args.failed_output, "wb")  # noqa: SIM115
            except OSError as exc:
                raise CliError(f"cannot write {args.failed_output!r}: {exc.strerror or exc}", EXIT_USAGE) from None
        failures = _FailureLog(args.stream, failed_output)
        producer = _make_producer(args, failures, aggregate=not args.no_aggregate)
        progress = _Progress(sys.stderr, enabled=not args.no_progress and sys.stderr.isatty())
        records = payload = skipped = 0
        try:
            for number, body in _lines(source, name):
                problem = _check_line(body)
                if problem:
                    sys.stderr.write(f"{PROG}: {name}: line {number}: {problem}; skipped\n")
                    skipped += 1
                    continue
                producer.put(body + b"\n")
                records += 1
                payload += len(body) + 1
                progress.update(records, payload)
            producer.flush()
            progress.update(records, payload, force=True)
        finally:
            progress.done()
        stats = producer.stats
        _print_summary(
            [
                ("input", name),
                ("records read", records),
                ("lines skipped", skipped),
                *_stats_rows(stats),
                ("failures", failures.describe()),
            ],
            sys.stdout,
        )
        if failures.count:
            sys.stderr.write(f"{PROG}: error: {failures.count} record(s) could not be delivered\n")
            return EXIT_FAILED
        return EXIT_OK
    finally:
        if failed_output is not None:
            failed_output.close()
        if source is not sys.stdin.buffer:
            source.close()


# --------------------------------------------------------------------------- verify / replay


@dataclass(frozen=True)
class _S3Object:
    key: str
    size: int
    last_modified: datetime


def _list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[_S3Object]:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield _S3Object(item["Key"], int(item.get("Size", 0)), item["LastModified"])


def _read_object(s3: Any, bucket: str, key: str) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return bytes(body.read())
    finally:
        body.close()


@dataclass
class _Tally:
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


def _examine(s3: Any, bucket: str, obj: _S3Object, error_prefix: str | None, tally: _Tally) -> None:
    body = _read_object(s3, bucket, obj.key)
    kind = error_output_type(obj.key, error_prefix)
    try:
        if kind is None:
            decoded = decode_object(obj.key, body)
            tally.data_objects += 1
            tally.data_records += decoded.rows if decoded.rows is not None else count_lines(decoded.data or b"")
        else:
            records = lines = 0
            for record in iter_error_records(obj.key, body):
                records += 1
                lines += count_lines(record.raw_data) if record.raw_data is not None else 0
            tally.error_objects.append((obj.key, kind, records, lines))
    except UnreadableObjectError as exc:
        tally.unreadable.append((obj.key, _one_line(exc)))


def cmd_verify(args: argparse.Namespace) -> int:
    """``verify``: poll S3 until the expected records arrived; report error objects."""
    if args.expect is not None and args.expect < 0:
        raise CliError("--expect must be >= 0", EXIT_USAGE)
    if args.timeout < 0 or args.interval <= 0:
        raise CliError("--timeout must be >= 0 and --interval > 0", EXIT_USAGE)
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    target = args.expect if args.expect is not None else 1
    s3 = _client("s3", args, botocore_retries=True)
    prefixes = [args.prefix]
    if args.error_prefix and not args.error_prefix.startswith(args.prefix):
        prefixes.append(args.error_prefix)
    interactive = sys.stderr.isatty()
    tally = _Tally()
    seen: set[str] = set()
    start = time.monotonic()
    while True:
        for prefix in prefixes:
            for obj in _list_objects(s3, args.bucket, prefix):
                if obj.key in seen or (since is not None and obj.last_modified < since):
                    continue
                seen.add(obj.key)
                if obj.key.endswith("/") and obj.size == 0:
                    continue  # a "folder" placeholder
                _examine(s3, args.bucket, obj, args.error_prefix, tally)
        accounted = tally.data_records + tally.error_lines
        if tally.data_records >= target or ((tally.error_objects or tally.unreadable) and accounted >= target):
            break
        elapsed = time.monotonic() - start
        if elapsed + args.interval > args.timeout:
            break
        if interactive:
            sys.stderr.write(
                f"\rwaiting: {tally.data_records:,}/{target:,} records in {tally.data_objects} "
                f"object(s), {elapsed:,.0f}s of {args.timeout:g}s   "
            )
            sys.stderr.flush()
        _sleep(args.interval)
    if interactive and time.monotonic() - start >= args.interval:
        sys.stderr.write("\n")
    problems = []
    if tally.data_records < target:
        problems.append(f"{tally.data_records} of {target} expected records arrived")
    if tally.error_objects:
        problems.append(f"{len(tally.error_objects)} error object(s)")
    if tally.unreadable:
        problems.append(f"{len(tally.unreadable)} unreadable object(s)")
    for key, kind, records, lines in tally.error_objects:
        sys.stdout.write(f"error object: {key} ({kind}: {records} error records, {lines} lines)\n")
    for key, why in tally.unreadable:
        sys.stdout.write(f"unreadable object: {key}: {why}\n")
    _print_summary(
        [
            ("bucket", args.bucket),
            ("prefix", args.prefix or "(whole bucket)"),
            ("data objects", tally.data_objects),
            ("data records", tally.data_records),
            ("error objects", len(tally.error_objects)),
            ("error records", f"{tally.error_records} ({tally.error_lines} lines)"),
            ("unreadable objects", len(tally.unreadable)),
            ("expected", target if args.expect is not None else "at least 1"),
            ("result", "OK" if not problems else "FAILED: " + "; ".join(problems)),
        ],
        sys.stdout,
    )
    return EXIT_FAILED if problems else EXIT_OK


def _replay_records(s3: Any, args: argparse.Namespace, counts: dict[str, int]) -> Iterable[tuple[str, int, bytes]]:
    for obj in _list_objects(s3, args.bucket, args.prefix):
        if obj.key.endswith("/") and obj.size == 0:
            continue
        counts["objects"] += 1
        body = _read_object(s3, args.bucket, obj.key)
        try:
            for record in iter_error_records(obj.key, body):
                if record.raw_data is None:
                    counts["bad lines"] += 1
                    sys.stderr.write(f"{PROG}: {obj.key}: line {record.line_number}: {record.problem}; skipped\n")
                    continue
                yield obj.key, record.line_number, record.raw_data
        except UnreadableObjectError as exc:
            counts["unreadable"] += 1
            sys.stderr.write(f"{PROG}: {_one_line(exc)}; skipped\n")


def cmd_replay(args: argparse.Namespace) -> int:
    """``replay``: re-send the original records of Firehose error objects."""
    s3 = _client("s3", args, botocore_retries=True)
    failures = _FailureLog(args.stream)
    producer = None if args.dry_run else _make_producer(args, failures, aggregate=args.aggregate)
    counts = {"objects": 0, "bad lines": 0, "unreadable": 0, "records": 0, "lines": 0, "bytes": 0, "rejected": 0}
    for key, line_number, raw in _replay_records(s3, args, counts):
        counts["records"] += 1
        counts["lines"] += count_lines(raw)
        counts["bytes"] += len(raw)
        if producer is None:
            continue
        try:
            producer.put(raw)
        except (RecordTooLargeError, ValueError) as exc:
            counts["rejected"] += 1
            sys.stderr.write(f"{PROG}: {key}: line {line_number}: {exc}; not replayed\n")
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
        producer.flush()
        rows += [*_stats_rows(producer.stats), ("rejected", counts["rejected"]), ("failures", failures.describe())]
    _print_summary(rows, sys.stdout)
    bad = failures.count + counts["rejected"] + counts["bad lines"] + counts["unreadable"]
    return EXIT_FAILED if bad else EXIT_OK


# --------------------------------------------------------------------------- parser / main


def _add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS connection")
    group.add_argument("--region", help="AWS region (default: AWS_REGION/AWS_DEFAULT_REGION or the profile's)")
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE or default)")
    group.add_argument("--endpoint-url", help="custom endpoint, e.g. http://127.0.0.1:5000 for a local moto server")


def _add_producer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--aggregate-bytes",
        type=int,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help=f"aggregate size cap in bytes, 5120-{MAX_RECORD_BYTES} (default: %(default)s)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=10, metavar="N", help="calls per batch (default: %(default)s)"
    )
    parser.add_argument(
        "--max-retry-seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="time budget per batch for retries (default: %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``firehose-s3`` argument parser."""
    parser = _Parser(
        prog=PROG,
        description="Send JSON lines to an Amazon Data Firehose stream, verify delivery to S3, replay error records.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    put = commands.add_parser(
        "put",
        help="send JSON lines from a file or stdin",
        description="Send JSON lines (one record per line) through the batching, aggregating producer. "
        "Blank lines are ignored; a line that is not valid JSON is reported with its line number and "
        "skipped (with --strict, every line is checked first and nothing is sent if any is invalid).",
    )
    put.add_argument("--stream", required=True, help="delivery stream name")
    put.add_argument("file", nargs="?", default="-", metavar="FILE", help="input file, or - for stdin (default)")
    put.add_argument("--strict", action="store_true", help="check every line first; exit 2 and send nothing on error")
    put.add_argument("--no-aggregate", action="store_true", help="one Firehose record per line (costs more)")
    put.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")
    put.add_argument("--failed-output", metavar="FILE", help="write records that could not be delivered here")
    _add_producer_options(put)
    _add_aws_options(put)
    put.set_defaults(handler=cmd_put)

    verify = commands.add_parser(
        "verify",
        help="wait until records arrive in S3 and count them",
        description="Poll S3 until at least --expect records (default: 1) arrived under --prefix, counting "
        "newline-delimited lines after decompression (.gz, .zip, .snappy, .hsnappy) and Parquet/ORC rows. "
        "Objects in Firehose error folders (processing-failed, format-conversion-failed, "
        "activePartitionExceeded, ...) or under --error-prefix are reported separately. Exit 0 only when "
        "the expected records arrived and no error or unreadable object was found.",
    )
    verify.add_argument("--bucket", required=True, help="destination bucket")
    verify.add_argument("--prefix", default="", help="key prefix of the data objects (default: whole bucket)")
    verify.add_argument("--since", help="only objects modified since: ISO-8601 time or an age like 15m, 2h, 1d")
    verify.add_argument("--expect", type=int, metavar="N", help="records expected (default: at least 1)")
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
    _add_aws_options(verify)
    verify.set_defaults(handler=cmd_verify)

    replay = commands.add_parser(
        "replay",
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
    _add_producer_options(replay)
    _add_aws_options(replay)
    replay.set_defaults(handler=cmd_replay)
    simulator_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``firehose-s3`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    stream = getattr(args, "stream", None)
    bucket = getattr(args, "bucket", None)
    try:
        return int(args.handler(args))
    except CliError as exc:
        message, code = str(exc), exc.exit_code
    except ProfileNotFound:
        message, code = f"AWS profile {args.profile!r} not found", EXIT_FAILED
    except NoRegionError:
        message, code = "no AWS region configured: pass --region or set AWS_REGION", EXIT_FAILED
    except (NoCredentialsError, PartialCredentialsError):
        message = "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile)"
        code = EXIT_FAILED
    except ClientError as exc:
        message, code = _client_error_message(exc, stream=stream, bucket=bucket), EXIT_FAILED
    except BotoCoreError as exc:
        message, code = str(exc), EXIT_FAILED
    except ValueError as exc:  # e.g. an out-of-range producer option
        message, code = str(exc), EXIT_USAGE
    except KeyboardInterrupt:
        message, code = "interrupted", EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get("FIREHOSE_S3_DEBUG"):
            raise
        message, code = f"unexpected {type(exc).__name__}: {exc}", EXIT_FAILED
    sys.stdout.flush()
    sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())

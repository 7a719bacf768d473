"""``firehose-s3 put``: JSON lines from a file or stdin to a Firehose stream, every input record accounted for.

Each record read (a non-blank line) ends in exactly one place: **sent** (the service acknowledged it),
**skipped** (reported on stderr with its line number and why), or, if it was not delivered, **failed** (a call
carried it and it was not acknowledged) or **not attempted** (never sent) - and those two are written to
``--failed-output`` when it is given, so running ``put`` on that file resumes exactly. Sending stops at the
first record that cannot be delivered (retries ran out, or a permanent error such as a missing stream or
denied access) and at Ctrl-C/SIGTERM: the calls in progress finish, then the rest of a regular input file is
still read and checked (so every record is listed) but not sent. A second Ctrl-C stops at once: a call in
progress is abandoned, its records are listed as failed (they may have been written), and the rest of the
input is left unread (the line to resume from is printed).

The last line on stdout is ``summary: read N, sent N, skipped N, failed N, not attempted N``.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from firehose_s3_client.cli_common import (
    add_aws_options,
    add_producer_options,
    exit_status_epilog,
    failure_message,
    make_producer,
)
from firehose_s3_client.console import Progress, count, print_rows
from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG, CliError
from firehose_s3_client.failures import FailedRecord, ProducerClosedError
from firehose_s3_client.input_lines import (
    InputLine,
    check_record,
    is_blank,
    number_lines,
    open_input,
    sniff_binary,
)
from firehose_s3_client.interrupts import StopSignals, exit_status_of
from firehose_s3_client.manifest import Manifest, record_digest
from firehose_s3_client.producer import FirehoseProducer
from firehose_transform.contract import MAX_RECORD_BYTES
from firehose_transform.documents import JSON_WHITESPACE, line_acceptor

__all__ = ["add_command", "cmd_put"]

Lines = Iterator[tuple[int, bytes] | None]


class FailedOutput:
    """Undelivered records: written to ``--failed-output`` (if given) and counted. Thread-safe.

    It is the producer's ``on_failure`` callback (called from the sending thread) and also takes the records the
    command itself did not send.
    """

    def __init__(self, stream: IO[bytes] | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.failed = 0
        self.not_attempted = 0
        self.codes: Counter[str] = Counter()
        #: The first failure: why sending stopped.
        self.first: FailedRecord | None = None
        #: The smallest input line number among the undelivered records.
        self.first_line: int | None = None
        #: Why writing to --failed-output failed (from then on records are only counted).
        self.write_error: OSError | None = None

    @property
    def count(self) -> int:
        return self.failed + self.not_attempted

    @property
    def any(self) -> bool:
        """Whether any record was not delivered (read without the lock: a hint for the reading loop)."""
        return self.first_line is not None or self.failed + self.not_attempted > 0

    def __call__(self, failures: list[FailedRecord]) -> None:
        with self._lock:
            for failure in failures:
                self._write(failure.data, getattr(failure.record, "line_number", None))
                self.codes[failure.error_code] += 1
                if failure.attempted:
                    self.failed += 1
                else:
                    self.not_attempted += 1
            if self.first is None and failures:
                self.first = next((f for f in failures if f.attempted), failures[0])

    def flush(self) -> None:
        if self._stream is not None and self.write_error is None:
            try:
                self._stream.flush()
            except OSError as exc:
                self.write_error = exc

    def close(self) -> None:
        """Close the file; a failure already reported (a write or flush that failed) is not raised again."""
        if self._stream is None:
            return
        try:
            self._stream.close()
        except OSError as exc:
            if self.write_error is None:
                raise CliError(f"cannot write the --failed-output file: {exc.strerror or exc}") from None

    def not_sent(self, line_number: int, data: bytes) -> None:
        """A record the command read but did not hand to the producer."""
        with self._lock:
            self._write(data, line_number)
            self.not_attempted += 1

    def _write(self, data: bytes, line_number: int | None) -> None:
        if self._stream is not None and self.write_error is None:
            try:
                self._stream.write(data)
            except OSError as exc:  # disk full...: keep counting, say so at the end
                self.write_error = exc
        if line_number is not None and (self.first_line is None or line_number < self.first_line):
            self.first_line = line_number


@dataclass
class Tally:
    """What was read, by line."""

    read: int = 0
    skipped: int = 0
    last_line: int = 0
    payload: int = 0
    blank_lines: list[int] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)
    #: Set when the input was not read to its end: the last line read.
    unread_after: int | None = None

    def valid_before(self, line: int) -> int:
        """Records accepted on lines before ``line``."""
        blank = sum(1 for n in self.blank_lines if n < line)
        skipped = sum(1 for n in self.skipped_lines if n < line)
        return line - 1 - blank - skipped


class PutRun:
    """One ``put``: reads, checks, sends, stops when it must, accounts for everything."""

    def __init__(
        self, args: argparse.Namespace, source: IO[bytes], name: str, failed: FailedOutput, manifest: Manifest | None
    ) -> None:
        self.args = args
        self.source = source
        self.name = name
        self.failed = failed
        self.manifest = manifest
        self.raw: bool = args.raw
        self.tally = Tally()
        self.signal: int | None = None
        self.stop_now = False
        self.producer: FirehoseProducer = make_producer(args, on_failure=failed, aggregate=not args.no_aggregate)
        self.progress = Progress(sys.stderr, enabled=not args.no_progress and sys.stderr.isatty())

    @property
    def stopping(self) -> bool:
        return self.signal is not None or self.failed.count > 0

    def _on_signal(self, signum: int) -> None:
        self.signal = signum
        self.producer.request_stop()

    def _on_signal_again(self, signum: int) -> None:
        del signum
        self.stop_now = True
        self.producer.request_stop(at_once=True)

    def run(self) -> int:
        lines = number_lines(self.source, self.name)
        error: CliError | None = None
        with StopSignals(
            on_stop=self._on_signal,
            on_stop_now=self._on_signal_again,
            may_raise=lambda: self.producer.main_thread_in_call,
        ):
            try:
                self._send(lines)
            except KeyboardInterrupt:  # a second Ctrl-C during a call: its records are back in the producer
                self.stop_now = True
            except CliError as exc:  # unreadable input: what was read is still accounted for below
                error = exc
            finally:
                self.progress.done()
                self.producer.request_stop(at_once=self.stop_now)
                self.failed(self.producer.abort(timeout=0 if self.stop_now else None))
            if error is None and self.stopping:
                if not self.stop_now and self._can_read_the_rest():
                    self._account_for_the_rest(lines)
                else:
                    self.tally.unread_after = self.tally.last_line
        return self._finish(error)

    def _can_read_the_rest(self) -> bool:
        """Whether to read the input to its end after a stop: a regular file ends; a pipe surely does only
        after Ctrl-C (which the shell also sends to the command writing into it); a terminal never does."""
        try:
            mode = os.fstat(self.source.fileno()).st_mode
        except (OSError, ValueError, AttributeError):  # no descriptor: an in-memory stream, which ends
            return True
        if stat.S_ISREG(mode):
            return True
        return not self.source.isatty() and self.signal is not None

    def _first_record(self, body: bytes) -> None:
        if not self.raw and (why := sniff_binary(body)):
            raise CliError(f"{self.name}: {why}; nothing was sent", EXIT_USAGE)

    def _skip(self, number: int, body: bytes) -> None:
        rejection = check_record(body, raw=self.raw)
        explanation = rejection.explanation if rejection is not None else "refused"
        self.tally.skipped += 1
        self.tally.skipped_lines.append(number)
        sys.stderr.write(f"{PROG}: {self.name}: line {number}: {explanation}; skipped\n")

    def _accept(self, number: int, body: bytes) -> bool:
        """Count a non-blank line; report it and return False when it cannot be sent."""
        if not self.tally.read:
            self._first_record(body)
        self.tally.read += 1
        if check_record(body, raw=self.raw) is not None:
            self._skip(number, body)
            return False
        if self.manifest is not None:
            self.manifest.add(number, record_digest(body))
        return True

    def _send(self, lines: Lines) -> None:
        """The hot loop: the rules of :meth:`_accept`, inlined (a fast verdict; the explanation only on refusal)."""
        tally, failed, manifest = self.tally, self.failed, self.manifest
        put = self.producer.put
        accepts = (lambda body: True) if self.raw else line_acceptor()
        longest = MAX_RECORD_BYTES - 1  # the newline is added
        progress = self.progress if self.progress.enabled else None
        for item in lines:
            if item is None:  # no input for a while
                if self.stopping:
                    return
                continue
            number, body = item
            tally.last_line = number
            if not body.strip(JSON_WHITESPACE):
                tally.blank_lines.append(number)
                continue
            if not tally.read:
                self._first_record(body)
            tally.read += 1
            if len(body) > longest or not accepts(body):
                self._skip(number, body)
                continue
            if manifest is not None:
                manifest.add(number, record_digest(body))
            record = InputLine(body + b"\n")
            record.line_number = number
            try:
                put(record)
            except ProducerClosedError:  # a stop request came between the check and the put
                failed.not_sent(number, record)
            if progress is not None:
                tally.payload += len(record)
                progress.update(tally.read - tally.skipped, tally.payload)
            if failed.any or self.signal is not None:
                return
        self.producer.flush()
        if progress is not None:
            progress.update(tally.read - tally.skipped, tally.payload, force=True)

    def _account_for_the_rest(self, lines: Lines) -> None:
        """After a stop: read and check the rest of the input, listing its records as not attempted."""
        tally = self.tally
        signal_before = self.signal
        for item in lines:
            if item is not None:
                number, body = item
                tally.last_line = number
                if is_blank(body):
                    tally.blank_lines.append(number)
                elif self._accept(number, body):
                    self.failed.not_sent(number, body + b"\n")
            if self.stop_now or self.signal != signal_before:  # Ctrl-C while reading the rest: stop reading
                break
        else:
            return
        tally.unread_after = tally.last_line

    # ------------------------------------------------------------------ the report

    def _finish(self, error: CliError | None) -> int:
        self.failed.flush()
        stats = self.producer.stats
        tally, failed = self.tally, self.failed
        rows: list[tuple[str, object]] = [
            ("input", self.name),
            ("blank lines", len(tally.blank_lines)),
            ("firehose records", stats.firehose_records),
            ("api calls", stats.api_calls),
            ("retries", stats.retries),
            ("payload bytes", stats.payload_bytes),
            ("billed bytes", f"{stats.billed_bytes} ({stats.billed_ratio:.3f}x payload)"),
        ]
        if failed.codes:
            rows.append(("error codes", ", ".join(f"{c} x{n}" for c, n in sorted(failed.codes.items()))))
        print_rows(rows, sys.stdout)
        summary = (
            f"summary: read {tally.read}, sent {stats.records_delivered}, skipped {tally.skipped}, "
            f"failed {failed.failed}, not attempted {failed.not_attempted}"
        )
        if tally.unread_after is not None:
            summary += f"; input not read after line {tally.unread_after}"
        sys.stdout.write(summary + "\n")
        sys.stdout.flush()
        accounted = stats.records_delivered + tally.skipped + failed.count
        if accounted != tally.read:  # every path above keeps this; say so loudly if a bug broke it
            raise CliError(f"internal error: {tally.read} records read but {accounted} accounted for")
        if error is not None:
            raise error
        if self.signal is None and not self.stopping:
            if tally.read == tally.skipped:
                why = f"{count(tally.skipped, 'line')} skipped" if tally.skipped else "it has no record"
                raise CliError(f"no valid record in {self.name} ({why})", EXIT_USAGE)
            return EXIT_OK
        sys.stderr.write(f"{PROG}: error: {self._stop_message(stats.records_delivered)}\n")
        return exit_status_of(self.signal) if self.signal is not None else EXIT_FAILED

    def _stop_message(self, sent: int) -> str:
        failed, tally = self.failed, self.tally
        if self.signal is not None:
            reason = "interrupted" if self.signal == signal.SIGINT else "terminated"
        elif failed.first is not None:
            reason = failure_message(failed.first, self.args.stream)
        else:
            reason = "stopped"
        unread = tally.unread_after
        if failed.count == 0 and unread is None:
            return f"{reason}; all {count(tally.read - tally.skipped, 'record')} read were delivered"
        parts = [reason]
        listed = bool(self.args.failed_output) and failed.write_error is None
        if failed.count:
            where = f" are in {self.args.failed_output}" if listed else ""
            parts.append(
                f"{count(failed.count, 'record')} not delivered "
                f"({failed.failed:,} failed, {failed.not_attempted:,} not attempted){where}"
            )
        if unread is not None:
            parts.append(f"the input was not read after line {unread}")
        if failed.write_error is not None:
            why = failed.write_error.strerror or failed.write_error
            parts.append(f"writing {self.args.failed_output} failed ({why}): it does not hold them all")
        rest = self._where((unread or 0) + 1)
        if listed:
            resume = f"resume with: {PROG} put --stream {self.args.stream} {self.args.failed_output}"
            parts.append(resume + (f", then the rest of the input{rest}" if unread is not None else ""))
        else:
            candidates = [n for n in (failed.first_line, None if unread is None else unread + 1) if n is not None]
            first = min(candidates)
            again = sent - tally.valid_before(first)
            resend = f", which sends again the {count(again, 'delivered record')} after it" if again > 0 else ""
            advice = "" if self.args.failed_output else "; --failed-output FILE lists exactly the undelivered records"
            parts.append(f"resume from line {first}{self._where(first)}{resend}{advice}")
        return "; ".join(parts)

    def _where(self, line: int) -> str:
        """How to read the input from ``line`` on: a ``tail`` command, or (stdin) only the line number."""
        return f" (tail -n +{line} {self.name})" if self.args.file != "-" else f" (line {line} of the input)"


def _strict_prepass(source: IO[bytes], name: str, *, raw: bool) -> IO[bytes]:
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
    problems = []
    for item in number_lines(source, name):
        if item is not None and not is_blank(item[1]) and (rejection := check_record(item[1], raw=raw)):
            problems.append((item[0], rejection.explanation))
    if problems:
        for number, why in problems[:20]:
            sys.stderr.write(f"{PROG}: {name}: line {number}: {why}\n")
        more = " (first 20 shown)" if len(problems) > 20 else ""
        raise CliError(f"--strict: {count(len(problems), 'invalid line')}{more}; nothing was sent", EXIT_USAGE)
    source.seek(0)
    return source


def _refuse_the_input(path: str, what: str, source_path: str) -> None:
    if source_path != "-" and os.path.exists(path) and os.path.samefile(path, source_path):
        raise CliError(f"{what} {path!r} is the input file: it would be overwritten", EXIT_USAGE)


def _open_output(path: str, what: str, source_path: str) -> IO[bytes]:
    _refuse_the_input(path, what, source_path)
    try:
        return open(path, "wb")  # closed by the command
    except OSError as exc:
        raise CliError(f"cannot write {path!r}: {exc.strerror or exc}", EXIT_USAGE) from None


def cmd_put(args: argparse.Namespace) -> int:
    """``put``: JSON lines from a file or stdin through the producer."""
    name = "<stdin>" if args.file == "-" else args.file
    if args.manifest:
        _refuse_the_input(args.manifest, "--manifest", args.file)
    with ExitStack() as stack:
        source = open_input(args.file)
        if source is not sys.stdin.buffer:
            stack.callback(source.close)
        if args.strict:
            source = _strict_prepass(source, name, raw=args.raw)
        output = _open_output(args.failed_output, "--failed-output", args.file) if args.failed_output else None
        failed = FailedOutput(output)
        stack.callback(failed.close)
        manifest = Manifest(name, args.stream) if args.manifest else None
        run = PutRun(args, source, name, failed, manifest)
        try:
            return run.run()
        finally:
            if manifest is not None:
                manifest.write(args.manifest)
    raise AssertionError("unreachable")  # pragma: no cover


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``put`` to the ``firehose-s3`` subparsers."""
    put = commands.add_parser(
        "put",
        epilog=exit_status_epilog(),
        help="send JSON lines from a file or stdin",
        description="Send JSON lines (one record per line) through the batching, aggregating producer. Blank "
        "lines are ignored. A line the transform would reject (not UTF-8, a byte-order mark, not one JSON object, "
        "NaN/Infinity, a lone surrogate, an integer out of range, nested too deeply) or too large for Firehose is "
        "reported with its line number and skipped (--raw: lines are sent unchecked). Sending stops at the first "
        "record that cannot be delivered and at Ctrl-C; every record read is then sent, skipped, or listed in "
        "--failed-output. The last line on stdout is the summary: read, sent, skipped, failed, not attempted.",
    )
    put.add_argument("--stream", required=True, help="delivery stream name")
    put.add_argument("file", nargs="?", default="-", metavar="FILE", help="input file, or - for stdin (default)")
    put.add_argument(
        "--failed-output",
        metavar="FILE",
        help="write every record not delivered here (JSON lines: run put on it to resume exactly)",
    )
    put.add_argument(
        "--manifest", metavar="FILE", help="write the count and a content digest of every accepted record (for verify)"
    )
    put.add_argument("--raw", action="store_true", help="send lines unchecked (streams that carry other data)")
    put.add_argument("--strict", action="store_true", help="check every line first; exit 2 and send nothing on error")
    put.add_argument("--no-aggregate", action="store_true", help="one Firehose record per line (costs more)")
    put.add_argument("--no-progress", action="store_true", help="no progress line on a terminal")
    add_producer_options(put)
    add_aws_options(put)
    put.set_defaults(handler=cmd_put)

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
from collections.abc import Iterator
from contextlib import ExitStack
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
from firehose_s3_client.failures import ProducerClosedError
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
from firehose_s3_client.put_ledger import FailedOutput, Tally, stop_message, summary_line
from firehose_transform.contract import MAX_RECORD_BYTES
from firehose_transform.documents import JSON_WHITESPACE, line_acceptor

__all__ = ["add_command", "cmd_put"]

Lines = Iterator[tuple[int, bytes] | None]


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
        summary = summary_line(tally, sent=stats.records_delivered, failed=failed)
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
        if self.signal is not None:
            reason = "interrupted" if self.signal == signal.SIGINT else "terminated"
        elif self.failed.first is not None:
            reason = failure_message(self.failed.first, self.args.stream)
        else:
            reason = "stopped"
        return stop_message(
            reason,
            tally=self.tally,
            failed=self.failed,
            sent=sent,
            failed_output=self.args.failed_output,
            stream=self.args.stream,
            input_name=None if self.args.file == "-" else self.name,
        )


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
        folder = os.path.dirname(os.path.abspath(args.manifest))
        if not os.access(folder, os.W_OK):  # fail before sending anything, not after
            raise CliError(
                f"cannot write the manifest {args.manifest!r}: {folder} is not a writable folder", EXIT_USAGE
            )
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

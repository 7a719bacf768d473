"""What ``put`` did with each record it read, and how it says so: the undelivered records, the tally, the messages.

A record read ends sent (counted by the producer), skipped (:class:`Tally`), or not delivered
(:class:`FailedOutput`: failed or not attempted, written to ``--failed-output`` when given).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import IO

from firehose_s3_client.console import count
from firehose_s3_client.errors import PROG, CliError
from firehose_s3_client.failures import FailedRecord

__all__ = ["FailedOutput", "Tally", "stop_message", "summary_line"]


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


def summary_line(tally: Tally, *, sent: int, failed: FailedOutput) -> str:
    """``summary: read N, sent N, skipped N, failed N, not attempted N`` (and where reading stopped)."""
    line = (
        f"summary: read {tally.read}, sent {sent}, skipped {tally.skipped}, "
        f"failed {failed.failed}, not attempted {failed.not_attempted}"
    )
    if tally.unread_after is not None:
        line += f"; input not read after line {tally.unread_after}"
    return line


def stop_message(
    reason: str,
    *,
    tally: Tally,
    failed: FailedOutput,
    sent: int,
    failed_output: str | None,
    stream: str,
    input_name: str | None,
) -> str:
    """The one error line of a stopped ``put``: why, what was not delivered, and how to resume.

    ``input_name`` is None for stdin (which cannot be re-read from a line number by a command we could print).
    """
    unread = tally.unread_after
    if failed.count == 0 and unread is None:
        return f"{reason}; all {count(tally.read - tally.skipped, 'record')} read were delivered"

    def where(line: int) -> str:
        return f" (tail -n +{line} {input_name})" if input_name is not None else f" (line {line} of the input)"

    parts = [reason]
    listed = bool(failed_output) and failed.write_error is None
    if failed.count:
        parts.append(
            f"{count(failed.count, 'record')} not delivered "
            f"({failed.failed:,} failed, {failed.not_attempted:,} not attempted)"
            + (f" are in {failed_output}" if listed else "")
        )
    if unread is not None:
        parts.append(f"the input was not read after line {unread}")
    if failed.write_error is not None:
        why = failed.write_error.strerror or failed.write_error
        parts.append(f"writing {failed_output} failed ({why}): it does not hold them all")
    if listed:
        resume = f"resume with: {PROG} put --stream {stream} {failed_output}"
        parts.append(resume + (f", then the rest of the input{where(unread + 1)}" if unread is not None else ""))
    else:
        first = min(n for n in (failed.first_line, None if unread is None else unread + 1) if n is not None)
        again = sent - tally.valid_before(first)
        resend = f", which sends again the {count(again, 'delivered record')} after it" if again > 0 else ""
        advice = "" if failed_output else "; --failed-output FILE lists exactly the undelivered records"
        parts.append(f"resume from line {first}{where(first)}{resend}{advice}")
    return "; ".join(parts)

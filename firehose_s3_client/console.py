"""What the ``firehose-s3`` commands print: counted nouns, one-line messages, summary rows, a progress line."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import IO

from firehose_s3_client.errors import PROG

__all__ = ["Progress", "count", "one_line", "print_rows", "warn"]


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``"1 line"``, ``"2 lines"``, ``"1,234 records"`` (``plural`` for irregular nouns)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) turned into one space."""
    return " ".join(str(text).split())


def warn(message: str) -> None:
    """One line on stderr, prefixed with the program name."""
    sys.stderr.write(f"{PROG}: {one_line(message)}\n")


def print_rows(rows: Sequence[tuple[str, object]], out: IO[str]) -> None:
    """``name: value`` rows, values aligned."""
    width = max(len(name) for name, _ in rows) + 1
    for name, value in rows:
        out.write(f"{name + ':':<{width}} {value}\n")
    out.flush()


class Progress:
    """A one-line progress display (records, MB, MB/s) on a terminal; silent otherwise.

    Args:
        stream: where to write (stderr).
        enabled: whether to display anything.
        noun: what is counted. Default "records".
        interval: seconds between redraws. Default 0.2.
    """

    def __init__(self, stream: IO[str], *, enabled: bool, noun: str = "records", interval: float = 0.2) -> None:
        self._stream = stream
        self.enabled = enabled
        self._noun = noun
        self._interval = interval
        self._start = time.monotonic()
        self._last = 0.0
        self._shown = False

    def update(self, done: int, payload_bytes: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        elapsed = max(now - self._start, 1e-9)
        megabytes = payload_bytes / 1e6
        self._stream.write(f"\r{done:,} {self._noun}  {megabytes:,.1f} MB  {megabytes / elapsed:,.2f} MB/s   ")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        """End the progress line (so the next output starts on a fresh line)."""
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False

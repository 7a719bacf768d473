"""Reading ``put``'s input: numbered lines from a file or stdin, and the rules a line must pass to be sent.

A **record** is a non-blank line (blank: nothing but spaces, tabs and CRs, see
:func:`firehose_transform.documents.is_blank`). The line ending (``\\n`` or ``\\r\\n``) is removed and
``\\n`` is put back when the record is sent. In JSON mode a record must pass
:func:`firehose_transform.documents.check_line` (exactly what the transform accepts) and, in every mode, fit in
one Firehose record with its newline.

Regular files are read in the calling thread. Pipes and terminals are read by a background thread, so the
command can notice a stop request (Ctrl-C) while no input arrives: the iterator then yields ``None`` every
:data:`TICK_SECONDS`.
"""

from __future__ import annotations

import os
import queue
import stat
import sys
import threading
from collections.abc import Iterator
from typing import IO

from firehose_s3_client.errors import EXIT_USAGE, CliError
from firehose_transform.contract import MAX_RECORD_BYTES
from firehose_transform.documents import Rejection, check_line, is_blank

__all__ = ["TICK_SECONDS", "InputLine", "check_record", "is_blank", "number_lines", "open_input", "sniff_binary"]

#: How often a pipe reader reports "nothing yet" (so a stop request is noticed while input is idle).
TICK_SECONDS = 0.1
_CHUNK_BYTES = 1 << 20


class InputLine(bytes):
    """A newline-terminated record as sent, remembering its line number in the input (``line_number``)."""

    line_number: int


def open_input(path: str) -> IO[bytes]:
    """The binary stream of ``path`` (``-`` is stdin); an unreadable path is a usage error."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CliError(f"cannot read {path!r}: {exc.strerror or exc}", EXIT_USAGE) from None


def check_record(body: bytes, *, raw: bool) -> Rejection | None:
    """Why the non-blank line ``body`` (without its line ending) cannot be sent, or None."""
    if len(body) + 1 > MAX_RECORD_BYTES:
        return Rejection(
            "too_large",
            f"{len(body) + 1:,} bytes with its newline, over the {MAX_RECORD_BYTES:,}-byte Firehose record limit",
        )
    return None if raw else check_line(body)


def sniff_binary(first_line: bytes) -> str | None:
    """Why input starting with ``first_line`` is not text at all (NUL bytes: a binary file or UTF-16), or None."""
    if first_line.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first_line[:4096]:
        return "it is not UTF-8 text (NUL bytes: a binary file, or UTF-16 text)"
    return None


def _strip_ending(line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]
    return line


def _is_regular(stream: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test double): read it directly
        return True


def number_lines(stream: IO[bytes], name: str) -> Iterator[tuple[int, bytes] | None]:
    """``(line number, line without its ending)`` for every line, blank ones included; None for an idle tick.

    The iterator can be abandoned and resumed: the next line follows the last one yielded.

    Raises:
        CliError: reading failed (exit status 2).
    """
    if _is_regular(stream):
        return _read_directly(stream, name)
    return _read_in_thread(stream, name)


def _read_directly(stream: IO[bytes], name: str) -> Iterator[tuple[int, bytes] | None]:
    number = 0
    try:
        for line in stream:
            number += 1
            yield number, _strip_ending(line)
    except OSError as exc:
        raise CliError(f"cannot read {name!r}: {exc.strerror or exc}", EXIT_USAGE) from None


def _bodies(lines: list[bytes]) -> list[bytes]:
    """Lines split on ``\n`` (without it) to bodies: one ``\r`` before the ``\n`` is part of the ending."""
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _read_in_thread(stream: IO[bytes], name: str) -> Iterator[tuple[int, bytes] | None]:
    chunks: queue.Queue[list[bytes] | OSError | None] = queue.Queue(maxsize=8)
    # read1 returns what is available (up to the size) without waiting for more: a slow pipe's lines are
    # handed over as they come, not once a megabyte has accumulated.
    read1 = getattr(stream, "read1", stream.read)

    def read() -> None:
        partial = b""
        try:
            while chunk := read1(_CHUNK_BYTES):
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                if lines:
                    chunks.put(_bodies(lines))
            if partial:
                chunks.put([partial])  # the last line had no newline: nothing to remove
        except OSError as exc:
            chunks.put(exc)
        chunks.put(None)

    threading.Thread(target=read, name=f"read-{name}", daemon=True).start()
    number = 0
    while True:
        try:
            chunk = chunks.get(timeout=TICK_SECONDS)
        except queue.Empty:
            yield None
            continue
        if chunk is None:
            return
        if isinstance(chunk, OSError):
            raise CliError(f"cannot read {name!r}: {chunk.strerror or chunk}", EXIT_USAGE)
        for body in chunk:
            number += 1
            yield number, body

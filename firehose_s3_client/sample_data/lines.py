"""Endless documents and newline-terminated lines of a sample kind, bad records mixed in on request."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from firehose_s3_client.sample_data.iot import iot_documents
from firehose_s3_client.sample_data.records import BAD_KINDS, IOT, KINDS, START_MS, WEBLOG, Document, encode_line
from firehose_s3_client.sample_data.weblog import weblog_documents

_DOCUMENTS: Final[dict[str, Callable[..., Iterator[Document]]]] = {WEBLOG: weblog_documents, IOT: iot_documents}


def documents(kind: str, seed: int = 0, *, start_ms: int = START_MS) -> Iterator[Document]:
    """Endless documents of ``kind`` (``weblog`` or ``iot``)."""
    try:
        generate = _DOCUMENTS[kind]
    except KeyError:
        raise ValueError(f"unknown sample kind {kind!r}: expected one of {', '.join(KINDS)}") from None
    return generate(seed, start_ms=start_ms)


_RAW_LOG_LINE: Final = (
    b'203.0.113.9 - - [26/Nov/2025:09:20:00 +0000] "GET /search?q=c%2B%2B+primer HTTP/1.1" 200 5120 "-" "curl/8.5.0"\n'
)


def bad_line(kind: str, good: bytes) -> bytes:
    """A bad record of ``kind`` (a key of :data:`BAD_KINDS`) derived from the good JSON line ``good``."""
    body = good.rstrip(b"\n")
    if kind == "invalid_json":
        return body.replace(b'":', b'"=', 1) + b"\n"
    if kind == "truncated_json":
        return body[: len(body) // 2] + b"\n"
    if kind == "nan":
        return b'{"value":NaN,' + body[1:] + b"\n"
    if kind == "json_array":
        return b"[" + body + b"]\n"
    if kind == "invalid_utf8":
        return body.replace(b'":"', b'":"\xff\xfe', 1) + b"\n"
    if kind == "big_integer":
        return b'{"id":18446744073709551616,' + body[1:] + b"\n"
    if kind == "lone_surrogate":
        return b'{"note":"\\ud800",' + body[1:] + b"\n"
    if kind == "not_json":
        return _RAW_LOG_LINE
    if kind == "blank":
        return b"\n"
    raise ValueError(f"unknown bad record kind {kind!r}: expected one of {', '.join(BAD_KINDS)}")


def labelled_lines(
    kind: str,
    seed: int = 0,
    *,
    count: int | None = None,
    bad_share: float = 0.0,
    bad_kinds: Iterable[str] = tuple(BAD_KINDS),
    start_ms: int = START_MS,
) -> Iterator[tuple[str | None, bytes]]:
    """``(bad kind or None, line)`` pairs: ``count`` lines (default: endless) of ``kind``.

    Each line is replaced, with probability ``bad_share`` (default 0), by a bad record of one of
    ``bad_kinds`` (chosen evenly) derived from it. The good lines do not depend on ``bad_share``: the same
    seed gives the same stream with some lines replaced.
    """
    if not 0.0 <= bad_share <= 1.0:
        raise ValueError(f"bad_share must be between 0 and 1, got {bad_share}")
    kinds = tuple(bad_kinds)
    for name in kinds:
        if name not in BAD_KINDS:
            raise ValueError(f"unknown bad record kind {name!r}: expected one of {', '.join(BAD_KINDS)}")
    if bad_share and not kinds:
        raise ValueError("bad_share needs at least one bad record kind")
    chooser = random.Random(f"bad-records-{seed}")
    docs = documents(kind, seed, start_ms=start_ms)
    for doc in docs if count is None else itertools.islice(docs, count):
        line = encode_line(doc)
        if bad_share and chooser.random() < bad_share:
            bad = chooser.choice(kinds)
            yield bad, bad_line(bad, line)
        else:
            yield None, line


def lines(
    kind: str,
    seed: int = 0,
    *,
    count: int | None = None,
    bad_share: float = 0.0,
    bad_kinds: Iterable[str] = tuple(BAD_KINDS),
    start_ms: int = START_MS,
) -> Iterator[bytes]:
    """Newline-terminated JSON lines of ``kind`` (see :func:`labelled_lines` for the options)."""
    for _, line in labelled_lines(kind, seed, count=count, bad_share=bad_share, bad_kinds=bad_kinds, start_ms=start_ms):
        yield line

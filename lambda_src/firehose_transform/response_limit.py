"""Keeping a batch's response under the Lambda response limit.

The Lambda runtime rejects a response over 6,291,556 bytes, which fails the whole batch (see
``contract.LAMBDA_RESPONSE_LIMIT``). :func:`fit_response` computes the exact serialized size from the batch
counters (:func:`batch_response_size`) and, only when it is over :data:`~firehose_transform.protocol.RESPONSE_LIMIT`,
turns records ProcessingFailed from the end of the batch backwards until it fits.
"""

from __future__ import annotations

from operator import itemgetter

from firehose_transform.protocol import (
    RECORD_OVERHEAD,
    RECORD_SEPARATOR,
    RESPONSE_LIMIT,
    RESPONSE_OVERHEAD,
    RESULT_DROPPED,
    RESULT_FAILED,
    RESULT_OK,
    failed_size,
    record_size,
    string_size,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any, Final

    from firehose_transform.observability import BatchStats, StructuredLogger
    from firehose_transform.shapes import ResponseRecord

REASON_RESPONSE_LIMIT: Final = "response_size_limit"

_GET_ID: Final = itemgetter("recordId")
_GET_DATA: Final = itemgetter("data")


def decoded_length(data: str) -> int:
    """Length of the bytes a valid base64 string decodes to."""
    return len(data) // 4 * 3 - data[-2:].count("=")


def fit_response(
    out: list[ResponseRecord], records: Sequence[Any], stats: BatchStats, logger: StructuredLogger
) -> list[ResponseRecord]:
    """Keep the serialized response within :data:`RESPONSE_LIMIT` (edits ``out`` in place, and ``stats``).

    If the response is over the limit, Ok records are turned ProcessingFailed with their original ``data``,
    from the last record backwards, as long as that makes the response smaller, until it fits: the first
    records of the batch stay Ok, the overflowing ones go to the error prefix. This always fits for a
    Firehose event: its request (at most 6 MB) holds every original with more per-record overhead than a
    failed response record.

    Only for an event that is not from Firehose can even the originals be too big; then records are also
    returned ProcessingFailed with empty ``data``, again from the end (Firehose keeps the source record,
    and the error prefix gets the record Firehose holds), and an error is logged.
    """
    if not out:
        return out
    excess = batch_response_size(out, stats) - RESPONSE_LIMIT
    if excess > 0 and not stats.data_chars_exact:
        stats.data_chars = sum(map(len, map(_GET_DATA, out)))  # the fast path only kept a bound
        stats.data_chars_exact = True
        excess = batch_response_size(out, stats) - RESPONSE_LIMIT
    if excess <= 0:
        return out
    for index, source in zip(range(len(out) - 1, -1, -1), _answerable_from_end(records), strict=False):
        if excess <= 0:
            break
        current = out[index]
        if current["result"] == RESULT_OK:
            original = source["data"] if isinstance(source["data"], str) else ""
            saving = record_size(current) - failed_size(current["recordId"], original)
            if saving > 0:
                _demote(current, stats)
                out[index] = {"recordId": current["recordId"], "result": RESULT_FAILED, "data": original}
                excess -= saving
    if excess > 0:
        logger.error("even the original records exceed the response limit: some are returned without data")
        for index in range(len(out) - 1, -1, -1):
            if excess <= 0:
                break
            current = out[index]
            saving = record_size(current) - failed_size(current["recordId"], "")
            if saving > 0:
                if current["result"] != RESULT_FAILED:
                    _demote(current, stats)
                out[index] = {"recordId": current["recordId"], "result": RESULT_FAILED, "data": ""}
                excess -= saving
        if excess > 0:
            logger.error("the response exceeds the Lambda limit even without data", limit=RESPONSE_LIMIT)
    logger.warning(
        "response limit reached: records returned ProcessingFailed", records=stats.oversize, limit=RESPONSE_LIMIT
    )
    return out


def batch_response_size(out: list[ResponseRecord], stats: BatchStats) -> int:
    """Serialized size of ``{"records": out}`` (see ``protocol.response_size``), from the batch counters.

    ``stats.id_chars`` must hold :func:`ids_size` of ``out``'s ids (the engine and the fast path count it).
    """
    count = len(out)
    results = 4 * stats.ok + 9 * stats.dropped + 18 * stats.failed
    return (
        RESPONSE_OVERHEAD
        + RECORD_SEPARATOR * max(count - 1, 0)
        + RECORD_OVERHEAD * count
        + stats.id_chars
        + results
        + stats.data_chars
        + stats.escape_extra
        + stats.metadata_chars
    )


def ids_size(record_ids: list[str], joined: str | None = None) -> int:
    """Serialized size of the strings ``record_ids``, quotes included (``joined``: their concatenation, if known).

    Firehose record ids are digits: when every character is an ASCII letter or digit, no id needs an escape
    and one pass over the joined ids answers; otherwise each id is sized with its escapes.
    """
    ids = "".join(record_ids) if joined is None else joined
    if ids.isascii() and ids.encode("ascii").isalnum():
        return len(ids) + 2 * len(record_ids)
    return sum(map(string_size, record_ids))


def response_ids_size(out: list[ResponseRecord]) -> int:
    """:func:`ids_size` of the ids of the response records ``out``."""
    return ids_size(list(map(_GET_ID, out)))


def _demote(record: ResponseRecord, stats: BatchStats) -> None:
    """Move ``record``'s counts to ProcessingFailed for the response limit."""
    result = record["result"]
    if result == RESULT_OK:
        stats.ok -= 1
        stats.bytes_out -= decoded_length(record["data"])
    elif result == RESULT_DROPPED:
        stats.dropped -= 1
    else:
        stats.failed -= 1
    stats.failed += 1
    stats.oversize += 1
    stats.reasons[REASON_RESPONSE_LIMIT] += 1


def _answerable_from_end(records: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """The input records that have a response record (see ``Engine``), last first."""
    for record in reversed(records):
        if isinstance(record, dict) and isinstance(record.get("recordId"), str):
            yield record

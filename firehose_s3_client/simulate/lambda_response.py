"""What Firehose enforces on a transform Lambda's response (standard library only).

This module runs inside the isolated Lambda worker (loaded there by file path, so it must import nothing
but the standard library) and in the tests. Given the record IDs of the event and what the handler
returned, :func:`check_response` either accepts the batch, giving each event record its result and data in
event order, or raises:

* :class:`FunctionFailed` - the invocation failed (Lambda.FunctionError): the response is over the
  runtime's 6,291,556-byte limit or cannot be serialized. Firehose retries these ``NumberOfRetries`` times.
* :class:`ResponseRejected` - the response breaks the status model (DG data-transformation-status-model):
  ``Lambda.DuplicatedRecordId``, ``Lambda.MissingRecordId`` or ``Lambda.JsonProcessingException`` (messages
  from the DG CloudWatch Logs error table). Not retried: captured error records of these codes show
  ``attemptsMade: 1``.

Choices where AWS is silent (tested, documented in docs/simulate.md): a returned ID that was not in the
event, a missing/invalid ``result`` or a ``data`` that is not base64 (on any record, Dropped ones included:
every record must carry all three fields) reject the whole batch as ``Lambda.JsonProcessingException``;
partition-key values that are JSON numbers or booleans are taken as their JSON text, other non-string
values reject the batch.

Response size: the Python runtime serializes the returned object with ``json.dumps`` default separators
(``", "``, ``": "``), ASCII-escaped before Python 3.12. Computing that exactly costs a full ``json.dumps``;
:func:`serialized_size` first bounds it from a compact encoding (each ``:`` and ``,`` byte may gain a space,
each non-ASCII byte at most 5 more with ASCII escapes) and serializes exactly only near the limit.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

OK = "Ok"
DROPPED = "Dropped"
PROCESSING_FAILED = "ProcessingFailed"
RESULTS = (OK, DROPPED, PROCESSING_FAILED)
#: One byte per record in :class:`CheckedResponse.results`.
RESULT_CODES = {OK: "O", DROPPED: "D", PROCESSING_FAILED: "F"}

DUPLICATED = (
    "Lambda.DuplicatedRecordId",
    "Multiple records were returned with the same record ID. "
    "Ensure that the Lambda function returns unique record IDs for each record.",
)
MISSING = (
    "Lambda.MissingRecordId",
    "One or more record IDs were not returned. Ensure that the Lambda function returns all received record IDs.",
)
JSON_PROCESSING = (
    "Lambda.JsonProcessingException",
    "There was an error parsing returned records from the Lambda function. "
    "Ensure that the returned records follow the status model required by Amazon Data Firehose.",
)


class ResponseRejected(Exception):  # noqa: N818 (a verdict, named as one)
    """The response breaks the status model: the whole batch fails, not retried."""

    def __init__(self, reason: tuple[str, str], detail: str) -> None:
        super().__init__(detail)
        self.error_code, self.error_message = reason
        self.detail = detail


class FunctionFailed(Exception):  # noqa: N818 (a verdict, named as one)
    """The invocation itself failed (retried by Firehose)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class CheckedResponse:
    """An accepted response, in event order: one result code per record, the data of the Ok ones."""

    __slots__ = ("data", "partition_keys", "results", "size")

    def __init__(self, results: str, data: list[bytes], partition_keys: list[dict[str, str] | None] | None, size: int):
        #: "O", "D" or "F" per event record.
        self.results = results
        #: The decoded data of each Ok record, in order.
        self.data = data
        #: ``metadata.partitionKeys`` of each Ok record (None when no record had any).
        self.partition_keys = partition_keys
        #: The serialized response size (or an upper bound below the limit).
        self.size = size


def _strict_b64decode(text: str) -> bytes:
    return binascii.a2b_base64(text, strict_mode=True)


def serialized_size(
    response: Any, *, ensure_ascii: bool, limit: int, compact_dumps: Callable[[Any], bytes] | None = None
) -> int:
    """The size of ``response`` as the Lambda Python runtime posts it, exact or an upper bound <= ``limit``.

    Raises:
        FunctionFailed: it cannot be serialized (Runtime.MarshalError).
    """
    if compact_dumps is not None:
        try:
            compact = compact_dumps(response)
        except (TypeError, ValueError):
            compact = None
        if compact is not None:
            lower = len(compact)
            upper = lower + compact.count(b":") + compact.count(b",")
            if ensure_ascii:
                upper += 5 * (len(compact) - len(compact.decode("utf-8").encode("ascii", "ignore")))
            if upper <= limit:
                return upper
            if lower > limit:
                return lower
    try:
        return len(json.dumps(response, ensure_ascii=ensure_ascii).encode("utf-8"))
    except (TypeError, ValueError) as error:
        raise FunctionFailed("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


#: ``{"records": [...]}`` and one ``{"recordId": "", "result": "", "data": ""}`` with the runtime's separators.
_RESPONSE_OVERHEAD = len('{"records": []}')
_RECORD_OVERHEAD = len('{"recordId": "", "result": "", "data": ""}')
_SEPARATOR = len(", ")
_get_id = itemgetter("recordId")
_get_result = itemgetter("result")
_get_data = itemgetter("data")
_RESULT_SET = frozenset(RESULTS)


def _fast_check(
    record_ids: Sequence[str], response: Any, limit: int, decode: Callable[[str], bytes]
) -> CheckedResponse | None:
    """The common case in C-level passes: every record, in event order, with exactly the three fields and
    base64 data. None for anything else (the exact path then decides, with its messages)."""
    if type(response) is not dict or len(response) != 1:
        return None
    records = response.get("records")
    if type(records) is not list or len(records) != len(record_ids) or not records:
        return None
    if set(map(type, records)) != {dict} or set(map(len, records)) != {3}:
        return None
    try:
        ids = list(map(_get_id, records))
        results = list(map(_get_result, records))
        datas = list(map(_get_data, records))
    except KeyError:
        return None
    if ids != record_ids or not _RESULT_SET.issuperset(results) or set(map(type, datas)) != {str}:
        return None
    # Exact: IDs, results and (valid) base64 need no escapes, so the serialized size is the sum of lengths.
    size = (
        _RESPONSE_OVERHEAD
        + _SEPARATOR * (len(records) - 1)
        + _RECORD_OVERHEAD * len(records)
        + sum(map(len, ids))
        + sum(map(len, results))
        + sum(map(len, datas))
    )
    if size > limit:
        return None
    try:
        decoded = list(map(decode, datas))
    except (binascii.Error, ValueError):
        return None
    codes = "".join(map(RESULT_CODES.__getitem__, results))
    if codes.count("O") != len(codes):
        decoded = [data for data, code in zip(decoded, codes, strict=True) if code == "O"]
    return CheckedResponse(codes, decoded, None, size)


def check_response(
    record_ids: Sequence[str],
    response: Any,
    *,
    limit: int,
    ensure_ascii: bool,
    compact_dumps: Callable[[Any], bytes] | None = None,
    b64decode: Callable[[str], bytes] | None = None,
) -> CheckedResponse:
    """Check a handler's return value against the event's record IDs (see the module docstring)."""
    decode = b64decode or _strict_b64decode
    fast = _fast_check(record_ids, response, limit, decode)
    if fast is not None:
        return fast
    size = serialized_size(response, ensure_ascii=ensure_ascii, limit=limit, compact_dumps=compact_dumps)
    if size > limit:
        # The runtime API refuses it (HTTP 413 RequestEntityTooLarge): the invocation fails.
        raise FunctionFailed(
            "Function.ResponseSizeTooLarge",
            f"Response payload size ({size} bytes) exceeded maximum allowed payload size ({limit} bytes).",
        )
    records = response.get("records") if isinstance(response, dict) else None
    if not isinstance(records, list):
        raise ResponseRejected(JSON_PROCESSING, "the response is not an object with a records list")
    by_id: dict[str, tuple[str, bytes, dict[str, str] | None]] = {}
    any_keys = False
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise ResponseRejected(JSON_PROCESSING, f"records[{position}] is not an object")
        record_id = record.get("recordId")
        result = record.get("result")
        data = record.get("data")
        if not isinstance(record_id, str) or result not in RESULTS or not isinstance(data, str):
            raise ResponseRejected(JSON_PROCESSING, f"records[{position}] lacks a recordId, a valid result or data")
        if record_id in by_id:
            raise ResponseRejected(DUPLICATED, f"record ID {record_id!r} returned twice")
        try:
            decoded = decode(data)
        except (binascii.Error, ValueError):
            raise ResponseRejected(JSON_PROCESSING, f"records[{position}].data is not base64") from None
        keys = _partition_keys(record.get("metadata"), position)
        any_keys = any_keys or keys is not None
        by_id[record_id] = (RESULT_CODES[result], decoded, keys)
    if len(by_id) != len(record_ids) or not all(record_id in by_id for record_id in record_ids):
        missing = [record_id for record_id in record_ids if record_id not in by_id]
        if missing:
            raise ResponseRejected(MISSING, f"{len(missing)} record ID(s) not returned, the first {missing[0]!r}")
        raise ResponseRejected(JSON_PROCESSING, "the response holds record IDs that were not in the event")
    ordered = [by_id[record_id] for record_id in record_ids]
    results = "".join(code for code, _, _ in ordered)
    data_out = [decoded for code, decoded, _ in ordered if code == "O"]
    keys_out = [keys for code, _, keys in ordered if code == "O"] if any_keys else None
    return CheckedResponse(results, data_out, keys_out, size)


def _partition_keys(metadata: Any, position: int) -> dict[str, str] | None:
    if metadata is None:
        return None
    keys = metadata.get("partitionKeys") if isinstance(metadata, dict) else None
    if keys is None and isinstance(metadata, dict):
        return None
    if not isinstance(keys, dict):
        raise ResponseRejected(JSON_PROCESSING, f"records[{position}].metadata.partitionKeys is not an object")
    out: dict[str, str] = {}
    for key, value in keys.items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, bool | int | float):
            out[key] = json.dumps(value)
        else:
            raise ResponseRejected(JSON_PROCESSING, f"records[{position}] partition key {key!r} is not a string")
    return out

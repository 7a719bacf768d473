"""What the producer sends for one caller record, and what Firehose bills for it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from firehose_s3_client.failures import RecordTooLargeError
from firehose_transform.contract import BILLING_INCREMENT_BYTES, MAX_RECORD_BYTES

__all__ = ["DEAGGREGATION_MAX_SUB_RECORDS", "billed_bytes", "encode_record"]

#: ``RecordDeAggregation`` does not split a record of more than 500 sub-records (API_PutRecordBatch).
DEAGGREGATION_MAX_SUB_RECORDS = 500


def billed_bytes(record_size: int) -> int:
    """Bytes Firehose bills for one record of ``record_size`` bytes (rounded up to 5 KiB)."""
    return max(1, math.ceil(record_size / BILLING_INCREMENT_BYTES)) * BILLING_INCREMENT_BYTES


def encode_record(record: object, json_default: Callable[[Any], Any] | None = None) -> bytes:
    """The bytes the producer sends for ``record``: one newline-terminated line.

    ``bytes``/``bytearray``/``memoryview`` are sent as is and ``str`` as UTF-8; a ``Mapping`` becomes
    compact JSON (``separators=(",", ":")``, UTF-8, ``NaN``/``Infinity`` rejected). A ``"\\n"`` is
    appended unless the data already ends with one (it is never doubled). The size limit applies to
    the result, newline included, because that is what is sent.

    Raises:
        TypeError: another type.
        ValueError: an empty record, or a dict that JSON cannot encode.
        RecordTooLargeError: more than 1,024,000 bytes with the newline.
    """
    if isinstance(record, bytes):
        data = record
    elif isinstance(record, bytearray | memoryview):
        data = bytes(record)
    elif isinstance(record, str):
        data = record.encode("utf-8")
    elif isinstance(record, Mapping):
        data = json.dumps(
            record, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=json_default
        ).encode("utf-8")
    else:
        raise TypeError(f"a record must be bytes, str or dict, got {type(record).__name__}")
    if not data.endswith(b"\n"):
        data += b"\n"
    if len(data) == 1:
        raise ValueError("empty record: Firehose would store a blank line")
    if len(data) > MAX_RECORD_BYTES:
        raise RecordTooLargeError(len(data))
    return data

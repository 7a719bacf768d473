"""The producer's option defaults and ranges, checked once at construction."""

from __future__ import annotations

import re

from firehose_transform.contract import (
    BILLING_INCREMENT_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
    STREAM_NAME_PATTERN,
)

__all__ = ["DEFAULT_MAX_BUFFERED_SECONDS", "validate_options"]

#: Default ``max_buffered_seconds``. The KPL's ``RecordMaxBufferedTime`` defaults to 100 ms because Kinesis
#: consumers read in real time; Firehose itself buffers 60-900 s before writing to S3, so 5 s adds little
#: latency while letting slow trickles still fill aggregates (each partial aggregate is billed at least 5 KiB).
DEFAULT_MAX_BUFFERED_SECONDS = 5.0
_STREAM_NAME = re.compile(STREAM_NAME_PATTERN)


def validate_options(
    stream_name: str,
    *,
    aggregate_max_bytes: int,
    aggregate_max_records: int,
    max_batch_records: int,
    max_batch_bytes: int,
    max_buffer_bytes: int,
    max_buffer_records: int,
    max_buffered_seconds: float | None,
) -> None:
    """Raise ValueError, naming the option, for an out-of-range producer option."""
    if not _STREAM_NAME.fullmatch(stream_name):
        raise ValueError(f"stream_name must be 1-64 characters of [a-zA-Z0-9_.-], got {stream_name!r}")
    if not BILLING_INCREMENT_BYTES <= aggregate_max_bytes <= MAX_RECORD_BYTES:
        raise ValueError(
            f"aggregate_max_bytes must be between {BILLING_INCREMENT_BYTES} and "
            f"{MAX_RECORD_BYTES} bytes, got {aggregate_max_bytes}"
        )
    if aggregate_max_records < 1:
        raise ValueError(f"aggregate_max_records must be at least 1, got {aggregate_max_records}")
    if not 1 <= max_batch_records <= MAX_BATCH_RECORDS:
        raise ValueError(f"max_batch_records must be between 1 and {MAX_BATCH_RECORDS}, got {max_batch_records}")
    if not 1 <= max_batch_bytes <= MAX_BATCH_BYTES:
        raise ValueError(f"max_batch_bytes must be between 1 and {MAX_BATCH_BYTES} bytes, got {max_batch_bytes}")
    if max_buffer_bytes < 1:
        raise ValueError(f"max_buffer_bytes must be at least 1, got {max_buffer_bytes}")
    if max_buffer_records < 1:
        raise ValueError(f"max_buffer_records must be at least 1, got {max_buffer_records}")
    if max_buffered_seconds is not None and not max_buffered_seconds > 0:
        raise ValueError(f"max_buffered_seconds must be > 0 (or None), got {max_buffered_seconds}")

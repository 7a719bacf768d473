"""Partition keys for Firehose dynamic partitioning (``metadata.partitionKeys``).

Keys come from top-level fields (``PARTITION_KEY_FIELDS``; key name = field name) and, with
``EVENT_TIME_FIELD``, from the *event* time: ``year``, ``month``, ``day``, ``hour`` (UTC, zero-padded),
never from the arrival time, so late data lands in the partition of the hour it describes.

Accepted values:

* a partition field: a non-empty string, an integer, a finite float or a boolean (``true``/``false``);
* the event time: an ISO-8601 string (``datetime.fromisoformat``; without an offset it is taken as UTC),
  epoch seconds or epoch milliseconds as a number or a string of digits (magnitude >= 1e11 means
  milliseconds; 1e11 seconds is the year 5138).

A document whose partition field or event time is missing or invalid makes its record
``ProcessingFailed``: Firehose would otherwise deliver it under an error prefix with no usable keys,
and failing it keeps the original bytes in ``processing-failed/`` where they can be replayed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from firehose_transform.codec import InvalidDocumentError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, Final

    PartitionKeys = dict[str, str]
    Partitioner = Callable[[dict[str, Any]], PartitionKeys]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLIS_THRESHOLD: Final = 1e11
_NUMERIC: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


#: Failure reasons (the record is ProcessingFailed).
REASON_PARTITION_FIELD: Final = "partition_field_invalid"
REASON_EVENT_TIME: Final = "event_time_invalid"


def partition_value(value: Any) -> str | None:
    """The partition key text for a field value, or None when the value cannot be a partition key."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value - value == 0.0:  # finite
        return repr(value)
    return None


def event_time(value: Any) -> datetime:
    """The UTC datetime of an event-time value; raises ValueError when it is not one."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not a time")
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        value = float(value) if "." in value else int(value)
    if isinstance(value, int | float):
        if not value - value == 0:  # NaN or infinite
            raise ValueError("not a finite number")
        try:
            if abs(value) >= _MILLIS_THRESHOLD:
                if isinstance(value, int):
                    return _EPOCH + timedelta(milliseconds=value)
                return _EPOCH + timedelta(seconds=value / 1000)
            return _EPOCH + timedelta(seconds=value)
        except OverflowError:
            raise ValueError("time out of range") from None
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise ValueError("not a time")


def make_partitioner(fields: Sequence[str], event_time_field: str | None) -> Partitioner:
    """A function computing the partition keys of one document; raises InvalidDocumentError (with a reason)."""
    names = tuple(fields)

    def partition_keys(doc: dict[str, Any]) -> PartitionKeys:
        keys: PartitionKeys = {}
        for name in names:
            text = partition_value(doc.get(name))
            if text is None:
                raise InvalidDocumentError(REASON_PARTITION_FIELD)
            keys[name] = text
        if event_time_field is not None:
            try:
                when = event_time(doc.get(event_time_field))
            except (ValueError, OverflowError, TypeError):
                raise InvalidDocumentError(REASON_EVENT_TIME) from None
            keys["year"] = f"{when.year:04d}"
            keys["month"] = f"{when.month:02d}"
            keys["day"] = f"{when.day:02d}"
            keys["hour"] = f"{when.hour:02d}"
        return keys

    return partition_keys

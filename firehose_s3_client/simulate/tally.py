"""Counting records and objects so that every input record is accounted for exactly once.

``records_in`` counts the Firehose records the stream received (one per input line, or per aggregate with
``--aggregate``). Each ends in exactly one of ``records_delivered``, ``records_dropped`` (the transform
returned ``Dropped``) or ``records_failed[<error output type>]``, so
``records_in == records_delivered + records_dropped + sum(records_failed.values())`` always holds once the
engine is flushed.

A record that de-aggregation (or CloudWatch Logs message extraction) splits into several sub-records is
still one record: it counts as failed (under the type of its first failed sub-record) if any sub-record
failed, else as delivered if any sub-record was delivered, else as dropped. The sub-records themselves are
counted in ``sub_records`` when splitting is configured. A transform that returns several lines for one
record, and a record delivered to a dynamic partition, count once (one record ID in, one result out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Tally"]

_DELIVERED = 0
_DROPPED = -1


@dataclass
class Tally:
    """The run's counters; with ``split`` set, outcomes of sub-records are combined per input record."""

    split: bool = False
    records_in: int = 0
    records_delivered: int = 0
    records_dropped: int = 0
    records_failed: Counter[str] = field(default_factory=Counter)
    billed_bytes: int = 0
    input_bytes: int = 0
    objects: Counter[str] = field(default_factory=Counter)
    object_bytes: Counter[str] = field(default_factory=Counter)
    record_bytes_delivered: int = 0
    sub_records: Counter[str] = field(default_factory=Counter)
    lambda_invocations: int = 0
    lambda_retries: int = 0
    #: input index -> sub-records not yet decided (only for split records).
    _pending: dict[int, int] = field(default_factory=dict)
    #: input index -> best outcome so far: failure type, "" delivered, None dropped.
    _state: dict[int, str | None] = field(default_factory=dict)

    def parts(self, source: int, count: int) -> None:
        """Input record ``source`` became ``count`` sub-records (called once per split record)."""
        self._pending[source] = count
        self._state[source] = None

    def _settle(self, sources: Iterable[int], outcome: str | None) -> None:
        """Record ``outcome`` ("" delivered, None dropped, else a failure type) for sub-records."""
        pending, state = self._pending, self._state
        for source in sources:
            left = pending.get(source)
            if left is None:
                self._count(outcome, 1)
                continue
            previous = state[source]
            if outcome not in (None, "") and previous in (None, ""):
                state[source] = outcome  # the first failure decides
            elif outcome == "" and previous is None:
                state[source] = ""
            if left == 1:
                del pending[source]
                self._count(state.pop(source), 1)
            else:
                pending[source] = left - 1

    def _count(self, outcome: str | None, n: int) -> None:
        if outcome is None:
            self.records_dropped += n
        elif outcome == "":
            self.records_delivered += n
        else:
            self.records_failed[outcome] += n

    def delivered(self, sources: list[int], record_bytes: int) -> None:
        self.record_bytes_delivered += record_bytes
        if self.split:
            self.sub_records["delivered"] += len(sources)
            self._settle(sources, "")
        else:
            self.records_delivered += len(sources)

    def dropped(self, sources: list[int]) -> None:
        if self.split:
            self.sub_records["dropped"] += len(sources)
            self._settle(sources, None)
        else:
            self.records_dropped += len(sources)

    def failed(self, error_type: str, sources: list[int]) -> None:
        if self.split:
            self.sub_records[error_type] += len(sources)
            self._settle(sources, error_type)
        else:
            self.records_failed[error_type] += len(sources)

    def object_written(self, kind: str, size: int) -> None:
        self.objects[kind] += 1
        self.object_bytes[kind] += size

    @property
    def undecided(self) -> int:
        """Records neither delivered, dropped nor failed (0 once the engine is flushed)."""
        return self.records_in - self.records_delivered - self.records_dropped - sum(self.records_failed.values())

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "records_in": self.records_in,
            "records_delivered": self.records_delivered,
            "records_dropped": self.records_dropped,
            "records_failed": dict(sorted(self.records_failed.items())),
            "objects_written": sum(self.objects.values()),
            "objects": dict(sorted(self.objects.items())),
            "bytes_delivered": self.object_bytes["data"],
            "object_bytes": dict(sorted(self.object_bytes.items())),
            "record_bytes_delivered": self.record_bytes_delivered,
            "input_bytes": self.input_bytes,
            "billed_bytes": self.billed_bytes,
            "lambda_invocations": self.lambda_invocations,
            "lambda_retries": self.lambda_retries,
        }
        if self.split:
            out["sub_records"] = dict(sorted(self.sub_records.items()))
        return out

"""Metrics (CloudWatch Embedded Metric Format) and structured JSON logs.

One EMF line per invocation, with the names of ``firehose_transform.contract``::

    {"_aws": {"Timestamp": 1700000000000, "CloudWatchMetrics": [{"Namespace": "FirehoseS3Constructs/Transform",
      "Dimensions": [["FunctionName"]], "Metrics": [{"Name": "RecordsOk", "Unit": "Count"}, ...]}]},
     "FunctionName": "my-fn", "RecordsOk": 498, "RecordsDropped": 0, "RecordsProcessingFailed": 2,
     "BytesIn": 251904, "BytesOut": 240011}

Logs are JSON lines on stdout. They never contain record content: only counts, record ids, failure
reason codes and exception *type* names (an exception message may quote the data, so it is not logged).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

from firehose_transform.contract import (
    METRIC_BYTES_IN,
    METRIC_BYTES_OUT,
    METRIC_RECORDS_DROPPED,
    METRIC_RECORDS_FAILED,
    METRIC_RECORDS_OK,
)
from firehose_transform.contract import METRIC_DIMENSION as DIMENSION_FUNCTION_NAME

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final, TextIO

_LEVELS: Final = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


class BatchStats:
    """Per-invocation counters.

    ``ok``/``dropped``/``failed``: records returned with each result; ``bytes_in``: decoded bytes of the
    input records; ``bytes_out``: decoded bytes of the ``data`` of the Ok records; ``unanswerable``:
    records without a usable recordId (not returned: there is no id to return them under); ``oversize``:
    records turned ProcessingFailed to keep the response under the Lambda limit; ``reasons``:
    ProcessingFailed reason codes; ``fallback_chunks``: fast-path chunks that went record by record (they
    held something unusual); ``exact_records``: records the fast path handed to the exact path.
    ``data_chars`` (characters of the returned ``data`` strings: exact, or an upper bound when not
    ``data_chars_exact``), ``id_chars`` (serialized size of the returned ``recordId`` strings, quotes
    included: counted where the response list is built, while the ids are at hand), ``escape_extra`` (extra
    characters of echoed data that is not base64 and needs JSON escapes) and ``metadata_chars`` (serialized
    ``metadata`` members) size the response.
    """

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "data_chars",
        "data_chars_exact",
        "dropped",
        "escape_extra",
        "exact_records",
        "failed",
        "fallback_chunks",
        "id_chars",
        "metadata_chars",
        "ok",
        "oversize",
        "reasons",
        "unanswerable",
    )

    def __init__(self) -> None:
        self.ok = 0
        self.dropped = 0
        self.failed = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.unanswerable = 0
        self.oversize = 0
        self.escape_extra = 0
        self.data_chars = 0
        self.data_chars_exact = True
        self.id_chars = 0
        self.metadata_chars = 0
        self.reasons: Counter[str] = Counter()
        self.fallback_chunks = 0
        self.exact_records = 0


def emf_document(
    namespace: str, function_name: str, stats: BatchStats, timestamp_ms: int | None = None
) -> dict[str, Any]:
    """The EMF document of one invocation."""
    metrics = [
        (METRIC_RECORDS_OK, "Count", stats.ok),
        (METRIC_RECORDS_DROPPED, "Count", stats.dropped),
        (METRIC_RECORDS_FAILED, "Count", stats.failed),
        (METRIC_BYTES_IN, "Bytes", stats.bytes_in),
        (METRIC_BYTES_OUT, "Bytes", stats.bytes_out),
    ]
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [[DIMENSION_FUNCTION_NAME]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, unit, _ in metrics],
                }
            ],
        },
        DIMENSION_FUNCTION_NAME: function_name,
    }
    for name, _, value in metrics:
        document[name] = value
    return document


class StructuredLogger:
    """Minimal JSON-lines logger (stdout by default, resolved at write time)."""

    def __init__(self, level: str = "INFO", stream: TextIO | None = None, name: str = "firehose_transform"):
        self.threshold = _LEVELS.get(level.upper(), 20)
        self.stream = stream
        self.name = name
        self.request_id: str | None = None

    def enabled(self, level: str) -> bool:
        return _LEVELS[level] >= self.threshold

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(line + "\n")

    def log(self, level: str, message: str, **fields: Any) -> None:
        if not self.enabled(level):
            return
        now = time.time()
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
            "level": level,
            "logger": self.name,
            "message": message,
        }
        if self.request_id is not None:
            entry["requestId"] = self.request_id
        entry.update(fields)
        self._write(json.dumps(entry, separators=(",", ":"), default=str))

    def debug(self, message: str, **fields: Any) -> None:
        self.log("DEBUG", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.log("INFO", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.log("WARNING", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.log("ERROR", message, **fields)

    def metrics(self, namespace: str, function_name: str, stats: BatchStats) -> None:
        """Write the EMF line (always, whatever the log level: alarms depend on it)."""
        self._write(json.dumps(emf_document(namespace, function_name, stats), separators=(",", ":")))

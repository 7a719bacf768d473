"""The sample kinds, the bad record kinds, and how a document becomes a line (see the package docstring)."""

from __future__ import annotations

import json
import time
from typing import Any, Final

WEBLOG: Final = "weblog"
IOT: Final = "iot"
KINDS: Final = (WEBLOG, IOT)

#: The first generated event time: 2025-11-26T09:20:00Z, in epoch milliseconds.
START_MS: Final = 1_764_148_800_000

#: Bad record kinds (name -> what the record holds); each is derived from a good line of the same stream.
BAD_KINDS: Final[dict[str, str]] = {
    "invalid_json": "a key followed by '=' instead of ':'",
    "truncated_json": "the first half of a document",
    "nan": "a NaN value (not JSON)",
    "json_array": "the document wrapped in a JSON array (not an object)",
    "invalid_utf8": "bytes that are not UTF-8 inside a string",
    "big_integer": "an integer beyond 64 bits (2**64)",
    "lone_surrogate": "a lone UTF-16 surrogate escape (\\ud800)",
    "not_json": "a raw access-log line that was never parsed into JSON",
    "blank": "nothing but a newline",
}

Document = dict[str, Any]

_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_line(document: Document) -> bytes:
    """Compact UTF-8 JSON of ``document`` plus a newline (NaN and infinity refused)."""
    return (_ENCODER.encode(document) + "\n").encode("utf-8")


def iso_ms(epoch_ms: int) -> str:
    """``2025-11-26T09:20:00.123Z`` for an epoch time in milliseconds (UTC)."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"

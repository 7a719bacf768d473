"""JSON document -> one CSV line, with the column order of ``CSV_COLUMNS``.

No header line is written. Firehose concatenates the records of a whole buffer into one S3 object, so a
header per record would appear again and again inside every object. Declare the columns in the table
instead (the Glue/Athena table of the construct, in ``CSV_COLUMNS`` order).

Cells follow the ``csv`` module's excel dialect: a value holding a comma, a double quote, ``\\r`` or
``\\n`` is quoted and quotes inside are doubled; each line then ends with ``\\n`` (not the dialect's
``\\r\\n``: the records of an object are newline-delimited like the JSON output). A value with a line break
therefore spans several physical lines, which line-oriented readers (Athena's LazySimpleSerDe, ``wc -l``)
split; drop or mask such fields if that matters.

Values: a missing field or null is an empty cell; strings as they are; ``true``/``false`` for booleans;
integers in decimal; floats as Python's ``repr`` (shortest round-trip, e.g. ``0.1``, ``1e-05``); arrays
and objects as compact JSON. The same bytes are written on the orjson and the standard-library paths.
"""

from __future__ import annotations

import io
import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def cell(value: Any) -> str:
    """The CSV cell text of one JSON value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not value - value == 0:
            raise ValueError("NaN or infinity cannot be written")
        return float.__repr__(value)
    if isinstance(value, dict | list | tuple):
        # Compact JSON keeping the key order of the document.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    raise TypeError(f"{type(value).__name__} is not a JSON type")


class CsvEncoder:
    """Encodes documents as CSV lines (UTF-8 bytes, each ending with ``\\n``).

    >>> CsvEncoder(["a", "b", "c"]).line({"b": "x,y", "a": 1})
    b'1,"x,y",\\n'
    """

    def __init__(self, columns: Sequence[str]) -> None:
        import csv  # only CSV configurations pay for this import

        self.columns = tuple(columns)
        self._buffer = io.StringIO()
        # The default "\r\n" terminator makes the writer quote cells holding "\r" or "\n" (with "\n" alone,
        # a bare "\r" would be left unquoted and split the row for readers); it is replaced by "\n" below.
        self._writer = csv.writer(self._buffer)

    def line(self, doc: dict[str, Any]) -> bytes:
        get = doc.get
        row = [cell(get(name)) for name in self.columns]
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.writerow(row)
        return (buffer.getvalue()[:-2] + "\n").encode("utf-8")

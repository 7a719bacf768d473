"""``put --manifest``: what ``put`` accepted, by content; ``verify --manifest``: whether exactly that arrived.

A manifest is a JSON file::

    {"format": "firehose-s3-manifest", "version": 1, "digest": "...", "input": "events.jsonl",
     "stream": "my-stream", "created": "2026-11-26T09:00:00+00:00", "count": 3,
     "lines": [1, 2, 4], "digests": ["3f2a...", "9c1d...", "3f2a..."]}

with one entry per record ``put`` accepted - delivered or not by that run (so after resuming from
``--failed-output``, the first run's manifest still describes the whole input). ``lines`` are input line
numbers; the same record twice in the input appears twice.

A record's digest (:func:`record_digest`) is BLAKE2b-128 of its **content**: for a line that is a JSON object
by the transform's rules, its canonical JSON (keys sorted, compact, UTF-8), so key order, whitespace and escapes
do not matter and a transform that only re-serializes keeps the digest; for any other line, its bytes without
the line ending. A transform that changes records (drop/mask/hash fields, CSV output) changes the digests:
use ``verify --expect`` there. Parquet/ORC output cannot be compared by content.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from firehose_s3_client.errors import EXIT_USAGE, CliError
from firehose_transform.codec import InvalidDocumentError, canonical_json
from firehose_transform.documents import is_blank, parse_line

__all__ = ["DIGEST", "FORMAT", "VERSION", "Manifest", "ManifestCheck", "digest_document", "record_digest"]

FORMAT = "firehose-s3-manifest"
VERSION = 1
DIGEST = "blake2b-128 of the canonical JSON (sorted keys, compact) of a JSON object, else of the line's bytes"


def digest_document(doc: dict[str, Any]) -> str:
    """The digest of a parsed JSON object (see the module docstring)."""
    return hashlib.blake2b(canonical_json(doc).encode("utf-8"), digest_size=16).hexdigest()


def record_digest(line: bytes) -> str:
    """The digest of one record, given as a line without its line ending."""
    try:
        return digest_document(parse_line(line))
    except InvalidDocumentError:
        return hashlib.blake2b(line, digest_size=16).hexdigest()


@dataclass
class Manifest:
    """The records ``put`` accepted: input line numbers and digests, in input order."""

    input: str
    stream: str
    lines: list[int] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def add(self, line_number: int, digest: str) -> None:
        self.lines.append(line_number)
        self.digests.append(digest)

    @property
    def count(self) -> int:
        return len(self.digests)

    def write(self, path: str) -> None:
        """Write atomically (a temporary file renamed over ``path``)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "digest": DIGEST,
            "input": self.input,
            "stream": self.stream,
            "created": self.created,
            "count": self.count,
            "lines": self.lines,
            "digests": self.digests,
        }
        directory = os.path.dirname(os.path.abspath(path))
        try:
            with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp", encoding="utf-8") as out:
                json.dump(document, out, separators=(",", ":"))
                out.write("\n")
            os.replace(out.name, path)
        except OSError as exc:
            raise CliError(f"cannot write the manifest {path!r}: {exc.strerror or exc}") from None

    @classmethod
    def read(cls, path: str) -> Manifest:
        """Load a manifest; anything else is a usage error naming what is wrong."""
        try:
            with open(path, encoding="utf-8") as source:
                document = json.load(source)
        except OSError as exc:
            raise CliError(f"cannot read the manifest {path!r}: {exc.strerror or exc}", EXIT_USAGE) from None
        except ValueError:
            raise CliError(f"{path!r} is not a firehose-s3 manifest (not JSON)", EXIT_USAGE) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise CliError(f'{path!r} is not a firehose-s3 manifest (no "format": {FORMAT!r})', EXIT_USAGE)
        if document.get("version") != VERSION:
            raise CliError(f"{path!r}: manifest version {document.get('version')!r} is not {VERSION}", EXIT_USAGE)
        lines, digests = document.get("lines"), document.get("digests")
        if not (
            isinstance(lines, list)
            and isinstance(digests, list)
            and len(lines) == len(digests) == document.get("count")
            and all(isinstance(n, int) for n in lines)
            and all(isinstance(d, str) for d in digests)
        ):
            raise CliError(f"{path!r}: the manifest's count, lines and digests do not match", EXIT_USAGE)
        return cls(str(document.get("input")), str(document.get("stream")), lines, digests, str(document["created"]))


@dataclass(frozen=True)
class Arrival:
    """Where a delivered line was found: object key and 1-based line in the (decompressed) object."""

    key: str
    line: int


class ManifestCheck:
    """Compares what arrived (data objects, and the raw records of error objects) with a manifest."""

    def __init__(self, manifest: Manifest) -> None:
        self.expected: Counter[str] = Counter(manifest.digests)
        self._lines_of: dict[str, list[int]] = defaultdict(list)
        for line, digest in zip(manifest.lines, manifest.digests, strict=True):
            self._lines_of[digest].append(line)
        self.arrived: Counter[str] = Counter()
        self.in_error_objects: Counter[str] = Counter()
        self.unexpected: list[Arrival] = []

    def add_data(self, key: str, data: bytes) -> None:
        """Count every non-blank line of a decompressed data object."""
        for number, line in enumerate(data.split(b"\n"), start=1):
            if is_blank(line):
                continue
            digest = record_digest(line)
            self.arrived[digest] += 1
            if digest not in self.expected:
                self.unexpected.append(Arrival(key, number))

    def add_error_record(self, raw: bytes) -> None:
        """Count the lines of one error record's ``rawData`` (records the pipeline could not deliver)."""
        for line in raw.split(b"\n"):
            if not is_blank(line):
                self.in_error_objects[record_digest(line)] += 1

    def complete(self, *, counting_errors: bool = False) -> bool:
        """Whether every expected record arrived (or, ``counting_errors``, arrived or is in an error object)."""
        errors = self.in_error_objects if counting_errors else Counter[str]()
        return all(self.arrived[d] + errors[d] >= n for d, n in self.expected.items())

    def missing_lines(self) -> list[int]:
        """Input line numbers of the records that did not arrive (for a repeated record, its last occurrences)."""
        out: list[int] = []
        for digest, wanted in self.expected.items():
            short = wanted - self.arrived[digest]
            if short > 0:
                out += self._lines_of[digest][-short:]
        return sorted(out)

    def missing_in_error_objects(self) -> int:
        """How many of the missing records are in error objects."""
        return sum(
            min(self.in_error_objects[d], wanted - self.arrived[d])
            for d, wanted in self.expected.items()
            if wanted > self.arrived[d]
        )

    def duplicates(self) -> int:
        """Extra copies of expected records (at-least-once re-sends)."""
        return sum(max(0, self.arrived[d] - n) for d, n in self.expected.items())

    @property
    def arrived_expected(self) -> int:
        """Expected records that arrived (duplicates not counted)."""
        return sum(min(self.arrived[d], n) for d, n in self.expected.items())


def preview(numbers: Iterable[object], limit: int = 20) -> str:
    """``"1, 2, 3"`` or ``"1, 2, ... (first 20 of 57)"``."""
    items = list(numbers)
    shown = ", ".join(str(n) for n in items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... (first {limit} of {len(items):,})"

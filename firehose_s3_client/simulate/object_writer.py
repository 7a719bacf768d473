"""Turning a delivered buffer into one S3 object: its key, its bytes, and the write.

Key = evaluated prefix + ``<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><extension>`` (DG s3-object-name.html).
The prefix's timestamps and the name's time are the approximate arrival time of the oldest record in the
object (DG s3-prefixes.html), in ``CustomTimeZone``. The UUID (version 4) and ``!{firehose:random-string}``
come from the run's seeded random generator, so a run with the same input, ``--start`` and ``--seed``
writes the same keys.

Extensions (where AWS is silent, see docs/simulate.md): data objects take ``FileExtension`` when set, else
the default of the conversion or compression; error and backup objects take the default extension of their
compression (they are JSON lines, whatever the data objects are).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from firehose_s3_client.simulate.compression import compress, content_encoding
from firehose_s3_client.simulate.prefix import evaluate_prefix, object_name
from firehose_s3_client.simulate.sinks import Sink
from firehose_s3_client.simulate.tally import Tally

__all__ = ["ObjectWriter", "to_datetime"]


def to_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


class ObjectWriter:
    """Writes the objects of one kind (``data``, ``error`` or ``backup``) to one bucket."""

    def __init__(
        self,
        *,
        kind: str,
        bucket: str,
        stream_name: str,
        version: int,
        time_zone: str | None,
        compression: str,
        extension: str,
        sink: Sink,
        tally: Tally,
        rng: random.Random,
    ) -> None:
        self.kind = kind
        self.bucket = bucket
        self.stream_name = stream_name
        self.version = version
        self.time_zone = time_zone
        self.compression = compression
        self.extension = extension
        self.sink = sink
        self.tally = tally
        self.rng = rng
        self.keys: list[str] = []

    def prefix(
        self,
        template: str,
        oldest_ms: int,
        *,
        query_keys: Mapping[str, str] | None = None,
        lambda_keys: Mapping[str, str] | None = None,
        error_output_type: str | None = None,
    ) -> str:
        """The evaluated prefix (raises prefix.PrefixEvaluationError like Firehose's evaluation fails)."""
        return evaluate_prefix(
            template,
            arrival=to_datetime(oldest_ms),
            time_zone=self.time_zone,
            query_keys=query_keys,
            lambda_keys=lambda_keys,
            error_output_type=error_output_type,
            rng=self.rng,
        )

    def write(
        self, prefix: str, oldest_ms: int, body: bytes, *, extension: str | None = None, encoded: bool = False
    ) -> str:
        """Write ``body`` (compressed here unless ``encoded``) under ``prefix``; return the key."""
        name = object_name(
            stream_name=self.stream_name,
            version=self.version,
            moment=to_datetime(oldest_ms),
            time_zone=self.time_zone,
            uuid=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            extension=self.extension if extension is None else extension,
        )
        encoding = None
        if not encoded:
            # The ZIP entry of a Firehose object is named by a random UUID (simulate-interfaces.md, 2026-12-01).
            entry = str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) if self.compression == "ZIP" else ""
            body = compress(body, self.compression, entry_name=entry)
            encoding = content_encoding(self.compression)
        key = prefix + name
        self.sink.write(self.bucket, key, body, content_encoding=encoding)
        self.tally.object_written(self.kind, len(body))
        self.keys.append(key)
        return key

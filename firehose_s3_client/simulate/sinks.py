"""Where the engine's objects go: a directory laid out as ``DIR/<bucket>/<key>``, or any S3 API.

:class:`DirectorySink` writes each object to ``root/<bucket>/<key>``. S3 keys are arbitrary strings but file
paths are not, so the few key segments a file system cannot hold faithfully are escaped, and only those:
an empty segment (``a//b``) becomes ``%``, ``.`` and ``..`` become ``%2E`` and ``%2E%2E``, a NUL becomes
``%00`` (a partition key taken from hostile data can never climb out of ``root``). Every escaped key is
counted in :attr:`DirectorySink.escaped_keys` and reported.

:class:`S3Sink` puts each object with boto3 to ``endpoint_url`` (a moto server, MinIO, or AWS itself),
mapping each bucket (its logical ID) to a real bucket name (``--bucket LOGICAL_ID=NAME``), with the
``Content-Type`` and ``Content-Encoding`` Firehose sets (see :func:`compression.content_encoding`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

__all__ = ["DirectorySink", "S3Sink", "Sink", "SinkError", "local_path"]


class SinkError(Exception):
    """An object could not be written (one line, names the object)."""


class Sink(Protocol):
    def write(self, bucket: str, key: str, body: bytes, *, content_encoding: str | None = None) -> None: ...


def _segment(segment: str) -> str:
    if segment == "":
        return "%"
    if segment == ".":
        return "%2E"
    if segment == "..":
        return "%2E%2E"
    return segment.replace("\0", "%00")


def local_path(root: Path, bucket: str, key: str) -> tuple[Path, bool]:
    """The file of ``key`` under ``root/bucket`` and whether the key had to be escaped."""
    segments = key.split("/")
    escaped = [_segment(segment) for segment in segments]
    return root.joinpath(_segment(bucket), *escaped), escaped != segments


class DirectorySink:
    """Writes ``root/<bucket>/<key>`` (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.escaped_keys = 0
        self._made: set[Path] = set()

    def write(self, bucket: str, key: str, body: bytes, *, content_encoding: str | None = None) -> None:
        path, escaped = local_path(self.root, bucket, key)
        self.escaped_keys += escaped
        parent = path.parent
        try:
            if parent not in self._made:
                parent.mkdir(parents=True, exist_ok=True)
                self._made.add(parent)
            temporary = path.with_name(path.name + ".part")
            with open(temporary, "wb") as handle:
                handle.write(body)
            os.replace(temporary, path)  # a reader never sees half an object
        except OSError as error:
            raise SinkError(f"cannot write {path}: {error.strerror or error}") from None


class S3Sink:
    """Puts objects to an S3 API (see the module docstring)."""

    def __init__(self, client: Any, bucket_names: Mapping[str, str]) -> None:
        self.client = client
        self.bucket_names = dict(bucket_names)

    def write(self, bucket: str, key: str, body: bytes, *, content_encoding: str | None = None) -> None:
        name = self.bucket_names.get(bucket)
        if name is None:
            raise SinkError(f"no --bucket {bucket}=NAME was given for the bucket {bucket}")
        extra = {"ContentEncoding": content_encoding} if content_encoding else {}
        try:
            # Firehose sets Content-Type application/octet-stream and the format's Content-Encoding.
            self.client.put_object(Bucket=name, Key=key, Body=body, ContentType="application/octet-stream", **extra)
        except Exception as error:  # botocore raises many types; each becomes one line naming the object
            raise SinkError(f"cannot put s3://{name}/{key}: {error}") from None

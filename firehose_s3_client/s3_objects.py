"""Listing and reading the objects under an S3 prefix (for ``verify`` and ``replay``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["S3Object", "list_objects", "read_object"]


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int
    last_modified: datetime

    @property
    def is_folder_marker(self) -> bool:
        """A zero-byte ``.../`` key created by consoles to show a folder: not an object to read."""
        return self.key.endswith("/") and self.size == 0


def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[S3Object]:
    """Every object under ``prefix``, in key order."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield S3Object(item["Key"], int(item.get("Size", 0)), item["LastModified"])


def read_object(s3: Any, bucket: str, key: str) -> bytes:
    """The whole body of one object."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return bytes(body.read())
    finally:
        body.close()

"""Reading what Firehose wrote to S3: decompression, record counting, error records.

Helpers of the ``firehose-s3 verify`` and ``replay`` commands (no AWS calls here, no ``aws_cdk``).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "ErrorRecord",
    "MissingDependencyError",
    "UnreadableObjectError",
    "count_lines",
    "count_records",
    "decode_object",
    "error_output_type",
    "iter_error_records",
    "parse_since",
]

_SNAPPY_FRAMED_MAGIC = b"\xff\x06\x00\x00sNaPpY"
# snappy-java's stream format, what Firehose writes for CompressionFormat Snappy: 8-byte magic, then the
# version and compatible version (u32 BE each), then blocks of [u32 BE compressed length][raw snappy].
_SNAPPY_JAVA_MAGIC = b"\x82SNAPPY\x00"
_SNAPPY_JAVA_HEADER = 16
_ERROR_SEGMENT = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*[-_]failed|activePartitionExceeded")


class UnreadableObjectError(Exception):
    """An object could not be decoded (corrupt, or an unsupported format).

    Attributes:
        key: the object's key.
        reason: why, without the key (``str()`` of the error is ``"<key>: <reason>"``).
    """

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class MissingDependencyError(UnreadableObjectError):
    """Decoding an object needs an optional package that is not installed."""


@dataclass(frozen=True)
class Decoded:
    """An S3 object after decompression: newline-delimited bytes, or a row count (columnar)."""

    format: str
    data: bytes | None = None
    rows: int | None = None


def _snappy(key: str, what: str) -> object:
    try:
        import snappy
    except ImportError as exc:
        raise MissingDependencyError(
            key, f"reading {what} objects needs python-snappy, which is not installed (pip install python-snappy)"
        ) from exc
    return snappy


def _pyarrow(key: str, what: str) -> None:
    try:
        import pyarrow  # noqa: F401 (optional dependency)
    except ImportError as exc:
        raise MissingDependencyError(
            key, f"counting rows of {what} objects needs pyarrow, which is not installed (pip install pyarrow)"
        ) from exc


def _hadoop_snappy(key: str, body: bytes) -> bytes:
    """Hadoop-Snappy: blocks of [u32 BE raw length] then [u32 BE chunk length][raw snappy] chunks."""
    snappy = _snappy(key, "Hadoop-Snappy (.hsnappy)")
    out: list[bytes] = []
    pos = 0
    end = len(body)
    while pos < end:
        if pos + 4 > end:
            raise UnreadableObjectError(key, "truncated Hadoop-Snappy block header")
        block_len = int.from_bytes(body[pos : pos + 4], "big")
        pos += 4
        produced = 0
        while produced < block_len:
            if pos + 4 > end:
                raise UnreadableObjectError(key, "truncated Hadoop-Snappy chunk header")
            chunk_len = int.from_bytes(body[pos : pos + 4], "big")
            pos += 4
            if pos + chunk_len > end:
                raise UnreadableObjectError(key, "truncated Hadoop-Snappy chunk")
            chunk = bytes(snappy.decompress(body[pos : pos + chunk_len]))  # type: ignore[attr-defined]
            pos += chunk_len
            produced += len(chunk)
            out.append(chunk)
        if produced != block_len:
            raise UnreadableObjectError(key, "Hadoop-Snappy block length mismatch")
    return b"".join(out)


def _snappy_java(key: str, body: bytes, snappy: object) -> bytes:
    out: list[bytes] = []
    pos = _SNAPPY_JAVA_HEADER
    while pos < len(body):
        length = int.from_bytes(body[pos : pos + 4], "big")
        if pos + 4 + length > len(body):
            raise UnreadableObjectError(key, "truncated snappy-java block")
        out.append(bytes(snappy.decompress(body[pos + 4 : pos + 4 + length])))  # type: ignore[attr-defined]
        pos += 4 + length
    return b"".join(out)


def _framed_snappy(key: str, body: bytes) -> bytes:
    """``.snappy``: snappy-java's stream (Snappy), Hadoop blocks (Firehose names HADOOP_SNAPPY objects
    ``.snappy`` too), the framing format, or raw snappy."""
    snappy = _snappy(key, "Snappy (.snappy)")
    if body.startswith(_SNAPPY_JAVA_MAGIC):
        return _snappy_java(key, body, snappy)
    if not body.startswith(_SNAPPY_FRAMED_MAGIC):
        try:
            return _hadoop_snappy(key, body)
        except Exception:  # not Hadoop blocks either: raw (unframed) snappy
            return bytes(snappy.decompress(body))  # type: ignore[attr-defined]
    decompressor = snappy.StreamDecompressor()  # type: ignore[attr-defined]
    data = bytes(decompressor.decompress(body))
    return data + bytes(decompressor.flush())


def _unzip(body: bytes) -> bytes:
    parts: list[bytes] = []
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            part = archive.read(name)
            if parts and not parts[-1].endswith(b"\n"):
                parts.append(b"\n")
            parts.append(part)
    return b"".join(parts)


def _parquet_rows(key: str, body: bytes) -> int:
    _pyarrow(key, "Parquet")
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(io.BytesIO(body)).metadata.num_rows)


def _orc_rows(key: str, body: bytes) -> int:
    _pyarrow(key, "ORC")
    try:
        from pyarrow import orc
    except ImportError as exc:
        raise MissingDependencyError(key, "this pyarrow build cannot read ORC") from exc
    return int(orc.ORCFile(io.BytesIO(body)).nrows)


def _sniff(body: bytes) -> str:
    if body.startswith(b"\x1f\x8b"):
        return "gzip"
    if body.startswith(b"PK\x03\x04"):
        return "zip"
    if body.startswith((_SNAPPY_FRAMED_MAGIC, _SNAPPY_JAVA_MAGIC)):
        return "snappy"
    if body.startswith(b"PAR1") and body.endswith(b"PAR1"):
        return "parquet"
    if body.startswith(b"ORC"):
        return "orc"
    return "text"


def _format_of(key: str, body: bytes) -> str:
    name = key.rsplit("/", 1)[-1].lower()
    for suffix, fmt in (
        (".gz", "gzip"),
        (".gzip", "gzip"),
        (".zip", "zip"),
        (".hsnappy", "hadoop-snappy"),
        (".snappy", "snappy"),
        (".parquet", "parquet"),
        (".orc", "orc"),
    ):
        if name.endswith(suffix):
            return fmt
    return _sniff(body)  # a custom FileExtension (or none): look at the bytes


def decode_object(key: str, body: bytes) -> Decoded:
    """Decompress an object by its extension (``.gz``, ``.zip``, ``.snappy``, ``.hsnappy``), or by its
    magic bytes when the extension says nothing. ``.parquet``/``.orc`` objects give a row count.

    Raises:
        MissingDependencyError: python-snappy or pyarrow is needed and missing.
        UnreadableObjectError: the object is corrupt.
    """
    fmt = _format_of(key, body)
    try:
        if fmt == "gzip":
            return Decoded(fmt, data=gzip.decompress(body))
        if fmt == "zip":
            return Decoded(fmt, data=_unzip(body))
        if fmt == "snappy":
            return Decoded(fmt, data=_framed_snappy(key, body))
        if fmt == "hadoop-snappy":
            return Decoded(fmt, data=_hadoop_snappy(key, body))
        if fmt == "parquet":
            return Decoded(fmt, rows=_parquet_rows(key, body))
        if fmt == "orc":
            return Decoded(fmt, rows=_orc_rows(key, body))
    except UnreadableObjectError:
        raise
    except Exception as exc:  # gzip/zlib/zipfile/snappy/pyarrow each raise their own types
        raise UnreadableObjectError(key, f"cannot decode as {fmt}: {exc}") from exc
    return Decoded(fmt, data=body)


def count_lines(data: bytes) -> int:
    """Newline-delimited records in ``data`` (blank lines are not records)."""
    return sum(1 for line in data.split(b"\n") if line.strip())


def count_records(key: str, body: bytes) -> int:
    """Records in one delivered object: non-blank lines, or rows of a Parquet/ORC object."""
    decoded = decode_object(key, body)
    if decoded.rows is not None:
        return decoded.rows
    return count_lines(decoded.data or b"")


def error_output_type(key: str, error_prefix: str | None = None) -> str | None:
    """The Firehose error folder of ``key`` (``processing-failed``, ``format-conversion-failed``,
    ``activePartitionExceeded``...) or None for a data object.

    A key is an error object when one of its folder segments is such a name (``*-failed``,
    ``*_failed``, ``activePartitionExceeded``) or when it starts with ``error_prefix``.
    """
    for segment in key.split("/")[:-1]:
        if _ERROR_SEGMENT.fullmatch(segment):
            return segment
    if error_prefix and key.startswith(error_prefix):
        return "error-prefix"
    return None


@dataclass(frozen=True)
class ErrorRecord:
    """One line of a Firehose error object.

    Attributes:
        line_number: 1-based line in the decompressed object.
        raw_data: the decoded ``rawData`` (the Firehose record as it arrived), or None if absent/bad.
        error_code: ``errorCode`` or ``lastErrorCode``, if any.
        problem: why ``raw_data`` is None.
    """

    line_number: int
    raw_data: bytes | None
    error_code: str | None
    problem: str | None = None


def iter_error_records(key: str, body: bytes) -> Iterator[ErrorRecord]:
    """Parse a (possibly compressed) Firehose error object: JSON lines with a base64 ``rawData``."""
    decoded = decode_object(key, body)
    if decoded.data is None:
        raise UnreadableObjectError(key, f"a {decoded.format} object is not a Firehose error object")
    for number, line in enumerate(decoded.data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            yield ErrorRecord(number, None, None, "not JSON")
            continue
        if not isinstance(doc, dict):
            yield ErrorRecord(number, None, None, "not a JSON object")
            continue
        code = doc.get("errorCode") or doc.get("lastErrorCode")
        code = str(code) if code is not None else None
        raw = doc.get("rawData")
        if not isinstance(raw, str):
            yield ErrorRecord(number, None, code, "no rawData")
            continue
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            yield ErrorRecord(number, None, code, "rawData is not base64")
            continue
        yield ErrorRecord(number, data, code)


_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: an ISO-8601 time (naive = UTC) or a relative age such as ``90s``, ``15m``,
    ``2h``, ``1d``, ``1w`` (also combined: ``1h30m``). Returns an aware UTC datetime.

    Raises:
        ValueError: neither form.
    """
    value = text.strip()
    now = now or datetime.now(UTC)
    if value and _RELATIVE.sub("", value.lower()).strip() == "":
        delta = timedelta()
        for amount, unit in _RELATIVE.findall(value.lower()):
            delta += timedelta(**{_UNITS[unit]: float(amount)})
        return now - delta
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"--since must be an ISO-8601 time (2026-11-26T09:00:00Z) or an age like 15m, 2h, 1d; got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)

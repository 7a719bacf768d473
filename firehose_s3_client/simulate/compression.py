"""The bytes Firehose writes for each ``CompressionFormat``, the extension and the Content-Encoding it gives them.

``CompressionFormat`` is the API enum ``UNCOMPRESSED | GZIP | ZIP | Snappy | HADOOP_SNAPPY``
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_ExtendedS3DestinationConfiguration.html). AWS
documents the formats by name only. What this module writes was established from objects real Firehose
delivered, as published by the floci emulator's maintainers (floci-io/floci issue #2328, probed in us-west-2,
2026): its Snappy and Hadoop-Snappy objects are reproduced *byte for byte* by snappy-java's
``SnappyOutputStream`` and ``SnappyHadoopCompatibleOutputStream``:

* ``GZIP``: one gzip member as ``java.util.zip.GZIPOutputStream`` writes it: header ``1f 8b 08 00``, MTIME 0,
  XFL 0, OS 255 (JDK 16 and later), deflate level 6 (``Deflater.DEFAULT_COMPRESSION``), CRC-32 and size.
* ``ZIP``: one archive with one deflated entry. Firehose names the entry with a random UUID unrelated to the
  object key (probed); the engine passes that name as ``entry_name``. The entry's timestamp is fixed at
  1980-01-01 00:00 (the ZIP epoch) so the bytes are reproducible.
* ``Snappy``: snappy-java's *stream* format, **not** Google's framing format: the header ``82 'SNAPPY' 00``,
  version 1 and compatible version 1 (u32 BE each), then one block per 32 KiB of input:
  ``[u32 BE compressed length][raw snappy]``. An empty input is the 16-byte header alone.
* ``HADOOP_SNAPPY``: Hadoop's ``BlockCompressorStream`` framing as snappy-java writes it: one block per 32 KiB
  of input, ``[u32 BE uncompressed length][u32 BE compressed length][raw snappy]``, no header.

Default extensions follow https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html except one: the
page tables ``.hsnappy`` for Hadoop-Snappy, but Firehose names those objects ``.snappy`` (probed on two
dates); this engine follows the service, and ``firehose-s3 verify`` tells the two ``.snappy`` formats apart by
their first bytes. Inside each block the raw snappy bytes come from python-snappy (Rust ``snap``) rather than
Google's C++ encoder, so a block decodes to the same data but may differ in bytes.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Final

__all__ = [
    "COMPRESSION_FORMATS",
    "SNAPPY_BLOCK_BYTES",
    "SNAPPY_JAVA_HEADER",
    "UnsupportedCompressionError",
    "compress",
    "content_encoding",
    "default_extension",
]

#: The API enum, in its own spelling (``Snappy`` is mixed case in the API).
COMPRESSION_FORMATS: Final = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")

#: Default file extensions (DG s3-object-name.html; HADOOP_SNAPPY as Firehose delivers it, see the module doc).
_EXTENSIONS: Final = {
    "UNCOMPRESSED": "",
    "GZIP": ".gz",
    "ZIP": ".zip",
    "Snappy": ".snappy",
    "HADOOP_SNAPPY": ".snappy",
}
_CONVERSION_EXTENSIONS: Final = {"PARQUET": ".parquet", "ORC": ".orc"}
#: The Content-Encoding Firehose sets on each format's objects (probed; none for UNCOMPRESSED).
_CONTENT_ENCODINGS: Final = {"GZIP": "gzip", "ZIP": "zip", "Snappy": "snappy-java", "HADOOP_SNAPPY": "hadoop-snappy"}

_DEFLATE_LEVEL: Final = 6
#: GZIPOutputStream's header: magic, deflate, no flags, MTIME 0, XFL 0, OS 255 ("unknown", JDK 16+).
_GZIP_HEADER: Final = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
#: snappy-java's SnappyOutputStream.DEFAULT_BLOCK_SIZE: input bytes per block, both Snappy formats.
SNAPPY_BLOCK_BYTES: Final = 32 * 1024
#: snappy-java's SnappyCodec header: MAGIC_HEADER, DEFAULT_VERSION 1, MINIMUM_COMPATIBLE_VERSION 1.
SNAPPY_JAVA_HEADER: Final = b"\x82SNAPPY\x00" + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")


class UnsupportedCompressionError(ValueError):
    """A ``CompressionFormat`` (or output format) that Firehose does not have, or a combination it rejects."""


def _check(compression_format: str) -> None:
    if compression_format in COMPRESSION_FORMATS:
        return
    same = [f for f in COMPRESSION_FORMATS if f.lower() == str(compression_format).lower()]
    hint = f" (the API spells it {same[0]!r})" if same else ""
    raise UnsupportedCompressionError(
        f"unknown CompressionFormat {compression_format!r}{hint}; Firehose has {', '.join(COMPRESSION_FORMATS)}"
    )


def _snappy_module() -> object:
    try:
        import snappy
    except ImportError as error:  # pragma: no cover - python-snappy is in the simulate extra
        raise UnsupportedCompressionError(
            "Snappy and HADOOP_SNAPPY need python-snappy: pip install 'firehose-s3-constructs[simulate]'"
        ) from error
    return snappy


def _gzip(data: bytes) -> bytes:
    deflater = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflater.compress(data) + deflater.flush()
    trailer = zlib.crc32(data).to_bytes(4, "little") + (len(data) & 0xFFFFFFFF).to_bytes(4, "little")
    return _GZIP_HEADER + body + trailer


def _zip(data: bytes, entry_name: str) -> bytes:
    if not entry_name:
        raise ValueError("a ZIP object needs an entry name")
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(entry_name, date_time=_ZIP_EPOCH)
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, data, compresslevel=_DEFLATE_LEVEL)
    return buffer.getvalue()


def _snappy_blocks(data: bytes, *, hadoop: bool) -> bytes:
    snappy = _snappy_module()
    view = memoryview(data)
    parts: list[bytes] = [] if hadoop else [SNAPPY_JAVA_HEADER]
    for start in range(0, len(data), SNAPPY_BLOCK_BYTES):
        block = bytes(view[start : start + SNAPPY_BLOCK_BYTES])
        compressed = bytes(snappy.compress(block))  # type: ignore[attr-defined]  # raw snappy
        if hadoop:
            parts.append(len(block).to_bytes(4, "big"))
        parts.append(len(compressed).to_bytes(4, "big"))
        parts.append(compressed)
    return b"".join(parts)


def compress(data: bytes, compression_format: str, *, entry_name: str) -> bytes:
    """``data`` encoded as Firehose writes an object with this ``CompressionFormat`` (see the module doc).

    ``entry_name`` is the ZIP member's name (ignored by the other formats). ``UNCOMPRESSED`` returns
    ``data`` itself. Raises :class:`UnsupportedCompressionError` for a format outside the API enum
    (case matters: ``Snappy``, not ``SNAPPY``).
    """
    _check(compression_format)
    if compression_format == "UNCOMPRESSED":
        return data
    if compression_format == "GZIP":
        return _gzip(data)
    if compression_format == "ZIP":
        return _zip(data, entry_name)
    return _snappy_blocks(data, hadoop=compression_format == "HADOOP_SNAPPY")


def default_extension(compression_format: str, output_format: str | None = None) -> str:
    """The extension Firehose appends when ``FileExtension`` is not set (DG s3-object-name.html).

    ``output_format`` is the record format conversion's serializer, ``PARQUET`` or ``ORC`` (``.parquet`` /
    ``.orc``), or None without conversion. With conversion the S3-level compression must be
    ``UNCOMPRESSED`` (DG record-format-conversion.html: the serializer compresses inside the file); any
    other value raises :class:`UnsupportedCompressionError`, as Firehose rejects that configuration.
    """
    _check(compression_format)
    if output_format is None:
        return _EXTENSIONS[compression_format]
    extension = _CONVERSION_EXTENSIONS.get(output_format.upper())
    if extension is None:
        raise UnsupportedCompressionError(f"unknown output format {output_format!r}; Firehose writes PARQUET or ORC")
    if compression_format != "UNCOMPRESSED":
        raise UnsupportedCompressionError(
            f"CompressionFormat must be UNCOMPRESSED with {output_format.upper()} conversion (the serializer "
            f"compresses inside the file), got {compression_format}"
        )
    return extension


def content_encoding(compression_format: str) -> str | None:
    """The ``Content-Encoding`` Firehose sets on an object of this format (``gzip``, ``zip``, ``snappy-java``,
    ``hadoop-snappy``; None for ``UNCOMPRESSED``), as probed on delivered objects (see the module doc).
    Every object's ``Content-Type`` is ``application/octet-stream``. Converted Parquet objects were seen with
    ``hadoop-snappy`` too (their body is a plain Parquet file); the engine decides whether to copy that.
    """
    _check(compression_format)
    return _CONTENT_ENCODINGS.get(compression_format)

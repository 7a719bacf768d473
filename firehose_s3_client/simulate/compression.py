"""The bytes Firehose writes for each ``CompressionFormat``, and the file extension it gives them.

``CompressionFormat`` is the API enum ``UNCOMPRESSED | GZIP | ZIP | Snappy | HADOOP_SNAPPY``
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_ExtendedS3DestinationConfiguration.html) and the
default extensions are on https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html. AWS documents
the formats by name only; what a reader of the object depends on is the container, and that is fixed here:

* ``GZIP``: one gzip member (RFC 1952). Firehose's deflate level and header bytes are not documented; this
  engine writes level 6 (zlib's and ``java.util.zip.Deflater``'s default) and mtime 0, so a run is
  reproducible byte for byte.
* ``ZIP``: one archive with one deflated entry named ``entry_name`` (AWS does not document the entry name:
  the engine passes the object name without ``.zip``). The entry's timestamp is fixed at 1980-01-01 00:00
  (the ZIP epoch) so the bytes are reproducible.
* ``Snappy``: the Snappy *framing format* (https://github.com/google/snappy/blob/main/framing_format.txt):
  stream identifier ``ff 06 00 00 sNaPpY``, then chunks of at most 64 KiB of input, each with a masked
  CRC-32C. The "Snappy" objects Firehose writes start with that identifier (what ``firehose-s3 verify``
  and python-snappy's stream decoder read).
* ``HADOOP_SNAPPY``: Hadoop's ``BlockCompressorStream`` framing of ``org.apache.hadoop.io.compress.SnappyCodec``
  (what the console calls "Hadoop-Compatible Snappy"): blocks of ``[u32 BE uncompressed length][u32 BE
  compressed length][raw snappy]``. Hadoop's default buffer is 256 KiB less the codec's overhead
  (``bufferSize / 6 + 32``), so each block holds at most 218,422 input bytes.

The compressed payload inside each container depends on the encoder, and Firehose's encoder is not
published: the containers are exact, the compressed bytes are equivalent (any reader decodes both to the
same data) but not identical.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from typing import Final

__all__ = [
    "COMPRESSION_FORMATS",
    "HADOOP_SNAPPY_BLOCK_BYTES",
    "SNAPPY_STREAM_IDENTIFIER",
    "UnsupportedCompressionError",
    "compress",
    "default_extension",
]

#: The API enum, in its own spelling (``Snappy`` is mixed case in the API).
COMPRESSION_FORMATS: Final = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")

#: Default file extensions (DG s3-object-name.html).
_EXTENSIONS: Final = {
    "UNCOMPRESSED": "",
    "GZIP": ".gz",
    "ZIP": ".zip",
    "Snappy": ".snappy",
    "HADOOP_SNAPPY": ".hsnappy",
}
_CONVERSION_EXTENSIONS: Final = {"PARQUET": ".parquet", "ORC": ".orc"}

_GZIP_LEVEL: Final = 6
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
#: Hadoop SnappyCodec: io.compression.codec.snappy.buffersize (256 KiB) minus bufferSize / 6 + 32.
_HADOOP_BUFFER: Final = 256 * 1024
HADOOP_SNAPPY_BLOCK_BYTES: Final = _HADOOP_BUFFER - (_HADOOP_BUFFER // 6 + 32)
#: The framing format's stream identifier chunk (type 0xff, length 6, "sNaPpY").
SNAPPY_STREAM_IDENTIFIER: Final = b"\xff\x06\x00\x00sNaPpY"


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


def _zip(data: bytes, entry_name: str) -> bytes:
    if not entry_name:
        raise ValueError("a ZIP object needs an entry name")
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo(entry_name, date_time=_ZIP_EPOCH)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, data, compresslevel=_GZIP_LEVEL)
    return buffer.getvalue()


def _framed_snappy(data: bytes) -> bytes:
    snappy = _snappy_module()
    compressor = snappy.StreamCompressor()  # type: ignore[attr-defined]
    framed = bytes(compressor.add_chunk(data)) + bytes(compressor.flush())
    # The encoder writes nothing for no input; a framed stream always starts with its identifier.
    return framed or SNAPPY_STREAM_IDENTIFIER


def _hadoop_snappy(data: bytes) -> bytes:
    snappy = _snappy_module()
    compressor = snappy.HadoopStreamCompressor()  # type: ignore[attr-defined]
    view = memoryview(data)
    blocks = (
        bytes(compressor.add_chunk(bytes(view[start : start + HADOOP_SNAPPY_BLOCK_BYTES])))
        for start in range(0, len(data), HADOOP_SNAPPY_BLOCK_BYTES)
    )
    return b"".join(blocks)


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
        return gzip.compress(data, compresslevel=_GZIP_LEVEL, mtime=0)
    if compression_format == "ZIP":
        return _zip(data, entry_name)
    if compression_format == "Snappy":
        return _framed_snappy(data)
    return _hadoop_snappy(data)


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

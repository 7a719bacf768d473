"""Each CompressionFormat's container, checked field by field, and read back by `firehose-s3 verify`."""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import pytest
import snappy
from hypothesis import given, settings
from hypothesis import strategies as st

from firehose_s3_client.simulate.compression import (
    COMPRESSION_FORMATS,
    HADOOP_SNAPPY_BLOCK_BYTES,
    UnsupportedCompressionError,
    compress,
    default_extension,
)
from firehose_s3_client.verify import decode_object

STREAM_IDENTIFIER = b"\xff\x06\x00\x00sNaPpY"  # written out, not imported: an oracle
# Enough to need several Snappy chunks (64 KiB) and several Hadoop blocks (218,422 bytes).
LARGE = b"".join(b'{"n":%d,"pad":"%s"}\n' % (i, os.urandom(8).hex().encode()) for i in range(20_000))


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), bit by bit: an oracle independent of the compressor."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _snappy_chunks(body: bytes) -> list[bytes]:
    """Decode a framing-format stream by hand, checking every chunk's type, length and checksum."""
    assert body.startswith(STREAM_IDENTIFIER)
    position, chunks = len(STREAM_IDENTIFIER), []
    while position < len(body):
        chunk_type = body[position]
        length = int.from_bytes(body[position + 1 : position + 4], "little")
        payload = body[position + 4 : position + 4 + length]
        assert len(payload) == length
        checksum, content = int.from_bytes(payload[:4], "little"), payload[4:]
        assert chunk_type in (0x00, 0x01), f"unexpected chunk type {chunk_type:#x}"
        data = bytes(snappy.decompress(content)) if chunk_type == 0x00 else content
        assert len(data) <= 65536
        assert checksum == _masked(_crc32c(data))
        chunks.append(data)
        position += 4 + length
    return chunks


def test_the_formats_are_the_api_enum() -> None:
    assert COMPRESSION_FORMATS == ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")


@pytest.mark.parametrize("compression_format", COMPRESSION_FORMATS)
def test_verify_reads_back_what_each_format_writes(compression_format: str) -> None:
    body = compress(LARGE, compression_format, entry_name="stream-1-2026-11-26-09-00-00-uuid")
    key = "data/2026/11/26/09/stream-1-2026-11-26-09-00-00-uuid" + default_extension(compression_format)
    assert decode_object(key, body).data == LARGE


# UNCOMPRESSED objects have no extension, so verify sniffs their first bytes; it is checked by identity below.
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300_000), compression_format=st.sampled_from(COMPRESSION_FORMATS[1:]))
def test_any_bytes_round_trip(data: bytes, compression_format: str) -> None:
    body = compress(data, compression_format, entry_name="entry")
    key = "k/object" + default_extension(compression_format)
    assert decode_object(key, body).data == data


def test_uncompressed_is_the_data_itself() -> None:
    assert compress(LARGE, "UNCOMPRESSED", entry_name="x") is LARGE


def test_gzip_is_one_reproducible_member_with_mtime_zero() -> None:
    body = compress(LARGE, "GZIP", entry_name="x")
    assert body[:3] == b"\x1f\x8b\x08"  # magic, deflate
    assert body[4:8] == b"\x00\x00\x00\x00"  # MTIME 0: reproducible
    assert body == compress(LARGE, "GZIP", entry_name="other")
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as member:
        assert member.read() == LARGE
    assert int.from_bytes(body[-4:], "little") == len(LARGE) % 2**32  # ISIZE of the single member


def test_zip_holds_one_deflated_entry_with_the_given_name() -> None:
    body = compress(LARGE, "ZIP", entry_name="my-stream-1-2026-11-26-09-00-00-abc")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["my-stream-1-2026-11-26-09-00-00-abc"]
        assert infos[0].compress_type == zipfile.ZIP_DEFLATED
        assert infos[0].date_time == (1980, 1, 1, 0, 0, 0)
        assert archive.read(infos[0]) == LARGE
    assert body == compress(LARGE, "ZIP", entry_name="my-stream-1-2026-11-26-09-00-00-abc")


def test_zip_needs_an_entry_name() -> None:
    with pytest.raises(ValueError, match="entry name"):
        compress(b"x", "ZIP", entry_name="")


def test_snappy_is_the_framing_format_with_checked_64_kib_chunks() -> None:
    body = compress(LARGE, "Snappy", entry_name="x")
    chunks = _snappy_chunks(body)
    assert b"".join(chunks) == LARGE
    assert all(len(c) == 65536 for c in chunks[:-1])
    assert len(chunks) == -(-len(LARGE) // 65536)


def test_hadoop_snappy_blocks_follow_hadoops_block_compressor_stream() -> None:
    body = compress(LARGE, "HADOOP_SNAPPY", entry_name="x")
    position, blocks = 0, []
    while position < len(body):
        raw_length = int.from_bytes(body[position : position + 4], "big")
        compressed_length = int.from_bytes(body[position + 4 : position + 8], "big")
        block = bytes(snappy.decompress(body[position + 8 : position + 8 + compressed_length]))
        assert len(block) == raw_length
        blocks.append(block)
        position += 8 + compressed_length
    assert position == len(body)
    assert b"".join(blocks) == LARGE
    # Hadoop's SnappyCodec: 256 KiB buffer less its overhead (bufferSize / 6 + 32) of input per block.
    assert HADOOP_SNAPPY_BLOCK_BYTES == 256 * 1024 - (256 * 1024 // 6 + 32)
    assert [len(b) for b in blocks[:-1]] == [HADOOP_SNAPPY_BLOCK_BYTES] * (len(blocks) - 1)
    assert 0 < len(blocks[-1]) <= HADOOP_SNAPPY_BLOCK_BYTES


@pytest.mark.parametrize(
    ("compression_format", "extension"),
    [("UNCOMPRESSED", ""), ("GZIP", ".gz"), ("ZIP", ".zip"), ("Snappy", ".snappy"), ("HADOOP_SNAPPY", ".hsnappy")],
)
def test_default_extensions_follow_the_object_name_page(compression_format: str, extension: str) -> None:
    assert default_extension(compression_format) == extension


@pytest.mark.parametrize(("output_format", "extension"), [("PARQUET", ".parquet"), ("ORC", ".orc"), ("orc", ".orc")])
def test_conversion_gives_its_own_extension(output_format: str, extension: str) -> None:
    assert default_extension("UNCOMPRESSED", output_format) == extension


def test_conversion_with_s3_compression_is_rejected() -> None:
    with pytest.raises(UnsupportedCompressionError, match="must be UNCOMPRESSED with PARQUET"):
        default_extension("GZIP", "PARQUET")


def test_unknown_output_format_is_named() -> None:
    with pytest.raises(UnsupportedCompressionError, match="'AVRO'"):
        default_extension("UNCOMPRESSED", "AVRO")


@pytest.mark.parametrize(("given_format", "hint"), [("SNAPPY", "'Snappy'"), ("gzip", "'GZIP'")])
def test_a_wrongly_cased_format_names_the_api_spelling(given_format: str, hint: str) -> None:
    with pytest.raises(UnsupportedCompressionError, match=f"API spells it {hint}"):
        compress(b"x", given_format, entry_name="x")


def test_an_unknown_format_lists_the_enum() -> None:
    with pytest.raises(
        UnsupportedCompressionError, match="Firehose has UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY"
    ):
        default_extension("BZIP2")


def test_empty_input_still_gives_a_readable_object() -> None:
    assert compress(b"", "Snappy", entry_name="x") == STREAM_IDENTIFIER
    assert compress(b"", "HADOOP_SNAPPY", entry_name="x") == b""
    assert gzip.decompress(compress(b"", "GZIP", entry_name="x")) == b""

"""Each CompressionFormat's container as Firehose writes it, checked field by field and read back by `verify`."""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import cramjam
import pytest
import snappy
from hypothesis import given, settings
from hypothesis import strategies as st

from firehose_s3_client.simulate.compression import (
    COMPRESSION_FORMATS,
    SNAPPY_BLOCK_BYTES,
    UnsupportedCompressionError,
    compress,
    content_encoding,
    default_extension,
)
from firehose_s3_client.verify import decode_object

# Written out, not imported: snappy-java's SnappyCodec header (magic, version 1, compatible version 1).
SNAPPY_JAVA_HEADER = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01"
# Enough to need several 32 KiB Snappy blocks.
LARGE = b"".join(b'{"n":%d,"pad":"%s"}\n' % (i, os.urandom(8).hex().encode()) for i in range(20_000))


def _blocks(body: bytes, *, hadoop: bool) -> list[bytes]:
    """Decode snappy-java's block stream by hand, checking every length field."""
    position, blocks = 0, []
    while position < len(body):
        raw_length = None
        if hadoop:
            raw_length = int.from_bytes(body[position : position + 4], "big")
            position += 4
        compressed_length = int.from_bytes(body[position : position + 4], "big")
        block = bytes(snappy.decompress(body[position + 4 : position + 4 + compressed_length]))
        assert raw_length in (None, len(block))
        blocks.append(block)
        position += 4 + compressed_length
    assert position == len(body)
    return blocks


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


def test_gzip_is_one_member_with_gzipoutputstreams_header() -> None:
    body = compress(LARGE, "GZIP", entry_name="x")
    assert body[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no flags, MTIME 0, XFL 0, OS 255
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


def test_snappy_is_snappy_javas_stream_with_32_kib_blocks() -> None:
    body = compress(LARGE, "Snappy", entry_name="x")
    assert body.startswith(SNAPPY_JAVA_HEADER)
    blocks = _blocks(body[len(SNAPPY_JAVA_HEADER) :], hadoop=False)
    assert b"".join(blocks) == LARGE
    assert [len(b) for b in blocks[:-1]] == [32 * 1024] * (len(blocks) - 1)
    assert 0 < len(blocks[-1]) <= 32 * 1024
    assert SNAPPY_BLOCK_BYTES == 32 * 1024


def test_hadoop_snappy_is_blocks_with_both_lengths_and_no_header() -> None:
    body = compress(LARGE, "HADOOP_SNAPPY", entry_name="x")
    blocks = _blocks(body, hadoop=True)
    assert b"".join(blocks) == LARGE
    assert [len(b) for b in blocks[:-1]] == [32 * 1024] * (len(blocks) - 1)
    assert int.from_bytes(body[:4], "big") == 32 * 1024  # the first block's uncompressed length


def test_snappy_java_output_is_not_googles_framing_format() -> None:
    body = compress(b"hello" * 100, "Snappy", entry_name="x")
    with pytest.raises(cramjam.DecompressionError, match="expected stream header"):
        cramjam.snappy.decompress(body)  # a strict framing-format decoder


@pytest.mark.parametrize(
    ("compression_format", "extension"),
    [("UNCOMPRESSED", ""), ("GZIP", ".gz"), ("ZIP", ".zip"), ("Snappy", ".snappy"), ("HADOOP_SNAPPY", ".snappy")],
)
def test_default_extensions_are_the_ones_firehose_delivers(compression_format: str, extension: str) -> None:
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


def test_empty_input_gives_what_snappy_java_writes_for_none() -> None:
    assert compress(b"", "Snappy", entry_name="x") == SNAPPY_JAVA_HEADER
    assert compress(b"", "HADOOP_SNAPPY", entry_name="x") == b""
    assert gzip.decompress(compress(b"", "GZIP", entry_name="x")) == b""
    assert decode_object("o.snappy", SNAPPY_JAVA_HEADER).data == b""


@pytest.mark.parametrize(
    ("compression_format", "encoding"),
    [
        ("UNCOMPRESSED", None),
        ("GZIP", "gzip"),
        ("ZIP", "zip"),
        ("Snappy", "snappy-java"),
        ("HADOOP_SNAPPY", "hadoop-snappy"),
    ],
)
def test_content_encodings(compression_format: str, encoding: str | None) -> None:
    assert content_encoding(compression_format) == encoding

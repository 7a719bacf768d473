"""Decoding of delivered objects (every Firehose compression, Parquet), error keys, --since."""

from __future__ import annotations

import base64
import gzip
import io
import json
import sys
import zipfile
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import snappy

from firehose_s3_client.verify import (
    MissingDependencyError,
    UnreadableObjectError,
    count_lines,
    count_records,
    decode_object,
    error_output_type,
    iter_error_records,
    parse_since,
)

LINES = b"".join(b'{"n":%d}\n' % i for i in range(1000))


def framed_snappy(data: bytes) -> bytes:
    compressor = snappy.StreamCompressor()
    return bytes(compressor.add_chunk(data)) + bytes(compressor.flush())


def hadoop_snappy(data: bytes, block: int = 4096, chunk: int = 1500) -> bytes:
    """Hadoop-Snappy with several blocks and several chunks per block."""
    out = io.BytesIO()
    for start in range(0, len(data), block):
        piece = data[start : start + block]
        out.write(len(piece).to_bytes(4, "big"))
        for offset in range(0, len(piece), chunk):
            compressed = snappy.compress(piece[offset : offset + chunk])
            out.write(len(compressed).to_bytes(4, "big"))
            out.write(compressed)
    return out.getvalue()


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("part-0", data[:5000])
        archive.writestr("part-1", data[5000:])
    return buffer.getvalue()


def parquet(rows: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(rows))}), buffer, compression="snappy")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("2026/11/26/09/s-1-2026-11-26-09-00-00-abc", LINES),
        ("2026/11/26/09/s-1-2026-11-26-09-00-00-abc.gz", gzip.compress(LINES)),
        ("2026/11/26/09/s-1-2026-11-26-09-00-00-abc.zip", zipped(LINES)),
        ("2026/11/26/09/s-1-2026-11-26-09-00-00-abc.snappy", framed_snappy(LINES)),
        ("2026/11/26/09/s-1-2026-11-26-09-00-00-abc.hsnappy", hadoop_snappy(LINES)),
        ("custom-extension.json", gzip.compress(LINES)),  # sniffed by magic bytes
        ("custom-extension.bin", framed_snappy(LINES)),
    ],
)
def test_every_compression_decodes_to_the_same_lines(key: str, body: bytes) -> None:
    decoded = decode_object(key, body)
    assert decoded.data == LINES
    assert count_records(key, body) == 1000


def test_gzip_with_several_members() -> None:
    body = gzip.compress(LINES[:100]) + gzip.compress(LINES[100:])
    assert count_records("x.gz", body) == 1000


def test_parquet_rows_are_counted() -> None:
    assert count_records("2026/11/26/s-1-x.parquet", parquet(1234)) == 1234
    assert count_records("no-extension", parquet(7)) == 7


def test_blank_lines_and_missing_final_newline() -> None:
    assert count_lines(b'{"a":1}\n\n  \n{"b":2}') == 2
    assert count_lines(b"") == 0


def test_missing_python_snappy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snappy", None)
    with pytest.raises(MissingDependencyError, match=r"python-snappy, which is not installed \(pip install"):
        decode_object("x.snappy", framed_snappy(LINES))
    with pytest.raises(MissingDependencyError, match="Hadoop-Snappy"):
        decode_object("x.hsnappy", hadoop_snappy(LINES))


def test_missing_pyarrow_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match="needs pyarrow"):
        decode_object("x.parquet", parquet(3))


@pytest.mark.parametrize("key", ["broken.gz", "broken.zip", "broken.snappy", "broken.hsnappy", "broken.parquet"])
def test_corrupt_objects_are_unreadable_not_crashes(key: str) -> None:
    with pytest.raises(UnreadableObjectError, match="broken"):
        decode_object(key, b"\x00\x01\x02 definitely not compressed \xff" * 3)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("errors/processing-failed/2026/11/26/09/s-1-x", "processing-failed"),
        ("processing-failed/2026/11/26/09/s-1-x", "processing-failed"),
        ("myPrefix/processing_failed/2026/s-1-x", "processing_failed"),
        ("e/format-conversion-failed/2026/s-1-x.gz", "format-conversion-failed"),
        ("e/AmazonOpenSearchService-failed/x", "AmazonOpenSearchService-failed"),
        ("e/decompression-failed/x", "decompression-failed"),
        ("e/activePartitionExceeded/2026/x", "activePartitionExceeded"),
        ("data/2026/11/26/09/s-1-2026-x", None),
        ("data/2026/11/26/09/stream-failed", None),  # the file name is not a folder
    ],
)
def test_error_folders_are_recognised(key: str, expected: str | None) -> None:
    assert error_output_type(key) == expected


def test_explicit_error_prefix() -> None:
    assert error_output_type("oops/2026/x", "oops/") == "error-prefix"
    assert error_output_type("data/2026/x", "oops/") is None


def test_error_records_are_decoded() -> None:
    raw = b'{"a":1}\n{"a":2}\n'
    body = "\n".join(
        [
            json.dumps(
                {"attemptsMade": 4, "errorCode": "Lambda.FunctionError", "rawData": base64.b64encode(raw).decode()}
            ),
            json.dumps({"lastErrorCode": "DataFormatConversion.X", "rawData": base64.b64encode(b"z").decode()}),
            "not json",
            json.dumps({"no": "raw"}),
            json.dumps({"rawData": "%%%"}),
            "",
        ]
    ).encode()
    records = list(iter_error_records("e/processing-failed/x.gz", gzip.compress(body)))
    assert [(r.line_number, r.raw_data, r.error_code, r.problem) for r in records] == [
        (1, raw, "Lambda.FunctionError", None),
        (2, b"z", "DataFormatConversion.X", None),
        (3, None, None, "not JSON"),
        (4, None, None, "no rawData"),
        (5, None, None, "rawData is not base64"),
    ]


def test_parse_since() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert parse_since("15m", now) == now - timedelta(minutes=15)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("1h30m", now) == now - timedelta(minutes=90)
    assert parse_since("90s", now) == now - timedelta(seconds=90)
    assert parse_since("1d", now) == now - timedelta(days=1)
    assert parse_since("2026-11-26T09:00:00Z") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert parse_since("2026-11-26T10:00:00+01:00") == datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert parse_since("2026-11-26 09:00") == datetime(2026, 11, 26, 9, tzinfo=UTC)  # naive = UTC
    for bad in ("yesterday", "15x", "", "m"):
        with pytest.raises(ValueError, match="ISO-8601"):
            parse_since(bad, now)

"""Input lines into Firehose records, virtual arrival times, and Kinesis record metadata."""

from __future__ import annotations

import hashlib
import io
import random

import pytest

from firehose_s3_client.simulate.input_records import ArrivalClock, InputStats, KinesisMetadata, read_records


def _read(data: bytes, mode: str, limit: int = 1_024_000) -> tuple[list[bytes], InputStats]:
    stats = InputStats()
    records = [
        record for block in read_records(io.BytesIO(data), mode=mode, limit=limit, stats=stats) for record in block
    ]
    return records, stats


def test_lines_mode_normalizes_line_endings_and_skips_blank_lines() -> None:
    records, stats = _read(b'{"a":1}\r\n\n   \n{"b":2}\n{"c":3}', "lines")
    assert records == [b'{"a":1}\n', b'{"b":2}\n', b'{"c":3}\n']
    assert (stats.lines, stats.blank_lines) == (5, 2)


def test_raw_mode_keeps_every_byte() -> None:
    records, _ = _read(b"a\r\n\nb", "raw")
    assert records == [b"a\r\n", b"\n", b"b"]


def test_records_over_the_api_limit_are_rejected_with_their_line_number() -> None:
    records, stats = _read(b"ok\n\n" + b"x" * 20 + b"\nfine\n", "lines", limit=10)
    assert records == [b"ok\n", b"fine\n"]
    assert stats.rejected == [(3, 21, "over the API's record size limit")]
    assert stats.rejected_count == 1


def test_lines_split_across_read_chunks() -> None:
    line = b"y" * 1000 + b"\n"
    records, stats = _read(line * 3000, "lines")  # ~3 MB: several 1 MiB reads
    assert records == [line] * 3000
    assert stats.lines == 3000


def test_aggregate_packs_lines_as_the_producer_does() -> None:
    lines = [b'{"n":%d}' % i for i in range(1200)]
    records, stats = _read(b"\n".join(lines) + b"\n", "aggregate")
    assert b"".join(records) == b"".join(line + b"\n" for line in lines)
    assert [record.count(b"\n") for record in records] == [500, 500, 200]  # de-aggregation's 500 limit
    assert stats.lines == 1200


def test_arrivals_follow_the_rate() -> None:
    clock = ArrivalClock(1000, rate=3.0)
    assert clock.times(4) == [1000, 1333, 1666, 2000]
    assert clock.times(1) == [2333]
    assert clock.last == 2333
    with pytest.raises(ValueError, match="positive"):
        ArrivalClock(0, rate=0)


def test_kinesis_metadata_maps_partition_keys_to_shards_by_md5() -> None:
    metadata = KinesisMetadata(4, random.Random(1)).metadata([5, 6, 7, 8, 9, 10, 11, 12])
    sequences: dict[str, list[int]] = {}
    for entry, arrival in zip(metadata, range(5, 13), strict=True):
        shard = int.from_bytes(hashlib.md5(entry["partitionKey"].encode()).digest(), "big") * 4 >> 128
        assert entry["shardId"] == f"shardId-{shard:012d}"
        assert entry["approximateArrivalTimestamp"] == arrival
        assert len(entry["sequenceNumber"]) == 56
        assert entry["subsequenceNumber"] == 0
        sequences.setdefault(entry["shardId"], []).append(int(entry["sequenceNumber"]))
    assert all(numbers == sorted(numbers) for numbers in sequences.values())


def test_base64_lines_carry_binary_records() -> None:
    import base64
    import gzip

    binary = gzip.compress(b'{"logEvents":[]}\n\n')  # may hold newlines: cannot be a text line
    data = base64.b64encode(binary) + b"\n\n" + base64.b64encode(b"x" * 100) + b"\nnot base64!\n"
    records, stats = _read(data, "base64", limit=len(binary))
    assert records == [binary]
    assert stats.rejected[0] == (3, 100, "over the API's record size limit")  # the size of the decoded data
    records, stats = _read(data, "base64")
    assert records == [binary, b"x" * 100]
    assert stats.blank_lines == 1
    assert stats.rejected == [(4, 11, "not base64")]

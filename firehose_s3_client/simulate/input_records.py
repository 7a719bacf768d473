"""``simulate``'s input: lines read in blocks and turned into Firehose records, and their virtual arrival times.

Three ways to turn lines into records (each record is what one ``PutRecord`` would carry):

* default: one record per non-blank line, its line ending normalized to ``\\n`` (what ``aws firehose
  put-record`` with a newline-terminated document sends, and ``firehose-s3 put --no-aggregate``);
* ``raw``: every line's bytes exactly as read, line ending included (blank lines too);
* ``base64``: each non-blank line is the base64 of one record (binary records, such as the gzip records a
  CloudWatch Logs subscription sends; the form ``aws firehose put-record`` takes its ``Data`` in);
* ``aggregate``: the lines packed into records by :class:`~firehose_s3_client.producer.FirehoseProducer`
  itself (whole lines, up to 1,024,000 bytes and 500 lines per record), exactly as ``firehose-s3 put`` packs
  them: its ``PutRecordBatch`` calls go to the engine instead of AWS.

A record the API would refuse (over 1,024,000 bytes; 1 MiB for a Kinesis data stream's ``PutRecord``) never
enters the stream: it is counted in ``records_rejected`` with its line number, not in ``records_in``.

Arrival times: record ``i`` arrives at ``start + floor(i * 1000 / rate)`` milliseconds. For a stream that reads
a Kinesis data stream each record also gets simulated ``kinesisRecordMetadata``: a partition key (a UUID
from the run's seed), the shard its MD5 hash maps to among the stream's shards (equal hash-key ranges, as a
new stream has), and a per-shard increasing 56-digit sequence number.
"""

from __future__ import annotations

import binascii
import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from firehose_transform.contract import MAX_RECORD_BYTES

__all__ = ["ArrivalClock", "InputStats", "KinesisMetadata", "read_records"]

#: Kinesis Data Streams PutRecord: data + partition key at most 1 MiB.
KINESIS_MAX_RECORD_BYTES = 1024 * 1024
CHUNK_BYTES = 1 << 20


@dataclass
class InputStats:
    """What the input held besides records."""

    lines: int = 0
    blank_lines: int = 0
    #: (line number, bytes, why) of the first 100 lines that did not become records.
    rejected: list[tuple[int, int, str]] = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, line_number: int, size: int, reason: str = "over the API's record size limit") -> None:
        self.rejected_count += 1
        if len(self.rejected) < 100:
            self.rejected.append((line_number, size, reason))


class ArrivalClock:
    """Virtual arrival times: ``start_ms`` then one record every ``1000 / rate`` ms."""

    def __init__(self, start_ms: int, rate: float) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.start_ms = start_ms
        self.rate = rate
        self.count = 0

    def times(self, n: int) -> list[int]:
        first = self.count
        self.count += n
        start, rate = self.start_ms, self.rate
        return [start + int(i * 1000 / rate) for i in range(first, first + n)]

    @property
    def last(self) -> int:
        """The arrival time of the last record (the start when there was none)."""
        return self.start_ms if self.count == 0 else self.start_ms + int((self.count - 1) * 1000 / self.rate)


class KinesisMetadata:
    """Simulated ``kinesisRecordMetadata`` for records read from a Kinesis data stream (module docstring)."""

    def __init__(self, shards: int, rng: random.Random) -> None:
        self.shards = max(1, shards)
        self.rng = rng
        self.sequence = [0] * self.shards

    def metadata(self, arrivals: list[int]) -> list[dict[str, Any]]:
        out = []
        for arrival in arrivals:
            key = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            shard = (
                int.from_bytes(hashlib.md5(key.encode(), usedforsecurity=False).digest(), "big") * self.shards >> 128
            )
            self.sequence[shard] += 1
            out.append(
                {
                    "shardId": f"shardId-{shard:012d}",
                    "partitionKey": key,
                    "approximateArrivalTimestamp": arrival,
                    "sequenceNumber": f"49{shard:03d}{self.sequence[shard]:051d}",
                    "subsequenceNumber": 0,
                }
            )
        return out


def read_records(
    source: IO[bytes], *, mode: str, limit: int, stats: InputStats, stream_name: str = "simulated"
) -> Iterator[list[bytes]]:
    """Blocks of Firehose records from ``source`` (``mode``: ``lines``, ``raw``, ``base64`` or ``aggregate``)."""
    if mode == "aggregate":
        yield from _aggregated(source, limit=limit, stats=stats, stream_name=stream_name)
        return
    for block, terminated in _line_blocks(source):
        first = stats.lines + 1
        stats.lines += len(block)
        # base64 lines are checked (and their sizes) as they are decoded
        records = _decoded(block, first, limit, stats) if mode == "base64" else _records(block, mode, terminated)
        if mode == "lines":
            stats.blank_lines += len(block) - len(records)
        if mode != "base64" and records and max(map(len, records)) > limit:
            records = _without_oversized(block, first=first, mode=mode, terminated=terminated, limit=limit, stats=stats)
        if records:
            yield records


def _records(block: list[bytes], mode: str, terminated: bool) -> list[bytes]:
    if mode == "raw":
        return [line + b"\n" for line in block] if terminated else block
    lines = [line.rstrip(b"\r") for line in block] if any(b"\r" in line for line in block) else block
    return [line + b"\n" for line in lines if line.strip(b" \t\r")]


def _decoded(block: list[bytes], first: int, limit: int, stats: InputStats) -> list[bytes]:
    """``base64`` mode: each non-blank line is one record's data, base64-encoded (binary records)."""
    records = []
    for number, line in enumerate(block, start=first):
        text = line.strip()
        if not text:
            stats.blank_lines += 1
            continue
        try:
            record = binascii.a2b_base64(text, strict_mode=True)
        except binascii.Error:
            stats.reject(number, len(line), "not base64")
            continue
        if len(record) > limit:
            stats.reject(number, len(record))
        else:
            records.append(record)
    return records


def _line_blocks(source: IO[bytes]) -> Iterator[tuple[list[bytes], bool]]:
    """The input's lines in blocks, without their ``\n`` (``terminated`` is False only for a last line that
    had none), read 1 MiB at a time: the splitting is done in C, not line by line."""
    pending = b""
    while chunk := source.read(CHUNK_BYTES):
        pieces = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = pieces.pop()
        if pieces:
            yield pieces, True
    if pending:
        yield [pending], False


def _without_oversized(
    block: list[bytes], *, first: int, mode: str, terminated: bool, limit: int, stats: InputStats
) -> list[bytes]:
    """The block's records without those the API would refuse, each counted with its line number."""
    kept = []
    for number, line in enumerate(block, start=first):
        for record in _records([line], mode, terminated):
            if len(record) > limit:
                stats.reject(number, len(record))
            else:
                kept.append(record)
    return kept


class _LocalFirehose:
    """A FirehoseClient for the producer: ``PutRecordBatch`` hands the records to the engine's input."""

    def __init__(self, emit: Callable[[list[bytes]], None]) -> None:
        self.emit = emit
        self.calls = 0

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        self.emit([bytes(record["Data"]) for record in Records])
        return {
            "FailedPutCount": 0,
            "RequestResponses": [{"RecordId": f"{self.calls}-{i}"} for i in range(len(Records))],
        }


def _aggregated(source: IO[bytes], *, limit: int, stats: InputStats, stream_name: str) -> Iterator[list[bytes]]:
    from firehose_s3_client.producer import FirehoseProducer, RecordTooLargeError

    ready: list[list[bytes]] = []
    # No time-based sends: packing depends on the lines only (the clock here is virtual).
    producer = FirehoseProducer(
        stream_name, client=_LocalFirehose(ready.append), aggregate=True, max_buffered_seconds=None
    )
    for lines, _ in _line_blocks(source):
        for line in lines:
            stats.lines += 1
            body = line.rstrip(b"\r")
            if not body.strip(b" \t\r"):
                stats.blank_lines += 1
                continue
            try:
                producer.put(body + b"\n")
            except RecordTooLargeError:
                stats.reject(stats.lines, len(body) + 1)
            while ready:
                yield ready.pop(0)
    producer.close()
    while ready:
        yield ready.pop(0)


def record_limit(kinesis_source: bool) -> int:
    """The largest record the stream's source API accepts."""
    return KINESIS_MAX_RECORD_BYTES if kinesis_source else MAX_RECORD_BYTES

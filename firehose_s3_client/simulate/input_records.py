"""``simulate``'s input: lines read in blocks and turned into Firehose records, and their virtual arrival times.

Three ways to turn lines into records (each record is what one ``PutRecord`` would carry):

* default: one record per non-blank line, its line ending normalized to ``\\n`` (what ``aws firehose
  put-record`` with a newline-terminated document sends, and ``firehose-s3 put --no-aggregate``);
* ``raw``: every line's bytes exactly as read, line ending included (blank lines too);
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
BLOCK_RECORDS = 8192


@dataclass
class InputStats:
    """What the input held besides records."""

    lines: int = 0
    blank_lines: int = 0
    rejected: list[tuple[int, int]] = field(default_factory=list)  # (line number, bytes), the first 100

    rejected_count: int = 0

    def reject(self, line_number: int, size: int) -> None:
        self.rejected_count += 1
        if len(self.rejected) < 100:
            self.rejected.append((line_number, size))


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


def _lines(source: IO[bytes], stats: InputStats) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(source, start=1):
        stats.lines = number
        yield number, line


def read_records(
    source: IO[bytes], *, mode: str, limit: int, stats: InputStats, stream_name: str = "simulated"
) -> Iterator[list[bytes]]:
    """Blocks of Firehose records from ``source`` (``mode``: ``lines``, ``raw`` or ``aggregate``)."""
    if mode == "aggregate":
        yield from _aggregated(source, limit=limit, stats=stats, stream_name=stream_name)
        return
    block: list[bytes] = []
    for number, line in _lines(source, stats):
        if mode == "lines":
            body = line.rstrip(b"\r\n")
            if not body.strip(b" \t\r"):
                stats.blank_lines += 1
                continue
            record = body + b"\n"
        else:
            record = line
        if len(record) > limit:
            stats.reject(number, len(record))
            continue
        block.append(record)
        if len(block) >= BLOCK_RECORDS:
            yield block
            block = []
    if block:
        yield block


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
    for number, line in _lines(source, stats):
        body = line.rstrip(b"\r\n")
        if not body.strip(b" \t\r"):
            stats.blank_lines += 1
            continue
        if len(body) + 1 > limit:
            stats.reject(number, len(body) + 1)
            continue
        try:
            producer.put(body + b"\n")
        except RecordTooLargeError:
            stats.reject(number, len(body) + 1)
        while ready:
            yield ready.pop(0)
    producer.close()
    while ready:
        yield ready.pop(0)


def record_limit(kinesis_source: bool) -> int:
    """The largest record the stream's source API accepts."""
    return KINESIS_MAX_RECORD_BYTES if kinesis_source else MAX_RECORD_BYTES

"""The event Firehose sends its transform Lambda, built from sample lines (Direct PUT or a Kinesis source)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from typing import Any, Final

from firehose_s3_client.sample_data.lines import lines
from firehose_s3_client.sample_data.records import START_MS

ACCOUNT: Final = "123456789012"
REGION: Final = "us-east-1"
#: What a Firehose record id looks like (56 digits); the last 8 are the record's index.
_RECORD_ID_PREFIX: Final = "495469866831355442865074579363216256757001924711"
_SHARDS: Final = 4


def firehose_event(
    payloads: Iterable[bytes],
    *,
    kinesis: bool = False,
    first_index: int = 0,
    arrival_ms: int = START_MS,
    stream_name: str = "sample",
    region: str = REGION,
) -> dict[str, Any]:
    """The event Firehose sends its transform Lambda for these record payloads (one record each).

    Direct PUT by default; with ``kinesis``, as from a Kinesis Data Stream source: the event has
    ``sourceKinesisStreamArn`` and each record ``kinesisRecordMetadata`` (records spread over 4 shards).
    Record ``i`` (counting from ``first_index``) arrived at ``arrival_ms + i``.
    """
    records: list[dict[str, Any]] = []
    for index, payload in enumerate(payloads, first_index):
        record: dict[str, Any] = {
            "recordId": f"{_RECORD_ID_PREFIX}{index:08d}",
            "approximateArrivalTimestamp": arrival_ms + index,
            "data": base64.b64encode(payload).decode("ascii"),
        }
        if kinesis:
            record["kinesisRecordMetadata"] = {
                "shardId": f"shardId-{index % _SHARDS:012d}",
                "partitionKey": f"{index * 2_654_435_761 % 2**32:08x}",
                "approximateArrivalTimestamp": arrival_ms + index,
                "sequenceNumber": f"4959{index // _SHARDS:052d}",
                "subsequenceNumber": 0,
            }
        records.append(record)
    event: dict[str, Any] = {
        "invocationId": "00540a87-5050-496a-84e4-e7d92bbaf5e2",
        "deliveryStreamArn": f"arn:aws:firehose:{region}:{ACCOUNT}:deliverystream/{stream_name}",
        "region": region,
        "records": records,
    }
    if kinesis:
        event["sourceKinesisStreamArn"] = f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{stream_name}-source"
    return event


def take_bytes(payloads: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The payloads, in order, as long as their total stays within ``limit`` bytes."""
    total = 0
    for payload in payloads:
        total += len(payload)
        if total > limit:
            return
        yield payload


def event_of_size(
    kind: str, data_bytes: int, *, seed: int = 0, kinesis: bool = False, bad_share: float = 0.0
) -> dict[str, Any]:
    """A Firehose event of ``kind`` lines whose record data (decoded) totals at most ``data_bytes``, as full as fits."""
    return firehose_event(take_bytes(lines(kind, seed, bad_share=bad_share), data_bytes), kinesis=kinesis)

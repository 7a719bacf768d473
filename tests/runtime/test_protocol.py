"""The record protocol: exact serialized sizes, and the metadata a user function gets for a record."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform import KinesisMetadata, RecordMetadata
from firehose_transform.engine import Engine
from firehose_transform.protocol import failed_size, record_size, response_size
from firehose_transform.shapes import ResponseRecord

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]


SAMPLE_RECORDS: list[ResponseRecord] = [
    {"recordId": "4954698668313554428650745793632167567570019247115678515400", "result": "Ok", "data": "e30K"},
    {"recordId": 'r-ü-😀-"-\\-\n', "result": "Dropped", "data": "e30="},
    {"recordId": "x", "result": "ProcessingFailed", "data": 'not base64: "é\\\x01'},
    {"recordId": "y", "result": "Ok", "data": "", "metadata": {"partitionKeys": {}}},
    {
        "recordId": "z",
        "result": "Ok",
        "data": "e30K",
        "metadata": {"partitionKeys": {"tenant": 'ä"b', "year": "2024", "😀": "\u2028"}},
    },
]


@pytest.mark.parametrize("record", SAMPLE_RECORDS)
def test_record_size_is_the_serialized_size(record: ResponseRecord) -> None:
    assert record_size(record) == len(json.dumps(record))


def test_response_size_is_the_serialized_size() -> None:
    assert response_size([]) == len(json.dumps({"records": []}))
    assert response_size(SAMPLE_RECORDS) == len(json.dumps({"records": SAMPLE_RECORDS}))
    assert failed_size("id", "e30=") == len(
        json.dumps({"recordId": "id", "result": "ProcessingFailed", "data": "e30="})
    )


def test_metadata_of_a_kinesis_record(make_engine: EngineFactory, event_of: EventFactory) -> None:
    seen: list[RecordMetadata] = []

    def capture(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
        seen.append(meta)
        return doc

    make_engine(user_function=capture).process(event_of({"a": 1}, kinesis=True))
    assert seen == [
        RecordMetadata(
            "r0",
            approximate_arrival_timestamp=1_700_000_000_000,
            kinesis=KinesisMetadata(
                shard_id="shardId-000000000001",
                partition_key="pk0",
                sequence_number="49590000000000000000000000000000000000000000000000000000",
                subsequence_number=0,
                approximate_arrival_timestamp=1_700_000_000_000,
            ),
            source_kinesis_stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/source",
            delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/test",
            invocation_id="invocation-1",
            region="us-east-1",
        )
    ]
    assert "shard_id='shardId-000000000001'" in repr(seen[0])


def test_metadata_of_a_direct_put_record(make_engine: EngineFactory, event_of: EventFactory) -> None:
    seen: list[RecordMetadata] = []

    def capture(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
        seen.append(meta)
        return doc

    make_engine(user_function=capture).process(event_of({"a": 1}))
    assert seen[0].kinesis is None
    assert seen[0].source_kinesis_stream_arn is None
    assert seen[0].approximate_arrival_timestamp == 1_700_000_000_000

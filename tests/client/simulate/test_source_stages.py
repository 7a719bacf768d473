"""Splitting and decompressing records as they arrive."""

from __future__ import annotations

import gzip
import json

from firehose_s3_client.simulate.processor_config import ProcessingConfig, RecordDeAggregation
from firehose_s3_client.simulate.record_batch import RecordBatch
from firehose_s3_client.simulate.source_stages import (
    MAX_SUB_RECORDS,
    SourceStages,
    extract_messages,
    split_delimited,
    split_json,
)


def test_json_splitting() -> None:
    assert split_json(b'{"a":1}{"b":[1,2]}\n {"c":"}{"} 7') == [b'{"a":1}', b'{"b":[1,2]}', b'{"c":"}{"}', b"7"]
    assert split_json(b'{"a":1} trailing') is None
    assert split_json(b"\xff") is None
    assert split_json(b"  ") == []


def test_delimited_splitting_drops_empty_parts() -> None:
    assert split_delimited(b"##a####b##", b"##") == [b"a", b"b"]


def test_cloudwatch_messages() -> None:
    document = {"messageType": "DATA_MESSAGE", "logEvents": [{"message": "é one"}, {"message": "two"}]}
    assert extract_messages(json.dumps(document).encode()) == ["é one".encode(), b"two"]


def test_more_than_500_sub_records_go_on_whole() -> None:
    stages = SourceStages(
        ProcessingConfig(deaggregation=RecordDeAggregation("JSON")),
        on_failure=lambda *args: None,
        on_split=lambda source, parts: None,
        on_empty=lambda source: None,
    )
    big = b"1 " * (MAX_SUB_RECORDS + 1)
    out = stages.apply(RecordBatch([big, b"1 2"], [0, 1], [0, 1]))
    assert out.datas == [big, b"1", b"2"]
    assert out.sources == [0, 1, 1]


def test_decompression_failures_are_handed_back_with_the_record() -> None:
    from firehose_s3_client.simulate.processor_config import Decompression

    failures: list[tuple[bytes, str]] = []
    stages = SourceStages(
        ProcessingConfig(decompression=Decompression()),
        on_failure=lambda raw, arrival, source, code, message: failures.append((raw, code)),
        on_split=lambda source, parts: None,
        on_empty=lambda source: None,
    )
    out = stages.apply(RecordBatch([gzip.compress(b"hello"), b"plain"], [0, 1], [0, 1]))
    assert out.datas == [b"hello"]
    assert out.raws == [gzip.compress(b"hello")]
    assert failures == [(b"plain", "Decompression.Failed")]


def test_records_with_nothing_to_deliver_are_dropped() -> None:
    from firehose_s3_client.simulate.processor_config import CloudWatchLogProcessing, Decompression

    empty: list[int] = []
    split: list[tuple[int, int]] = []
    stages = SourceStages(
        ProcessingConfig(decompression=Decompression(), cloudwatch_logs=CloudWatchLogProcessing(True)),
        on_failure=lambda *args: None,
        on_split=lambda source, parts: split.append((source, parts)),
        on_empty=empty.append,
    )
    no_events = gzip.compress(json.dumps({"messageType": "CONTROL_MESSAGE", "logEvents": []}).encode())
    two = gzip.compress(json.dumps({"logEvents": [{"message": "a"}, {"message": "b"}]}).encode())
    out = stages.apply(RecordBatch([no_events, two], [0, 1], [0, 1]))
    assert (out.datas, out.sources) == ([b"a", b"b"], [1, 1])
    assert (empty, split) == ([0], [(1, 2)])

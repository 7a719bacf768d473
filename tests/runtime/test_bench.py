"""The benchmark's event generators (not its timings): realistic sizes, valid Firehose events."""

from __future__ import annotations

import base64
import json

import pytest

from benchmarks.transform_bench import (
    MIB,
    event_data_bytes,
    iot_document,
    make_event,
    seed_handler,
    weblog_document,
)


@pytest.mark.parametrize(("kind", "low", "high"), [("weblog", 450, 560), ("iot", 130, 175)])
def test_generated_records_have_realistic_sizes(kind: str, low: int, high: int) -> None:
    event = make_event(kind, MIB)
    records = event["records"]
    total = event_data_bytes(event)
    assert MIB - high <= total <= MIB  # fills the target without exceeding it
    assert low <= total / len(records) <= high
    docs = [json.loads(base64.b64decode(r["data"])) for r in records[:50]]
    assert all(isinstance(doc, dict) for doc in docs)
    assert len({r["recordId"] for r in records}) == len(records)
    assert all(len(r["recordId"]) == 56 for r in records)


def test_generators_are_deterministic_and_varied() -> None:
    assert make_event("iot", 20_000) == make_event("iot", 20_000)
    assert make_event("iot", 20_000, seed=1) != make_event("iot", 20_000, seed=2)
    import random

    rng = random.Random(3)
    assert "email" in weblog_document(rng, 0)
    assert "email" not in iot_document(rng, 0)


def test_kinesis_variant_and_the_seed_baseline() -> None:
    event = make_event("weblog", 50_000, kinesis=True)
    assert event["sourceKinesisStreamArn"].startswith("arn:aws:kinesis:")
    assert {"shardId", "sequenceNumber"} <= set(event["records"][0]["kinesisRecordMetadata"])
    response = seed_handler(event, None)
    first = base64.b64decode(response["records"][0]["data"])
    assert first.endswith(b"\n")
    assert "email" not in json.loads(first)

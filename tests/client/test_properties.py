"""Property tests: with random faults every record arrives at least once, or is surfaced as failed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from producer_fakes import FakeClock, FaultyFirehose

from firehose_s3_client.producer import DeliveryFailedError, FailedRecord, FirehoseProducer, RetryPolicy

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Payload sizes from tiny to larger than an aggregate, so aggregates, batch byte limits and lone
# records all occur with the small limits configured below.
payloads = st.one_of(st.integers(0, 200), st.integers(200, 9000))
kinds = st.sampled_from(["dict", "str", "bytes", "bytes-nl"])
records_strategy = st.lists(st.tuples(kinds, payloads), min_size=1, max_size=250)
faults = st.fixed_dictionaries(
    {
        "p_throttle": st.floats(0, 0.3),
        "p_timeout": st.floats(0, 0.3),
        "p_entry_error": st.floats(0, 0.5),
    }
)
layouts = st.fixed_dictionaries(
    {
        "aggregate": st.booleans(),
        "aggregate_max_bytes": st.integers(5120, 20_000),
        "aggregate_max_records": st.integers(1, 30),
        "max_batch_records": st.integers(1, 20),
        "max_batch_bytes": st.integers(1, 40_000),
        "max_buffer_records": st.integers(1, 200),
    }
)


def build(index: int, kind: str, size: int) -> object:
    """A record whose line starts with a unique id, so arrivals can be counted."""
    if kind == "dict":
        return {"id": index, "pad": "x" * size}
    text = f'{{"id":{index},"pad":"{"y" * size}"}}'
    if kind == "str":
        return text
    return text.encode() + (b"\n" if kind == "bytes-nl" else b"")


def ids_of(lines: list[bytes]) -> Counter[int]:
    return Counter(int(json.loads(line)["id"]) for line in lines)


def producer_for(client: FaultyFirehose, clock: FakeClock, layout: dict[str, Any], **options: Any) -> FirehoseProducer:
    return FirehoseProducer(
        "stream-1",
        client=client,
        sleep=clock.sleep,
        clock=clock.clock,
        random=client.rng.random,
        max_buffered_seconds=None,
        **layout,
        **options,
    )


@SETTINGS
@given(records=records_strategy, fault=faults, layout=layouts, seed=st.integers(0, 2**32))
def test_every_record_arrives_at_least_once(
    *, records: list[tuple[str, int]], fault: dict[str, float], layout: dict[str, Any], seed: int
) -> None:
    client = FaultyFirehose(seed, max_records=layout["max_batch_records"], max_bytes=40_000, **fault)
    clock = FakeClock()
    # Generous bounds: with these fault rates exhaustion is practically impossible.
    policy = RetryPolicy(max_attempts=200, max_elapsed_seconds=1e12)
    with producer_for(client, clock, layout, retry=policy) as producer:
        for index, (kind, size) in enumerate(records):
            producer.put(build(index, kind, size))  # type: ignore[arg-type]
    arrived = ids_of(client.lines)
    assert set(arrived) == set(range(len(records)))
    stats = producer.stats
    assert stats.records_failed == 0
    assert stats.records_put == len(records)
    assert stats.records_delivered >= len(records)
    if fault["p_timeout"] == 0:
        # Without timeouts only entries that were not written are re-sent: no duplicates at all.
        assert all(count == 1 for count in arrived.values())


@SETTINGS
@given(
    records=records_strategy,
    fault=faults,
    layout=layouts,
    seed=st.integers(0, 2**32),
    max_attempts=st.integers(1, 3),
    use_callback=st.booleans(),
)
def test_exhausted_retries_surface_every_undelivered_record(
    *,
    records: list[tuple[str, int]],
    fault: dict[str, float],
    layout: dict[str, Any],
    seed: int,
    max_attempts: int,
    use_callback: bool,
) -> None:
    client = FaultyFirehose(seed, max_records=layout["max_batch_records"], max_bytes=40_000, **fault)
    clock = FakeClock()
    surfaced: list[FailedRecord] = []
    options: dict[str, Any] = {"retry": RetryPolicy(max_attempts=max_attempts)}
    if use_callback:
        options["on_failure"] = surfaced.extend
    producer = producer_for(client, clock, layout, **options)
    originals = [build(index, kind, size) for index, (kind, size) in enumerate(records)]
    for record in originals:
        try:
            producer.put(record)  # type: ignore[arg-type]
        except DeliveryFailedError as error:
            assert not use_callback
            surfaced.extend(error.failed_records)
    try:
        producer.close()
    except DeliveryFailedError as error:
        assert not use_callback
        surfaced.extend(error.failed_records)
    arrived = set(ids_of(client.lines))
    failed_ids = {int(json.loads(f.data)["id"]) for f in surfaced}
    # Nothing is lost silently: every record arrived or was handed back.
    assert arrived | failed_ids == set(range(len(records)))
    # Handed back as the caller's own objects, with an error code.
    for failure in surfaced:
        index = int(json.loads(failure.data)["id"])
        assert failure.record is originals[index]
        assert failure.error_code
    assert producer.stats.records_failed == len(surfaced)

"""Concurrent puts from several threads."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

from producer_fakes import FakeClock, FaultyFirehose, RecordingFirehose

from firehose_s3_client.producer import FirehoseProducer, RetryPolicy

THREADS = 8
PER_THREAD = 3000


def hammer(producer: FirehoseProducer) -> None:
    barrier = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        barrier.wait()
        for i in range(PER_THREAD):
            producer.put({"t": thread, "i": i, "pad": "z" * (i % 300)})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    producer.flush()


def test_concurrent_puts_deliver_every_record_exactly_once() -> None:
    observed: list[int] = []
    client = RecordingFirehose()
    producer = FirehoseProducer(
        "stream-1",
        client=client,
        aggregate_max_bytes=20_000,
        max_batch_records=25,
        max_buffer_bytes=100_000,
    )

    def slow_call() -> None:  # widen the window in which threads send concurrently
        observed.append(producer.buffered_bytes)
        time.sleep(0.0005)

    client.on_call = slow_call
    hammer(producer)
    keys = Counter((r["t"], r["i"]) for r in map(json.loads, client.lines))
    assert len(keys) == THREADS * PER_THREAD
    assert set(keys.values()) == {1}
    assert all(len(call) <= 25 for call in client.calls)
    assert all(len(data) <= 20_000 for data in client.records)
    assert max(observed) < 100_000
    stats = producer.stats
    assert stats.records_put == stats.records_delivered == THREADS * PER_THREAD
    assert stats.api_calls == len(client.calls)
    assert stats.payload_bytes == sum(len(d) for d in client.records)
    assert producer.buffered_records == producer.buffered_bytes == 0


def test_concurrent_puts_with_faults_lose_nothing() -> None:
    client = FaultyFirehose(7, p_throttle=0.1, p_timeout=0.1, p_entry_error=0.2)
    clock = FakeClock()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            clock.sleep(seconds)

    producer = FirehoseProducer(
        "stream-1",
        client=client,
        aggregate_max_bytes=8_000,
        max_batch_records=10,
        retry=RetryPolicy(max_attempts=100, max_elapsed_seconds=1e12),
        sleep=sleep,
        clock=clock.clock,
    )
    hammer(producer)
    keys = {(r["t"], r["i"]) for r in map(json.loads, client.lines)}
    assert len(keys) == THREADS * PER_THREAD
    assert producer.stats.records_failed == 0

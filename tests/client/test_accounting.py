"""Every record put is, at every moment, delivered, handed back, or pending, whatever fails; abort() and stops."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from producer_fakes import FakeClock, FaultyFirehose, RecordingFirehose, ScriptedFirehose, client_error, ok_response

from firehose_s3_client.producer import (
    MAX_BATCH_BYTES,
    DeliveryFailedError,
    FailedRecord,
    FirehoseProducer,
    ProducerClosedError,
    ProducerStats,
    RetryPolicy,
)

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def line(index: int, size: int) -> bytes:
    return b'{"id":%d,"pad":"%s"}\n' % (index, b"x" * size)


def balanced(stats: ProducerStats) -> bool:
    handed = stats.records_delivered + stats.records_failed + stats.records_not_attempted + stats.records_pending
    return stats.records_put == handed


operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 3000)),
        st.tuples(st.just("flush"), st.just(0)),
    ),
    min_size=1,
    max_size=120,
)
layouts = st.fixed_dictionaries(
    {
        "aggregate": st.booleans(),
        "aggregate_max_bytes": st.integers(5120, 12_000),
        "aggregate_max_records": st.integers(1, 20),
        "max_batch_records": st.integers(1, 10),
        "max_buffer_records": st.integers(1, 60),
    }
)
faults = st.fixed_dictionaries(
    {
        "p_throttle": st.floats(0, 0.3),
        "p_timeout": st.floats(0, 0.3),
        "p_entry_error": st.floats(0, 0.4),
        "p_permanent": st.floats(0, 0.1),
        "p_interrupt": st.floats(0, 0.1),
    }
)


@SETTINGS
@given(ops=operations, layout=layouts, fault=faults, seed=st.integers(0, 2**32), use_callback=st.booleans())
def test_every_record_is_in_exactly_one_place_whatever_fails(
    *, ops: list[tuple[str, int]], layout: dict[str, Any], fault: dict[str, float], seed: int, use_callback: bool
) -> None:
    client = FaultyFirehose(seed, max_records=layout["max_batch_records"], max_bytes=MAX_BATCH_BYTES, **fault)
    clock = FakeClock()
    handed_back: list[FailedRecord] = []
    producer = FirehoseProducer(
        "stream-1",
        client=client,
        sleep=clock.sleep,
        clock=clock.clock,
        random=client.rng.random,
        retry=RetryPolicy(max_attempts=3),
        max_buffered_seconds=None,
        on_failure=handed_back.extend if use_callback else None,
        **layout,
    )
    sent: list[bytes] = []
    for index, (op, size) in enumerate(ops):
        try:
            if op == "put":
                record = line(index, size)
                producer.put(record)
                sent.append(record)
            else:
                producer.flush()
        except DeliveryFailedError as error:
            assert not use_callback
            handed_back += error.failed_records
            if op == "put":
                sent.append(record)  # the record was buffered: the exception lists other records
        except KeyboardInterrupt:  # inside a call: the records of that call went back to the buffer
            if op == "put":
                sent.append(record)
        assert balanced(producer.stats)
    handed_back += producer.abort()
    stats = producer.stats
    assert stats.records_pending == 0
    assert balanced(stats)
    assert stats.records_put == len(sent)
    # The multiset equality, record by record: put == acknowledged + handed back.
    assert Counter(sent) == Counter(client.acknowledged_lines) + Counter(f.data for f in handed_back)
    assert stats.records_delivered == len(client.acknowledged_lines)
    # A record handed back as never sent was never in a call.
    stored = set(client.lines)
    assert not [f for f in handed_back if not f.attempted and f.data in stored]
    for failure in handed_back:
        assert failure.record is not None
        assert failure.error_code
    with pytest.raises(ProducerClosedError):
        producer.put(b"late\n")


def test_concurrent_puts_with_the_flush_thread_and_an_abort_lose_nothing() -> None:
    client = FaultyFirehose(11, p_throttle=0.1, p_timeout=0.1, p_entry_error=0.2)
    handed_back: list[FailedRecord] = []
    lock = threading.Lock()

    def collect(failures: list[FailedRecord]) -> None:
        with lock:
            handed_back.extend(failures)

    producer = FirehoseProducer(
        "stream-1",
        client=client,
        aggregate_max_bytes=6000,
        max_batch_records=5,
        max_buffered_seconds=0.005,
        retry=RetryPolicy(base_delay_seconds=0.001, max_delay_seconds=0.002, max_elapsed_seconds=0.05),
        on_failure=collect,
    )
    sent: list[list[bytes]] = [[] for _ in range(4)]

    def work(thread: int) -> None:
        for i in range(2000):
            record = b'{"t":%d,"i":%d}\n' % (thread, i)
            try:
                producer.put(record)
            except ProducerClosedError:
                return
            sent[thread].append(record)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    handed_back += producer.abort()
    for thread in threads:
        thread.join()
    stats = producer.stats
    assert stats.records_pending == 0
    assert balanced(stats)
    everything = [r for records in sent for r in records]
    assert Counter(everything) == Counter(client.acknowledged_lines) + Counter(f.data for f in handed_back)


# --------------------------------------------------------------------------- abort and stop requests


def test_abort_hands_back_the_buffer_as_never_attempted() -> None:
    client = RecordingFirehose()
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None)
    records = [{"n": n} for n in range(3)]
    for record in records:
        producer.put(record)
    failed = producer.abort()
    assert [f.record for f in failed] == records
    assert [f.data for f in failed] == [b'{"n":0}\n', b'{"n":1}\n', b'{"n":2}\n']
    assert {(f.error_code, f.attempted, f.retryable) for f in failed} == {("NotAttempted", False, True)}
    assert client.calls == []
    stats = producer.stats
    assert (stats.records_not_attempted, stats.records_failed, stats.records_pending) == (3, 0, 0)
    with pytest.raises(ProducerClosedError):
        producer.put({"n": 3})
    assert producer.abort() == []


class BlockingFirehose:
    """Holds every call until ``release`` is set; then accepts it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        self.entered.set()
        self.release.wait(10)
        return ok_response(len(Records))


def test_abort_waits_for_a_call_in_progress_then_counts_its_answer() -> None:
    client = BlockingFirehose()
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None)
    producer.put(b"in-flight")
    sender = threading.Thread(target=producer.flush)
    sender.start()
    assert client.entered.wait(5)
    producer.put(b"buffered")
    threading.Timer(0.2, client.release.set).start()
    failed = producer.abort()
    sender.join(5)
    assert [(f.data, f.error_code, f.attempted) for f in failed] == [(b"buffered\n", "NotAttempted", False)]
    assert producer.stats.records_delivered == 1


def test_abort_with_a_timeout_abandons_a_call_in_progress_without_counting_it_twice() -> None:
    client = BlockingFirehose()
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None)
    producer.put(b"in-flight")
    sender = threading.Thread(target=producer.flush)
    sender.start()
    assert client.entered.wait(5)
    failed = producer.abort(timeout=0.05)
    assert [(f.data, f.error_code, f.attempted) for f in failed] == [(b"in-flight\n", "InFlight", True)]
    client.release.set()  # the answer comes after all: it must not count any more
    sender.join(5)
    stats = producer.stats
    assert (stats.records_delivered, stats.records_failed, stats.records_pending) == (0, 1, 0)
    assert balanced(stats)


def test_request_stop_ends_the_backoff_and_the_retries() -> None:
    client = ScriptedFirehose([client_error("ThrottlingException")] * 50)
    producer = FirehoseProducer(
        "stream-1",
        client=client,
        max_buffered_seconds=None,
        retry=RetryPolicy(base_delay_seconds=30, max_delay_seconds=30),
        random=lambda: 0.999,
        on_failure=lambda failures: None,
    )
    producer.put(b"x")
    threading.Timer(0.2, producer.request_stop).start()
    started = time.monotonic()
    producer.flush()  # first call, then a ~30 s backoff that the stop request cuts short
    assert time.monotonic() - started < 10
    assert len(client.calls) == 1
    stats = producer.stats
    assert (stats.records_failed, stats.records_pending) == (1, 0)


def test_request_stop_leaves_batches_not_started_in_the_buffer_for_abort() -> None:
    client = RecordingFirehose()
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None, aggregate=False)
    producer.put(b"a")
    producer.request_stop()
    producer.flush()  # sends nothing once a stop was requested
    with pytest.raises(ProducerClosedError):
        producer.put(b"b")
    assert client.calls == []
    assert [(f.data, f.error_code) for f in producer.abort()] == [(b"a\n", "NotAttempted")]


def test_a_keyboard_interrupt_during_a_call_puts_its_records_back_marked_attempted() -> None:
    client = ScriptedFirehose([KeyboardInterrupt()])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None, aggregate=False)
    producer.put(b"a")
    producer.put(b"b")
    with pytest.raises(KeyboardInterrupt):
        producer.flush()
    stats = producer.stats
    assert stats.records_pending == 2
    assert producer.buffered_records == 2
    producer.flush()  # sent again: at least once
    assert client.calls == [[b"a\n", b"b\n"], [b"a\n", b"b\n"]]
    assert producer.stats.records_delivered == 2


def test_records_of_an_interrupted_call_are_handed_back_as_possibly_written() -> None:
    client = ScriptedFirehose([KeyboardInterrupt()])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None)
    producer.put(b"a")
    with pytest.raises(KeyboardInterrupt):
        producer.flush()
    [failure] = producer.abort()
    assert (failure.data, failure.error_code, failure.attempted) == (b"a\n", "Interrupted", True)


def test_the_main_thread_is_reported_in_a_call_only_while_it_waits_for_the_answer() -> None:
    seen: list[bool] = []

    class Observing(RecordingFirehose):
        def put_record_batch(self, **kwargs: Any) -> dict[str, Any]:
            seen.append(producer.main_thread_in_call)
            return super().put_record_batch(**kwargs)

    producer = FirehoseProducer("stream-1", client=Observing(), max_buffered_seconds=None)
    producer.put(b"x")
    assert not producer.main_thread_in_call
    producer.flush()
    assert seen == [True]
    assert not producer.main_thread_in_call


def test_stats_count_failures_once() -> None:
    client = ScriptedFirehose([client_error("ResourceNotFoundException")])
    producer = FirehoseProducer("stream-1", client=client, max_buffered_seconds=None, aggregate=False)
    for n in range(3):
        producer.put(json.dumps({"n": n}))
    with pytest.raises(DeliveryFailedError):
        producer.flush()
    stats = producer.stats
    assert (stats.records_failed, stats.records_not_attempted, stats.records_pending) == (3, 0, 0)
    assert producer.abort() == []

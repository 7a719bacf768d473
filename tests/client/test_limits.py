"""Record encoding, the service limits and the aggregation rules of FirehoseProducer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from producer_fakes import RecordingFirehose

from firehose_s3_client.producer import (
    MAX_BATCH_BYTES,
    MAX_RECORD_BYTES,
    FirehoseProducer,
    ProducerClosedError,
    RecordTooLargeError,
    billed_bytes,
    encode_record,
)


def make(client: RecordingFirehose, **options: Any) -> FirehoseProducer:
    """A producer that sends only when these tests make it (no time-based flush)."""
    return FirehoseProducer("stream-1", client=client, max_buffered_seconds=None, **options)


# --------------------------------------------------------------------------- encoding


def test_dict_becomes_compact_json_line() -> None:
    assert encode_record({"a": 1, "b": [1, 2], "é": "ü"}) == '{"a":1,"b":[1,2],"é":"ü"}\n'.encode()


def test_newline_is_added_once_and_never_doubled() -> None:
    assert encode_record("x") == b"x\n"
    assert encode_record("x\n") == b"x\n"
    assert encode_record(b"y") == b"y\n"
    assert encode_record(b"y\n") == b"y\n"
    assert encode_record(bytearray(b"z")) == b"z\n"
    assert encode_record(memoryview(b"w\n")) == b"w\n"


def test_json_default_and_nan_rejected() -> None:
    assert encode_record({"t": {1, 2}}, json_default=sorted) == b'{"t":[1,2]}\n'
    with pytest.raises(ValueError, match="Out of range float"):
        encode_record({"x": float("nan")})


@pytest.mark.parametrize("record", [b"", "", b"\n", "\n"])
def test_empty_records_rejected(record: bytes | str) -> None:
    with pytest.raises(ValueError, match="empty record"):
        encode_record(record)


def test_other_types_rejected() -> None:
    with pytest.raises(TypeError, match="bytes, str or dict, got int"):
        encode_record(42)


# --------------------------------------------------------------------------- record size limit (newline counted)


def test_record_of_exactly_the_limit_with_its_newline_is_accepted() -> None:
    client = RecordingFirehose()
    with make(client, aggregate=False) as producer:
        producer.put(b"a" * (MAX_RECORD_BYTES - 1))  # + the added newline = 1,024,000
        producer.put(b"b" * (MAX_RECORD_BYTES - 1) + b"\n")  # already newline-terminated
    assert [len(d) for d in client.records] == [MAX_RECORD_BYTES, MAX_RECORD_BYTES]


def test_one_byte_over_is_rejected_before_anything_is_sent() -> None:
    client = RecordingFirehose()
    producer = make(client)
    producer.put({"before": 1})
    with pytest.raises(RecordTooLargeError) as excinfo:
        producer.put(b"a" * MAX_RECORD_BYTES)  # 1,024,000 + newline = 1,024,001
    assert excinfo.value.size == MAX_RECORD_BYTES + 1
    assert excinfo.value.limit == MAX_RECORD_BYTES
    assert "1,024,001 bytes" in str(excinfo.value)
    assert "1,024,000 bytes" in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)
    assert client.calls == []
    assert producer.buffered_records == 1
    producer.flush()
    assert client.lines == [b'{"before":1}\n']
    assert producer.stats.records_put == 1


def test_str_limit_counts_utf8_bytes() -> None:
    with pytest.raises(RecordTooLargeError):
        encode_record("é" * (MAX_RECORD_BYTES // 2))  # 1,024,000 bytes of UTF-8, + newline


# --------------------------------------------------------------------------- batch limits


def test_exactly_500_records_is_one_call_501_is_two() -> None:
    client = RecordingFirehose()
    producer = make(client, aggregate=False)
    for i in range(500):
        producer.put({"i": i})
    assert [len(c) for c in client.calls] == [500]  # sent by put as soon as the batch was full
    producer.put({"i": 500})
    producer.flush()
    assert [len(c) for c in client.calls] == [500, 1]


def test_exactly_4_mib_is_one_call() -> None:
    client = RecordingFirehose()
    sizes = [MAX_RECORD_BYTES] * 4 + [MAX_BATCH_BYTES - 4 * MAX_RECORD_BYTES]
    assert sum(sizes) == MAX_BATCH_BYTES
    with make(client, aggregate=False) as producer:
        for size in sizes:
            producer.put(b"x" * (size - 1))
    assert [sum(len(d) for d in c) for c in client.calls] == [MAX_BATCH_BYTES]


def test_one_byte_over_4_mib_is_two_calls() -> None:
    client = RecordingFirehose()
    sizes = [MAX_RECORD_BYTES] * 4 + [MAX_BATCH_BYTES - 4 * MAX_RECORD_BYTES + 1]
    with make(client, aggregate=False) as producer:
        for size in sizes:
            producer.put(b"x" * (size - 1))
    assert [len(c) for c in client.calls] == [4, 1]
    assert all(sum(len(d) for d in c) <= MAX_BATCH_BYTES for c in client.calls)


def test_configured_batch_limits_are_respected() -> None:
    client = RecordingFirehose()
    with make(client, aggregate=False, max_batch_records=7, max_batch_bytes=1000) as producer:
        for i in range(100):
            producer.put(b"r" * (i % 50 + 10))
    assert all(len(c) <= 7 for c in client.calls)
    assert all(sum(len(d) for d in c) <= 1000 for c in client.calls)
    assert len(client.lines) == 100


# --------------------------------------------------------------------------- aggregation


def test_aggregation_packs_whole_lines_and_never_splits_one() -> None:
    client = RecordingFirehose()
    records = [{"i": i, "pad": "x" * (i * 37 % 3000)} for i in range(2000)]
    with make(client, aggregate_max_bytes=10_000) as producer:
        for record in records:
            producer.put(record)
    for data in client.records:
        assert len(data) <= 10_000
        assert data.endswith(b"\n")
    assert [json.loads(line) for line in client.lines] == records
    assert producer.stats.firehose_records == len(client.records) < len(records)


def test_aggregate_record_cap_defaults_to_the_deaggregation_limit_of_500() -> None:
    client = RecordingFirehose()
    with make(client) as producer:
        for i in range(1200):
            producer.put(b"%d" % i)
    assert [d.count(b"\n") for d in client.records] == [500, 500, 200]


def test_a_line_larger_than_the_aggregate_size_travels_alone() -> None:
    client = RecordingFirehose()
    with make(client, aggregate_max_bytes=5120) as producer:
        producer.put(b"a" * 10)
        producer.put(b"b" * 20_000)
        producer.put(b"c" * 10)
    assert [len(d) for d in client.records] == [11, 20_001, 11]


def test_the_room_left_in_a_batch_is_filled_with_whole_lines_cut_at_5_kib() -> None:
    client = RecordingFirehose()
    lines = [b'{"i":%05d,"pad":"%s"}\n' % (i, b"x" * 79) for i in range(600)]  # 100 bytes each
    assert {len(line) for line in lines} == {100}
    with make(client, aggregate_max_bytes=10_240, max_batch_bytes=30_000) as producer:
        for line in lines:
            producer.put(line)
    # Two 10,200-byte aggregates leave 9,600 bytes: 5,100 bytes (51 lines, within one 5 KiB increment) go too.
    assert [len(d) for d in client.calls[0]] == [10_200, 10_200, 5_100]
    assert all(sum(len(d) for d in call) <= 30_000 for call in client.calls)
    assert len(client.calls) == 3  # 60,000 bytes in calls of at most 30,000 (no call left a 9,600-byte gap)
    assert client.lines == lines  # in order, no line split
    # Billed exactly as the aggregates would be without the cut: five of 102 lines and one of 90.
    assert producer.stats.billed_bytes == 5 * billed_bytes(10_200) + billed_bytes(9_000)


def test_aggregation_cuts_billed_bytes_for_small_records() -> None:
    plain, packed = RecordingFirehose(), RecordingFirehose()
    with make(plain, aggregate=False) as one_by_one, make(packed) as aggregated:
        for i in range(5000):
            record = {"i": i, "pad": "x" * 80}
            one_by_one.put(record)
            aggregated.put(record)
    assert one_by_one.stats.payload_bytes == aggregated.stats.payload_bytes
    assert one_by_one.stats.billed_ratio > 50
    assert aggregated.stats.billed_ratio < 1.05
    assert plain.lines == packed.lines


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("aggregate_max_bytes", 5119, "aggregate_max_bytes must be between 5120 and 1024000 bytes, got 5119"),
        ("aggregate_max_bytes", 1_024_001, "aggregate_max_bytes must be between 5120 and 1024000 bytes, got 1024001"),
        ("aggregate_max_records", 0, "aggregate_max_records must be at least 1, got 0"),
        ("max_batch_records", 501, "max_batch_records must be between 1 and 500, got 501"),
        ("max_batch_bytes", MAX_BATCH_BYTES + 1, "max_batch_bytes must be between 1 and 4194304 bytes"),
        ("max_buffer_bytes", 0, "max_buffer_bytes must be at least 1"),
        ("max_buffer_records", 0, "max_buffer_records must be at least 1"),
    ],
)
def test_options_are_validated_with_the_option_name(option: str, value: int, message: str) -> None:
    options: dict[str, Any] = {option: value}
    with pytest.raises(ValueError, match=message):
        FirehoseProducer("s", client=RecordingFirehose(), **options)


def test_aggregate_size_bounds_are_accepted() -> None:
    FirehoseProducer("s", client=RecordingFirehose(), aggregate_max_bytes=5120)
    FirehoseProducer("s", client=RecordingFirehose(), aggregate_max_bytes=MAX_RECORD_BYTES)


@pytest.mark.parametrize("name", ["", "a" * 65, "bad name", "x/y"])
def test_stream_name_validated(name: str) -> None:
    with pytest.raises(ValueError, match="stream_name"):
        FirehoseProducer(name, client=RecordingFirehose())


def test_client_and_connection_options_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either client or"):
        FirehoseProducer("s", client=RecordingFirehose(), region_name="eu-west-1")


# --------------------------------------------------------------------------- buffer, stats, lifecycle


def test_put_sends_synchronously_when_the_buffer_is_full() -> None:
    client = RecordingFirehose()
    producer = make(client, max_buffer_records=10)
    for i in range(9):
        producer.put(b"%d" % i)
    assert client.calls == []
    assert producer.buffered_records == 9
    producer.put(b"9")
    assert len(client.calls) == 1
    assert producer.buffered_records == 0


def test_buffer_bytes_bound() -> None:
    seen: list[int] = []
    client = RecordingFirehose()
    producer = make(client, max_buffer_bytes=50_000)
    client.on_call = lambda: seen.append(producer.buffered_bytes)
    for _ in range(3000):
        producer.put(b"x" * 99)
        assert producer.buffered_bytes < 50_000
    producer.flush()
    assert len(client.lines) == 3000


def test_stats_and_billing() -> None:
    assert billed_bytes(1) == 5120
    assert billed_bytes(5120) == 5120
    assert billed_bytes(5121) == 10240
    client = RecordingFirehose()
    with make(client, aggregate=False) as producer:
        producer.put(b"a" * 5119)  # 5120 with the newline
        producer.put(b"b" * 5120)  # 5121
    stats = producer.stats
    assert stats.records_put == stats.records_delivered == stats.firehose_records == 2
    assert stats.api_calls == 1
    assert stats.payload_bytes == 10241
    assert stats.billed_bytes == 5120 + 10240
    assert stats.retries == stats.records_failed == 0


def test_context_manager_flushes_and_closes() -> None:
    client = RecordingFirehose()
    with make(client) as producer:
        producer.put("hello")
        assert client.calls == []
    assert client.lines == [b"hello\n"]
    assert client.stream_names == {"stream-1"}
    with pytest.raises(ProducerClosedError):
        producer.put("late")
    producer.close()  # closing twice is harmless


def test_context_manager_flushes_when_the_block_raises() -> None:
    client = RecordingFirehose()

    def fail_inside_block() -> None:
        with make(client) as producer:
            producer.put("kept")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fail_inside_block()
    assert client.lines == [b"kept\n"]


def test_flush_of_an_empty_producer_sends_nothing() -> None:
    client = RecordingFirehose()
    make(client).flush()
    assert client.calls == []

"""The four operations as Firehose answers them: outputs matching the service model, errors with the service's
types, statuses and messages, injected faults that never reach the engine."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.serve.faults import FaultInjector
from firehose_s3_client.serve.operations import FirehoseService

TARGET = "Firehose_20150804."


def _call(service: FirehoseService, operation: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, body = service.handle(TARGET + operation, json.dumps(request).encode())
    return status, json.loads(body)


def _records(*datas: bytes) -> list[dict[str, str]]:
    return [{"Data": base64.b64encode(data).decode()} for data in datas]


def _error(answer: tuple[int, dict[str, Any]]) -> tuple[int, str, str]:
    status, body = answer
    assert set(body) == {"__type", "message"}, body
    return status, body["__type"], body["message"]


def _delivered(streams: Any, name: str, out: Path) -> list[bytes]:
    """Flush the stream; its data records in delivery order (the small stack's streams write lines)."""
    stream = streams.by_name(name)
    stream.flush()
    writer = stream.engine.destination.writer
    bodies = [(out / writer.bucket / key).read_bytes() for key in writer.keys]
    return [
        line for body in bodies for line in (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).splitlines()
    ]


def test_put_record_answers_a_record_id_and_encryption(
    streams: Any, tmp_path: Path, conforms: Callable[[Any, str], None]
) -> None:
    service = streams.service()
    for name, encrypted in (("Plain", False), ("orders", True)):
        status, body = _call(service, "PutRecord", {"DeliveryStreamName": name, "Record": _records(b"one\n")[0]})
        assert status == 200
        conforms(body, "PutRecord")
        assert list(body) == ["RecordId", "Encrypted"]
        assert len(body["RecordId"]) == 224
        assert body["Encrypted"] is encrypted
    assert _delivered(streams, "Plain", tmp_path / "out") == [b"one"]
    assert streams.by_name("orders").engine.tally.records_in == 1


def test_put_record_batch_answers_each_record_in_order(
    streams: Any, tmp_path: Path, conforms: Callable[[Any, str], None]
) -> None:
    datas = [b"%d\n" % n for n in range(500)]
    status, body = _call(
        streams.service(), "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": _records(*datas)}
    )
    assert status == 200
    conforms(body, "PutRecordBatch")
    assert list(body) == ["Encrypted", "FailedPutCount", "RequestResponses"]  # the service's order
    assert (body["Encrypted"], body["FailedPutCount"]) == (False, 0)
    assert [set(entry) for entry in body["RequestResponses"]] == [{"RecordId"}] * 500
    assert len({entry["RecordId"] for entry in body["RequestResponses"]}) == 500
    assert _delivered(streams, "Plain", tmp_path / "out") == [data.rstrip() for data in datas]


def test_failed_entries_carry_the_throttling_error_and_never_reach_the_engine(
    streams: Any, tmp_path: Path, conforms: Callable[[Any, str], None]
) -> None:
    service = streams.service(FaultInjector(fail_rate=0.4, seed=5))
    datas = [b"%d\n" % n for n in range(300)]
    status, body = _call(service, "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": _records(*datas)})
    assert status == 200
    conforms(body, "PutRecordBatch")
    entries = body["RequestResponses"]
    failed = [entry for entry in entries if "ErrorCode" in entry]
    assert 80 < len(failed) < 160
    assert body["FailedPutCount"] == len(failed)
    assert all(entry == {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."} for entry in failed)
    kept = [data.rstrip() for data, entry in zip(datas, entries, strict=True) if "RecordId" in entry]
    assert _delivered(streams, "Plain", tmp_path / "out") == kept
    counts = streams.by_name("Plain").counts.as_dict()
    assert (counts["records_accepted"], counts["entries_failed_injected"]) == (len(kept), len(failed))


def test_a_throttled_call_is_refused_whole(streams: Any) -> None:
    service = streams.service(FaultInjector(throttle_rate=1.0))
    batch = {"DeliveryStreamName": "Plain", "Records": _records(b"a\n")}
    assert _error(_call(service, "PutRecordBatch", batch)) == (500, "ServiceUnavailableException", "Slow down.")
    single = {"DeliveryStreamName": "Plain", "Record": {"Data": "YQ=="}}
    assert _error(_call(service, "PutRecord", single)) == (500, "ServiceUnavailableException", "Slow down.")
    plain = streams.by_name("Plain")
    assert plain.engine.tally.records_in == 0
    assert plain.counts.as_dict()["calls_throttled_injected"] == 2


def test_a_failed_put_record_is_the_throttling_error(streams: Any) -> None:
    service = streams.service(FaultInjector(fail_rate=1.0))
    single = {"DeliveryStreamName": "Plain", "Record": {"Data": "YQ=="}}
    assert _error(_call(service, "PutRecord", single)) == (500, "ServiceUnavailableException", "Slow down.")
    assert streams.by_name("Plain").engine.tally.records_in == 0


def test_the_api_limits_are_the_service_s_errors(streams: Any) -> None:
    service = streams.service()

    def batch(*datas: bytes) -> tuple[int, str, str]:
        return _error(_call(service, "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": _records(*datas)}))

    status, kind, message = batch(*([b"x"] * 501))
    assert (status, kind) == (400, "ValidationException")
    assert message.endswith(
        "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
    )
    status, kind, message = batch(b"ok", b"y" * 1_024_001)
    assert (status, kind) == (400, "ValidationException")
    assert "at 'records.2.member.data' failed to satisfy constraint" in message
    assert batch(*([b"z" * 900_000] * 5)) == (400, "InvalidArgumentException", "Records size exceeds 4 MB limit")
    status, body = _call(
        service,
        "PutRecordBatch",
        {"DeliveryStreamName": "Plain", "Records": _records(*([b"w" * 1_024_000] * 4), b"v" * 98_304)},
    )
    assert (status, body["FailedPutCount"]) == (200, 0)  # exactly 4 MiB is within the limit
    single = _error(
        _call(service, "PutRecord", {"DeliveryStreamName": "Plain", "Record": _records(b"q" * 1_024_001)[0]})
    )
    assert single[:2] == (400, "ValidationException")
    assert (
        "at 'record.data' failed to satisfy constraint: Member must have length less than or equal to 1024000"
        in single[2]
    )
    assert streams.by_name("Plain").counts.as_dict()["calls_refused"] == {"InvalidArgumentException": 1}


def test_an_unknown_stream_is_not_found_in_the_account(streams: Any) -> None:
    service = streams.service(account_id="111122223333")
    for operation, request in (
        ("PutRecord", {"DeliveryStreamName": "nope", "Record": {"Data": ""}}),
        ("PutRecordBatch", {"DeliveryStreamName": "nope", "Records": [{"Data": ""}]}),
        ("DescribeDeliveryStream", {"DeliveryStreamName": "nope"}),
    ):
        assert _error(_call(service, operation, request)) == (
            400,
            "ResourceNotFoundException",
            "Firehose nope under account 111122223333 not found.",
        )
    _call(service, "PutRecord", {"DeliveryStreamName": "bad name", "Record": {"Data": ""}})
    assert dict(service.unattributed) == {"ResourceNotFoundException": 3, "ValidationException": 1}


def test_a_stream_that_reads_kinesis_refuses_puts(streams: Any) -> None:
    service = streams.service()
    message = "This operation is not permitted on KinesisStreamAsSource delivery stream type."
    single = {"DeliveryStreamName": "FromKinesis", "Record": {"Data": "YQ=="}}
    assert _error(_call(service, "PutRecord", single)) == (400, "InvalidArgumentException", message)
    batch = {"DeliveryStreamName": "FromKinesis", "Records": [{"Data": "YQ=="}]}
    assert _error(_call(service, "PutRecordBatch", batch)) == (400, "InvalidArgumentException", message)
    assert streams.by_name("FromKinesis").engine.tally.records_in == 0


def test_a_closed_stream_answers_a_retryable_error(streams: Any) -> None:
    streams.by_name("Plain").close()
    status, kind, _ = _error(
        _call(streams.service(), "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": _records(b"a")})
    )
    assert (status, kind) == (500, "ServiceUnavailableException")


def test_an_engine_failure_is_an_internal_failure_and_stops_the_endpoint(streams: Any, tmp_path: Path) -> None:
    (tmp_path / "out" / "DataBucket").write_text("a file where the bucket's directory would be")
    fatal: list[BaseException] = []
    service = streams.service(on_fatal=fatal.append)
    big = _records(b"a" * 600_000, b"b" * 600_000)  # the second record closes the 1 MiB buffer: a write
    status, kind, message = _error(_call(service, "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": big}))
    assert (status, kind) == (500, "InternalFailure")
    assert "cannot write" in message
    assert len(fatal) == 1


def test_list_delivery_streams_pages_in_name_order(streams: Any, conforms: Callable[[Any, str], None]) -> None:
    service = streams.service()
    status, body = _call(service, "ListDeliveryStreams", {})
    assert status == 200
    conforms(body, "ListDeliveryStreams")
    assert body == {
        "DeliveryStreamNames": ["BackedUp", "FromKinesis", "Plain", "orders"],
        "HasMoreDeliveryStreams": False,
    }
    assert _call(service, "ListDeliveryStreams", {"Limit": 2})[1] == {
        "DeliveryStreamNames": ["BackedUp", "FromKinesis"],
        "HasMoreDeliveryStreams": True,
    }
    assert _call(service, "ListDeliveryStreams", {"Limit": 2, "ExclusiveStartDeliveryStreamName": "FromKinesis"})[
        1
    ] == {
        "DeliveryStreamNames": ["Plain", "orders"],
        "HasMoreDeliveryStreams": False,
    }
    assert _call(service, "ListDeliveryStreams", {"DeliveryStreamType": "KinesisStreamAsSource"})[1][
        "DeliveryStreamNames"
    ] == ["FromKinesis"]
    assert _call(service, "ListDeliveryStreams", {"DeliveryStreamType": "MSKAsSource"})[1]["DeliveryStreamNames"] == []
    status, kind, message = _error(_call(service, "ListDeliveryStreams", {"Limit": 0}))
    assert (status, kind) == (400, "ValidationException")
    assert "at 'limit'" in message


def test_describe_delivery_stream_answers_the_model_s_description(
    streams: Any, conforms: Callable[[Any, str], None]
) -> None:
    service = streams.service()
    for name in ("Plain", "orders", "BackedUp", "FromKinesis"):
        status, body = _call(service, "DescribeDeliveryStream", {"DeliveryStreamName": name})
        assert status == 200
        conforms(body, "DescribeDeliveryStream")
        assert body["DeliveryStreamDescription"]["DeliveryStreamName"] == name
    _, after = _call(
        service,
        "DescribeDeliveryStream",
        {"DeliveryStreamName": "Plain", "ExclusiveStartDestinationId": "destinationId-000000000001"},
    )
    assert after["DeliveryStreamDescription"]["Destinations"] == []


def test_unknown_operations_and_malformed_bodies(streams: Any) -> None:
    service = streams.service()
    status, body = service.handle(TARGET + "DeleteDeliveryStream", b"{}")
    assert (status, json.loads(body)["__type"]) == (400, "UnknownOperationException")
    status, body = service.handle(TARGET + "PutRecord", b"{oops")
    assert (status, json.loads(body)["__type"]) == (400, "SerializationException")
    status, body = service.handle(TARGET + "PutRecord", b'{"DeliveryStreamName": "Plain", "Record": "text"}')
    assert (status, json.loads(body)["__type"]) == (400, "SerializationException")


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_what_was_acknowledged_is_exactly_what_the_engine_took(streams: Any, tmp_path: Path, rate: float) -> None:
    service = streams.service(FaultInjector(fail_rate=rate, throttle_rate=rate / 2, seed=11))
    acknowledged: list[bytes] = []
    for call in range(40):
        datas = [b"%d-%d\n" % (call, n) for n in range(30)]
        status, body = _call(service, "PutRecordBatch", {"DeliveryStreamName": "Plain", "Records": _records(*datas)})
        if status == 200:
            acknowledged += [
                data.rstrip()
                for data, entry in zip(datas, body["RequestResponses"], strict=True)
                if "RecordId" in entry
            ]
    assert _delivered(streams, "Plain", tmp_path / "out") == acknowledged
    tally = streams.by_name("Plain").engine.tally
    assert tally.records_in == tally.records_delivered == len(acknowledged)

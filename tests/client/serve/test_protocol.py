"""The JSON protocol's pieces: targets, bodies, and the Coral-style validation messages Firehose answers with."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.serve.protocol import (
    OPERATIONS,
    ApiError,
    Problems,
    decode_blob,
    operation_of,
    optional_int,
    optional_string,
    parse_body,
    record_list,
    stream_name,
)


def _records(*datas: bytes) -> list[dict[str, str]]:
    return [{"Data": base64.b64encode(data).decode()} for data in datas]


def _validation_message(check: object) -> str:
    assert isinstance(check, Problems)
    with pytest.raises(ApiError) as raised:
        check.check()
    assert raised.value.error_type == "ValidationException"
    assert raised.value.status == 400
    return raised.value.message


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_is_addressed_by_its_target(operation: str) -> None:
    assert operation_of(f"Firehose_20150804.{operation}") == operation


@pytest.mark.parametrize("target", [None, "Firehose_20150804.CreateDeliveryStream", "Kinesis_20131202.PutRecord", ""])
def test_other_targets_are_unknown_operations(target: str | None) -> None:
    with pytest.raises(ApiError) as raised:
        operation_of(target)
    assert (raised.value.error_type, raised.value.status) == ("UnknownOperationException", 400)
    assert json.loads(raised.value.body()) == {"__type": "UnknownOperationException", "message": raised.value.message}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(ApiError) as raised:
        parse_body(body)
    assert raised.value.error_type == "SerializationException"


def test_an_empty_body_is_an_empty_request() -> None:
    assert parse_body(b"") == {}
    assert parse_body(b'  {"Limit": 3} ') == {"Limit": 3}


def test_one_violation_is_one_validation_error() -> None:
    problems = Problems()
    assert stream_name(problems, "x" * 65) == "x" * 65
    assert _validation_message(problems) == (
        f"1 validation error detected: Value '{'x' * 65}' at 'deliveryStreamName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )


def test_several_violations_are_counted_and_joined() -> None:
    problems = Problems()
    stream_name(problems, "bad name!")
    decode_blob(problems, None, "record.data")
    assert _validation_message(problems) == (
        "2 validation errors detected: Value 'bad name!' at 'deliveryStreamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value null at 'record.data' failed to "
        "satisfy constraint: Member must not be null"
    )


def test_a_missing_stream_name_is_null() -> None:
    problems = Problems()
    assert stream_name(problems, None) == ""
    assert "Value null at 'deliveryStreamName' failed to satisfy constraint: Member must not be null" in (
        _validation_message(problems)
    )
    optional = Problems()
    stream_name(optional, None, "exclusiveStartDeliveryStreamName", required=False)
    optional.check()


def test_a_record_over_1_000_kib_is_named_by_its_one_based_position() -> None:
    problems = Problems()
    datas = record_list(problems, _records(b"a", b"b" * 1_024_001, b"c" * 1_024_000))
    assert [len(data) for data in datas] == [1, 1_024_001, 1_024_000]
    assert _validation_message(problems) == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' at "
        "'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000"
    )


def test_more_than_500_records_is_the_list_length_violation() -> None:
    problems = Problems()
    record_list(problems, _records(*([b"abc"] * 501)))
    message = _validation_message(problems)
    assert message.startswith(
        "1 validation error detected: Value '[Record(data=java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]), "
    )
    assert message.endswith(
        "Record(data=java.nio.HeapByteBuffer[pos=0 lim=3 cap=3])]' at 'records' failed to satisfy constraint: "
        "Member must have length less than or equal to 500"
    )
    assert message.count("Record(data=") == 501


def test_500_records_and_an_empty_record_are_valid() -> None:
    problems = Problems()
    assert record_list(problems, _records(*([b""] * 500))) == [b""] * 500
    problems.check()


def test_no_records_violates_the_minimum() -> None:
    problems = Problems()
    record_list(problems, [])
    assert "at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1" in (
        _validation_message(problems)
    )
    missing = Problems()
    record_list(missing, None)
    assert "Value null at 'records'" in _validation_message(missing)


@pytest.mark.parametrize(
    ("value", "path"),
    [("not base64!", "record.data"), (12, "record.data"), ("QUJ", "record.data"), ("QU=JD", "records.1.member.data")],
)
def test_data_that_is_not_base64_text_is_a_serialization_error(value: object, path: str) -> None:
    with pytest.raises(ApiError) as raised:
        decode_blob(Problems(), value, path)
    assert raised.value.error_type == "SerializationException"
    assert path in raised.value.message


def test_line_wrapped_base64_is_decoded() -> None:
    data = bytes(range(256)) * 3
    wrapped = base64.encodebytes(data).decode()
    assert "\n" in wrapped
    assert decode_blob(Problems(), wrapped, "record.data") == data


@pytest.mark.parametrize("record", ["text", 3, None])
def test_a_record_that_is_not_an_object_is_a_serialization_error(record: object) -> None:
    with pytest.raises(ApiError) as raised:
        record_list(Problems(), [record])
    assert raised.value.error_type == "SerializationException"


def test_wrong_json_types_are_serialization_errors() -> None:
    for call in (
        lambda: stream_name(Problems(), 7),
        lambda: record_list(Problems(), {"Data": ""}),
        lambda: optional_int(Problems(), "10", "limit", 1, 10000),
        lambda: optional_int(Problems(), True, "limit", 1, 10000),
        lambda: optional_string(Problems(), 1, "deliveryStreamType", ("DirectPut",)),
    ):
        with pytest.raises(ApiError) as raised:
            call()
        assert raised.value.error_type == "SerializationException"


def test_ranges_and_enums_are_checked() -> None:
    problems = Problems()
    assert optional_int(problems, 0, "limit", 1, 10000) == 0
    assert optional_int(problems, None, "limit", 1, 10000) is None
    assert optional_string(problems, "Elsewhere", "deliveryStreamType", ("DirectPut", "KinesisStreamAsSource")) == (
        "Elsewhere"
    )
    message = _validation_message(problems)
    assert "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1" in (
        message
    )
    assert "Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource]" in message


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=50))
def test_records_decode_to_exactly_the_bytes_sent(datas: list[bytes]) -> None:
    problems = Problems()
    assert record_list(problems, _records(*datas)) == datas
    problems.check()

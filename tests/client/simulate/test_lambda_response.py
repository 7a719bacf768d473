"""What Firehose enforces on a transform's response: IDs, results, base64, the 6,291,556-byte limit."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.simulate.lambda_response import (
    DUPLICATED,
    JSON_PROCESSING,
    MISSING,
    FunctionFailed,
    ResponseRejected,
    check_response,
    serialized_size,
)

LIMIT = 6_291_556
IDS = ["1", "2", "3"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _record(record_id: str, result: str = "Ok", data: bytes = b"x\n", **extra: Any) -> dict[str, Any]:
    return {"recordId": record_id, "result": result, "data": _b64(data), **extra}


def _check(response: Any, ids: list[str] = IDS, **options: Any) -> Any:
    return check_response(ids, response, limit=options.pop("limit", LIMIT), ensure_ascii=False, **options)


def test_results_come_back_in_event_order_with_the_data_of_ok_records() -> None:
    response = {"records": [_record("3", data=b"c"), _record("1", "Dropped"), _record("2", "ProcessingFailed")]}
    checked = _check(response)
    assert checked.results == "DFO"
    assert checked.data == [b"c"]
    assert checked.partition_keys is None


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        ([_record("1"), _record("2")], MISSING),
        ([_record("1"), _record("2"), _record("2")], DUPLICATED),
        ([_record("1"), _record("2"), _record("3"), _record("4")], JSON_PROCESSING),
        ([_record("1"), _record("2"), _record("3", result="OK")], JSON_PROCESSING),
        ([_record("1"), _record("2"), {"recordId": "3", "result": "Dropped"}], JSON_PROCESSING),
        ([_record("1"), _record("2"), {"recordId": "3", "result": "Ok", "data": "not base64!"}], JSON_PROCESSING),
        ([_record("1"), _record("2"), {"recordId": "3", "result": "Dropped", "data": "%%"}], JSON_PROCESSING),
        ([_record("1"), _record("2"), "record"], JSON_PROCESSING),
    ],
    ids=[
        "missing",
        "duplicated",
        "unknown id",
        "bad result",
        "no data",
        "bad base64",
        "dropped bad base64",
        "not object",
    ],
)
def test_a_broken_status_model_rejects_the_batch(records: list[Any], reason: tuple[str, str]) -> None:
    with pytest.raises(ResponseRejected) as raised:
        _check({"records": records})
    assert (raised.value.error_code, raised.value.error_message) == reason


@pytest.mark.parametrize("response", [None, [], {"records": "x"}, {"Records": []}], ids=repr)
def test_a_response_without_a_records_list_is_a_json_processing_error(response: Any) -> None:
    with pytest.raises(ResponseRejected) as raised:
        _check(response)
    assert raised.value.error_code == "Lambda.JsonProcessingException"


def test_partition_keys_are_kept_and_scalars_become_their_json_text() -> None:
    response = {
        "records": [
            _record("1", metadata={"partitionKeys": {"year": 2026, "hot": True, "site": "a"}}),
            _record("2", metadata={"partitionKeys": {"site": "b"}}),
            _record("3"),
        ]
    }
    checked = _check(response)
    assert checked.partition_keys == [{"year": "2026", "hot": "true", "site": "a"}, {"site": "b"}, None]


def test_a_partition_key_that_is_an_object_rejects_the_batch() -> None:
    with pytest.raises(ResponseRejected):
        _check({"records": [_record("1", metadata={"partitionKeys": {"k": {}}}), _record("2"), _record("3")]})


def _response_of_size(size: int) -> tuple[str, dict[str, Any]]:
    """A one-record response whose serialized form (default separators) is exactly ``size`` bytes."""
    overhead = len(json.dumps({"records": [{"recordId": "", "result": "Ok", "data": ""}]}))
    data = "A" * ((size - overhead - 1) // 4 * 4)  # valid base64
    record_id = "1" * (size - overhead - len(data))  # the rest of the bytes
    response = {"records": [{"recordId": record_id, "result": "Ok", "data": data}]}
    assert len(json.dumps(response)) == size
    return record_id, response


@pytest.mark.parametrize("compact", [None, lambda value: json.dumps(value, separators=(",", ":")).encode()])
def test_the_limit_is_6291556_serialized_bytes_exactly(compact: Any) -> None:
    record_id, at_limit = _response_of_size(LIMIT)
    assert check_response([record_id], at_limit, limit=LIMIT, ensure_ascii=False, compact_dumps=compact).results == "O"
    record_id, over = _response_of_size(LIMIT + 1)
    with pytest.raises(FunctionFailed) as raised:
        check_response([record_id], over, limit=LIMIT, ensure_ascii=False, compact_dumps=compact)
    assert raised.value.error_type == "Function.ResponseSizeTooLarge"


def test_ascii_escapes_count_before_python_312() -> None:
    response = {"records": [_record("1")], "note": "é" * 10}
    utf8 = serialized_size(response, ensure_ascii=False, limit=LIMIT)
    ascii_escaped = serialized_size(response, ensure_ascii=True, limit=LIMIT)
    assert ascii_escaped - utf8 == 10 * (6 - 2)


def test_an_unserializable_response_fails_the_invocation() -> None:
    with pytest.raises(FunctionFailed) as raised:
        _check({"records": [_record("1"), _record("2"), _record("3")], "when": object()})
    assert raised.value.error_type == "Runtime.MarshalError"


_results = st.sampled_from(["Ok", "Dropped", "ProcessingFailed"])


@given(st.lists(st.tuples(_results, st.binary(max_size=40)), min_size=1, max_size=30), st.randoms())
def test_the_fast_and_the_exact_paths_agree(records: list[tuple[str, bytes]], rng: Any) -> None:
    ids = [str(i) for i in range(len(records))]
    response = {"records": [_record(i, result, data) for i, (result, data) in zip(ids, records, strict=True)]}
    fast = _check(response, ids)
    shuffled = list(response["records"])
    rng.shuffle(shuffled)
    exact = _check({"records": shuffled, "extra": None}, ids)  # an extra key: the exact path
    assert (fast.results, fast.data) == (exact.results, exact.data)
    assert fast.size == len(json.dumps(response))
    assert fast.results == "".join(result[0].replace("P", "F") for result, _ in records)
    assert fast.data == [data for result, data in records if result == "Ok"]

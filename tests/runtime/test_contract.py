"""The Firehose contract: every record answered once, in order, with a result, data and newline-terminated JSON."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.codec import Codec
from firehose_transform.engine import CHUNK, Engine

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]

RESULTS = {"Ok", "Dropped", "ProcessingFailed"}


def test_every_record_is_returned_once_in_order_with_data(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    payloads: list[bytes | str | dict[str, Any]] = [{"n": i, "email": "a@b.c"} for i in range(3 * CHUNK + 5)]
    payloads[7] = b"not json"
    payloads[70] = "!!not base64!!"
    response = make_engine(drop_fields=("email",)).process(event_of(*payloads))
    records = response["records"]
    assert [r["recordId"] for r in records] == [f"r{i}" for i in range(len(payloads))]
    assert {r["result"] for r in records} <= RESULTS
    assert all(isinstance(r["data"], str) for r in records)
    assert records[7]["result"] == "ProcessingFailed"
    assert records[70] == {"recordId": "r70", "result": "ProcessingFailed", "data": "!!not base64!!"}
    assert json.loads(decode(records[0])) == {"n": 0}


def test_output_is_compact_json_with_a_newline_after_every_record(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    # No trailing newline in the input: the output has one anyway.
    records = make_engine().process(event_of(b'{"a": 1, "b": [1, 2], "c": {"d": "\xc3\xa9"}}', {"x": None}))["records"]
    assert decode(records[0]) == '{"a":1,"b":[1,2],"c":{"d":"é"}}\n'.encode()
    assert decode(records[1]) == b'{"x":null}\n'


def test_key_order_and_values_are_preserved(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    doc = {"z": 1, "a": -0.5, "m": [True, False, None], "big": 2**64 - 1, "small": -(2**63), "s": "tab\there"}
    out = decode(make_engine().process(event_of(doc))["records"][0])
    assert list(json.loads(out)) == ["z", "a", "m", "big", "small", "s"]
    assert json.loads(out) == doc


def test_direct_put_event(make_engine: EngineFactory, event_of: EventFactory) -> None:
    response = make_engine().process(event_of({"a": 1}))
    assert response == {
        "records": [{"recordId": "r0", "result": "Ok", "data": base64.b64encode(b'{"a":1}\n').decode()}]
    }


def test_kinesis_source_event(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    event = event_of({"a": 1}, b"[]", kinesis=True)
    records = make_engine().process(event)["records"]
    assert [r["result"] for r in records] == ["Ok", "ProcessingFailed"]
    assert decode(records[0]) == b'{"a":1}\n'


def test_empty_batch(make_engine: EngineFactory) -> None:
    assert make_engine().process({"records": []}) == {"records": []}


@pytest.mark.parametrize("event", [{}, {"records": None}, {"records": "x"}, [], None, "text"])
def test_event_without_records_list_gets_an_empty_answer(make_engine: EngineFactory, event: Any) -> None:
    assert make_engine().process(event) == {"records": []}


def test_malformed_records_do_not_fail_the_batch(make_engine: EngineFactory, decode: Decode) -> None:
    good = base64.b64encode(b'{"a": 1}').decode()
    event = {
        "records": [
            {"recordId": "ok1", "data": good},
            {"data": good},  # no recordId: cannot be answered
            {"recordId": 42, "data": good},  # not a string id: cannot be answered
            "not a record",
            None,
            {"recordId": "no-data"},
            {"recordId": "null-data", "data": None},
            {"recordId": "int-data", "data": 5},
            {"recordId": "ok2", "data": good},
        ]
    }
    engine = make_engine()
    for fast in (True, False):  # the chunk path and the record-by-record path alike
        engine.fast_loop = fast
        records = engine.process(event)["records"]
        assert [(r["recordId"], r["result"], r["data"]) for r in records[1:4]] == [
            ("no-data", "ProcessingFailed", ""),
            ("null-data", "ProcessingFailed", ""),
            ("int-data", "ProcessingFailed", ""),
        ]
        assert [r["recordId"] for r in records] == ["ok1", "no-data", "null-data", "int-data", "ok2"]
        assert decode(records[0]) == decode(records[4]) == b'{"a":1}\n'


def test_unanswerable_records_are_counted_and_logged(
    make_engine: EngineFactory, log_stream: Any, event_of: EventFactory
) -> None:
    event = event_of({"a": 1})
    event["records"].append({"data": "e30="})
    make_engine().process(event)
    summary = [json.loads(line) for line in log_stream.getvalue().splitlines() if "batch transformed" in line]
    assert summary[0]["unanswerable"] == 1
    assert summary[0]["level"] == "WARNING"


def test_dropped_and_failed_records_keep_their_original_data(
    make_engine: EngineFactory, event_of: EventFactory
) -> None:
    event = event_of({"drop": True}, b"{bad")
    engine = make_engine(user_function=lambda doc, meta: None if doc.get("drop") else doc)
    records = engine.process(event)["records"]
    assert records[0] == {"recordId": "r0", "result": "Dropped", "data": event["records"][0]["data"]}
    assert records[1] == {"recordId": "r1", "result": "ProcessingFailed", "data": event["records"][1]["data"]}


def test_a_bad_record_in_a_chunk_does_not_change_its_neighbours(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    payloads: list[bytes | str | dict[str, Any]] = [{"i": i, "email": "x@y.z"} for i in range(CHUNK)]
    payloads[CHUNK // 2] = b"[1, 2]"
    records = make_engine(drop_fields=("email",)).process(event_of(*payloads))["records"]
    for index, record in enumerate(records):
        if index == CHUNK // 2:
            assert record["result"] == "ProcessingFailed"
        else:
            assert decode(record) == f'{{"i":{index}}}\n'.encode()


def test_input_event_is_not_modified(make_engine: EngineFactory, event_of: EventFactory) -> None:
    event = event_of({"a": 1, "email": "x"}, b"bad", kinesis=True)
    before = json.dumps(event, sort_keys=True)
    make_engine(drop_fields=("email",), mask_fields=("a",)).process(event)
    assert json.dumps(event, sort_keys=True) == before


def test_fast_and_exact_paths_agree(codec: Codec, make_engine: EngineFactory, event_of: EventFactory) -> None:
    payloads: list[bytes | str | dict[str, Any]] = [
        {"a": 1, "email": "e@x.io", "ip": "10.0.0.1"},
        {"email": {"nested": [1e300]}},
        {"email": 1.5e19, "n": 1},
        b'{"email": 18446744073709551616}',
        b'{"e": "a+b", "f": 1e18}',
        {"ip": 5},
        b"{}",
        b"[]",
    ]
    event = event_of(*payloads)
    engine = make_engine(drop_fields=("email",), mask_fields=("ip",))
    fast = engine.process(event)
    engine.fast_loop = False
    exact = engine.process(event)
    assert fast == exact


def test_metrics_match_the_response_when_a_chunk_falls_back(
    make_engine: EngineFactory, event_of: EventFactory, log_stream: Any
) -> None:
    # An empty record makes the chunk go record by record: nothing may be counted twice.
    response = make_engine(drop_fields=("x",)).process(event_of({"a": 1}, b"", b" \n", {"a": 2}))
    emf = next(json.loads(line) for line in log_stream.getvalue().splitlines() if '"_aws"' in line)
    results = [r["result"] for r in response["records"]]
    assert results == ["Ok", "ProcessingFailed", "ProcessingFailed", "Ok"]
    assert (emf["RecordsOk"], emf["RecordsProcessingFailed"]) == (2, 2)
    assert emf["BytesOut"] == 2 * len(b'{"a":1}\n')

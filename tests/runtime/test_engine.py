"""The engine: every record answered once, in order, with a result and data; the exact path's own rules.

The Firehose contract (results, original data of Dropped/ProcessingFailed records, newline-terminated compact
JSON, Direct PUT and Kinesis-source events, malformed events and records), records holding several
newline-delimited documents, invalid base64 and the logged failure reasons. Agreement of the fast path with
the exact path is in test_fast_path.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.config import ConfigError, TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.fast_path import CHUNK
from firehose_transform.protocol import RecordMetadata

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


def test_input_event_is_not_modified(make_engine: EngineFactory, event_of: EventFactory) -> None:
    event = event_of({"a": 1, "email": "x"}, b"bad", kinesis=True)
    before = json.dumps(event, sort_keys=True)
    make_engine(drop_fields=("email",), mask_fields=("a",)).process(event)
    assert json.dumps(event, sort_keys=True) == before


# ------------------------------------------------------------------------------------------- base64 and garbage


BAD_BASE64 = {
    "not_base64": "%%%",
    "missing_padding": "eyJhIjoxfQ",
    "excess_padding": "eyJhIjoxfQ====",
    "padding_after_full_quantum": "e30=",  # valid: b"{}" - control case below
    "embedded_newline": "eyJh\nIjoxfQ==",
    "urlsafe_alphabet": "eyJhIjoi-_8ifQ==",
    "non_ascii": "eyJhIjoxfQ==é",
    "padding_in_the_middle": "e30=e30=",
}


@pytest.mark.parametrize("data", list(BAD_BASE64.values()), ids=list(BAD_BASE64))
def test_invalid_base64_fails_with_original_data(make_engine: EngineFactory, data: str) -> None:
    records = make_engine().process({"records": [{"recordId": "x", "data": data}]})["records"]
    if data == "e30=":
        assert records[0]["result"] == "Ok"
        return
    assert records == [{"recordId": "x", "result": "ProcessingFailed", "data": data}]


def test_canonical_base64_variants_are_accepted(make_engine: EngineFactory, decode: Decode) -> None:
    # Non-zero padding bits are tolerated by both decoders ("e31=" decodes like "e30=").
    for data in ("e30=", "e31=", "eyJhIjoxfQ=="):
        records = make_engine().process({"records": [{"recordId": "x", "data": data}]})["records"]
        assert records[0]["result"] == "Ok", data


def test_failure_reasons_are_logged_without_content(
    make_engine: EngineFactory, event_of: EventFactory, log_stream: Any
) -> None:
    make_engine().process(event_of(b"", b"[1]", b'{"a": 18446744073709551616}', "%%", b"\xff"))
    summary = next(json.loads(line) for line in log_stream.getvalue().splitlines() if "batch transformed" in line)
    assert summary["failureReasons"] == {
        "empty": 1,
        "not_object": 1,
        "integer_out_of_range": 1,
        "invalid_base64": 1,
        "invalid_utf8": 1,
    }


def test_never_raises_on_garbage_records(make_engine: EngineFactory) -> None:
    garbage: list[Any] = [
        {"recordId": "a", "data": ["list"]},
        {"recordId": "b", "data": {"dict": 1}},
        {"recordId": "c", "data": b"bytes?"},
        {"recordId": "d", "data": "e30=", "kinesisRecordMetadata": "not a dict"},
        {"recordId": "e", "data": base64.b64encode(b"\x00" * 100).decode()},
        {"recordId": ["x"], "data": "e30="},
        1.5,
    ]
    response = make_engine().process({"records": garbage})
    assert [r["recordId"] for r in response["records"]] == ["a", "b", "c", "d", "e"]


def test_engine_requires_a_hash_key() -> None:
    with pytest.raises(ConfigError, match="hash key"):
        Engine(TransformConfig(hash_fields=("ip",), hash_key_secret_arn="arn"))


# ------------------------------------------------------------------------------------ several documents per record
# Records holding several newline-delimited JSON documents (aggregating producers).


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"a": 1}\n{"a": 2}\n{"a": 3}\n', b'{"a":1}\n{"a":2}\n{"a":3}\n'),
        (b'{"a": 1}\n{"a": 2}', b'{"a":1}\n{"a":2}\n'),  # no final newline
        (b'{"a": 1}\r\n{"a": 2}\r\n', b'{"a":1}\n{"a":2}\n'),  # CRLF
        (b'\n{"a": 1}\n\n  \n{"a": 2}\n\n', b'{"a":1}\n{"a":2}\n'),  # blank lines are ignored
        (b'{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n', b'{"a":1,"b":[2]}\n'),  # one pretty-printed document
    ],
)
def test_documents_are_split_transformed_and_rejoined(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode, payload: bytes, expected: bytes
) -> None:
    record = make_engine().process(event_of(payload))["records"][0]
    assert record["result"] == "Ok"
    assert decode(record) == expected


def test_steps_apply_to_every_document(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    payload = b'{"email": "a@b.c", "n": 1}\n{"email": "d@e.f", "n": 2}\n'
    record = make_engine(drop_fields=("email",)).process(event_of(payload))["records"][0]
    assert decode(record) == b'{"n":1}\n{"n":2}\n'


@pytest.mark.parametrize(
    "payload",
    [
        b'{"a": 1}\n{"a": 2\n',  # truncated second document
        b'{"a": 1}\n[2]\n',  # not an object
        b'{"a": 1}\n{"a": NaN}\n',
        b'{"a": 1}\n{"a": 18446744073709551616}\n',
        b'{"a": 1}\n\xff\n',
        b'{"a": 1}\n{"a": 2} {"a": 3}\n',  # two documents on one line
    ],
)
def test_one_bad_document_fails_the_whole_record(
    make_engine: EngineFactory, event_of: EventFactory, payload: bytes
) -> None:
    event = event_of(payload)
    record = make_engine().process(event)["records"][0]
    assert record == {"recordId": "r0", "result": "ProcessingFailed", "data": event["records"][0]["data"]}


def test_user_function_sees_each_document_with_its_index(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    seen: list[tuple[int, int]] = []

    def keep_odd(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any] | None:
        seen.append((meta.document_index, doc["n"]))
        return doc if doc["n"] % 2 else None

    record = make_engine(user_function=keep_odd).process(event_of(b'{"n": 1}\n{"n": 2}\n{"n": 3}\n'))["records"][0]
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert decode(record) == b'{"n":1}\n{"n":3}\n'


def test_all_documents_dropped_means_dropped(make_engine: EngineFactory, event_of: EventFactory) -> None:
    event = event_of(b'{"n": 1}\n{"n": 2}\n')
    record = make_engine(user_function=lambda doc, meta: None).process(event)["records"][0]
    assert record == {"recordId": "r0", "result": "Dropped", "data": event["records"][0]["data"]}


def test_user_error_on_one_document_fails_the_record(make_engine: EngineFactory, event_of: EventFactory) -> None:
    def fail_on_two(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
        if doc["n"] == 2:
            raise KeyError("n")
        return doc

    records = make_engine(user_function=fail_on_two).process(event_of(b'{"n": 1}\n{"n": 2}\n', {"n": 3}))["records"]
    assert [r["result"] for r in records] == ["ProcessingFailed", "Ok"]

"""Records holding several newline-delimited JSON documents (aggregating producers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.engine import Engine
from firehose_transform.protocol import RecordMetadata

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


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

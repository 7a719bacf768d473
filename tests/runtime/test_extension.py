"""The extension API: a user function (decorator or base class) reusing the whole contract handling."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firehose_transform import (
    FunctionTransformer,
    RecordMetadata,
    RecordTransformer,
    TransformConfig,
    record_transformer,
)
from firehose_transform.codec import Codec
from firehose_transform.engine import Engine

EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]
EngineFactory = Callable[..., Engine]


@record_transformer
def enrich(document: dict[str, Any], metadata: RecordMetadata) -> dict[str, Any] | None:
    """Drop debug events, tag the others with their shard."""
    if document.get("level") == "DEBUG":
        return None
    if document.get("level") == "BOOM":
        raise RuntimeError("cannot handle this one")
    document["shard"] = metadata.kinesis.shard_id if metadata.kinesis else None
    return document


def test_decorator_makes_a_handler(
    monkeypatch: pytest.MonkeyPatch, event_of: EventFactory, decode: Decode, codec: Codec
) -> None:
    monkeypatch.setenv("DROP_FIELDS", "secret")
    handler = FunctionTransformer(enrich.function, codec=codec, log_stream=io.StringIO())
    event = event_of({"level": "INFO", "secret": 1}, {"level": "DEBUG"}, {"level": "BOOM"}, b"[]", kinesis=True)
    records = handler(event, None)["records"]
    assert [r["result"] for r in records] == ["Ok", "Dropped", "ProcessingFailed", "ProcessingFailed"]
    # the built-in steps of the environment ran after the user function
    assert json.loads(decode(records[0])) == {"level": "INFO", "shard": "shardId-000000000001"}
    assert records[2]["data"] == event["records"][2]["data"]


def test_decorated_function_stays_callable_and_documented() -> None:
    assert isinstance(enrich, RecordTransformer)
    assert enrich.__doc__ == "Drop debug events, tag the others with their shard."
    assert enrich.function({"level": "DEBUG"}, RecordMetadata("x")) is None


class AddEnv(RecordTransformer):
    def transform(self, document: dict[str, Any], metadata: RecordMetadata) -> dict[str, Any] | None:
        document["env"] = "prod"
        document["record"] = metadata.record_id
        return document


def test_base_class(event_of: EventFactory, decode: Decode, codec: Codec) -> None:
    handler = AddEnv(config=TransformConfig(mask_fields=("env",)), codec=codec, log_stream=io.StringIO())
    record = handler(event_of({"a": 1}))["records"][0]
    assert json.loads(decode(record)) == {"a": 1, "env": "p***", "record": "r0"}
    assert not handler.engine.fast_loop


def test_plain_record_transformer_uses_the_fast_loop() -> None:
    transformer = RecordTransformer(config=TransformConfig(drop_fields=("a",)), log_stream=io.StringIO())
    assert transformer.user_function() is None
    assert transformer.engine.fast_loop


@pytest.mark.parametrize(
    "returned",
    [
        [1, 2],
        "text",
        42,
        {"nan": float("nan")},
        {"inf": [float("inf")]},
        {"surrogate": "\ud800"},
        {"set": {1, 2}},
        {"object": object()},
        {"bytes": b"raw"},
    ],
    ids=["list", "str", "int", "nan", "inf", "surrogate", "set", "object", "bytes"],
)
def test_bad_return_values_fail_only_their_record(
    make_engine: EngineFactory, event_of: EventFactory, returned: Any
) -> None:
    engine = make_engine(user_function=lambda doc, meta: returned if doc.get("bad") else doc)
    records = engine.process(event_of({"bad": True}, {"bad": False}))["records"]
    assert [r["result"] for r in records] == ["ProcessingFailed", "Ok"]


def test_too_deep_return_value_fails_on_both_paths(make_engine: EngineFactory, event_of: EventFactory) -> None:
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    engine = make_engine(user_function=lambda doc, meta: {"deep": deep})
    assert engine.process(event_of({"a": 1}))["records"][0]["result"] == "ProcessingFailed"


def test_exception_type_is_logged_not_its_message(
    make_engine: EngineFactory, event_of: EventFactory, log_stream: io.StringIO
) -> None:
    def leak(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
        raise ValueError(f"cannot parse {doc['card']}")

    make_engine(user_function=leak, log_level="DEBUG").process(event_of({"card": "4111-1111-1111-1111"}))
    logs = log_stream.getvalue()
    assert "ValueError" in logs
    assert "4111" not in logs


def test_user_function_can_replace_the_document(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    engine = make_engine(user_function=lambda doc, meta: {"wrapped": doc, "id": meta.record_id})
    record = engine.process(event_of({"a": 1}))["records"][0]
    assert decode(record) == b'{"wrapped":{"a":1},"id":"r0"}\n'


def test_configuration_is_read_once(monkeypatch: pytest.MonkeyPatch, event_of: EventFactory, decode: Decode) -> None:
    monkeypatch.setenv("DROP_FIELDS", "a")
    transformer = RecordTransformer(log_stream=io.StringIO())
    transformer(event_of({"a": 1, "b": 2}))
    monkeypatch.setenv("DROP_FIELDS", "b")
    record = transformer(event_of({"a": 1, "b": 2}))["records"][0]
    assert decode(record) == b'{"b":2}\n'


README = Path(__file__).resolve().parents[2] / "lambda_src" / "firehose_transform" / "README.md"


def test_the_readme_example_runs(event_of: EventFactory, decode: Decode, capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("# my_transform.py")
    source = text[start : text.index("```", start)]
    namespace: dict[str, Any] = {}
    exec(compile(source, "my_transform.py", "exec"), namespace)
    handler = namespace["handler"]
    records = handler(event_of({"level": "INFO"}, {"level": "DEBUG"}, kinesis=True), None)["records"]
    assert [r["result"] for r in records] == ["Ok", "Dropped"]
    assert json.loads(decode(records[0])) == {
        "level": "INFO",
        "shard": "shardId-000000000001",
        "arrived_ms": 1_700_000_000_000,
    }
    assert '"_aws"' in capsys.readouterr().out

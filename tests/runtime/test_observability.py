"""One EMF metrics line per invocation, named as in firehose_transform.contract; JSON logs without record content."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform import RecordTransformer, TransformConfig
from firehose_transform.codec import Codec
from firehose_transform.engine import Engine

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]

SECRET = "sk_live_51HcUeLKjS3cr3tV4lu3"


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def emf_lines(text: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(text) if "_aws" in line]


def test_one_emf_line_per_invocation_with_the_contract_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], event_of: EventFactory, codec: Codec
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "my-transform")
    transformer = RecordTransformer(codec=codec)  # logs to stdout, like in Lambda
    event = event_of({"a": 1}, {"b": 22}, b"[1]", {"drop": True})
    transformer(event, None)
    lines = emf_lines(capsys.readouterr().out)
    assert len(lines) == 1
    emf = lines[0]
    assert set(emf) == {
        "_aws",
        "FunctionName",
        "RecordsOk",
        "RecordsDropped",
        "RecordsProcessingFailed",
        "BytesIn",
        "BytesOut",
    }
    assert isinstance(emf["_aws"]["Timestamp"], int)
    assert emf["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "FirehoseS3Constructs/Transform",
            "Dimensions": [["FunctionName"]],
            "Metrics": [
                {"Name": "RecordsOk", "Unit": "Count"},
                {"Name": "RecordsDropped", "Unit": "Count"},
                {"Name": "RecordsProcessingFailed", "Unit": "Count"},
                {"Name": "BytesIn", "Unit": "Bytes"},
                {"Name": "BytesOut", "Unit": "Bytes"},
            ],
        }
    ]
    assert emf["FunctionName"] == "my-transform"
    assert (emf["RecordsOk"], emf["RecordsDropped"], emf["RecordsProcessingFailed"]) == (3, 0, 1)
    data_in = sum(len(base64.b64decode(r["data"])) for r in event["records"])
    assert emf["BytesIn"] == data_in
    assert emf["BytesOut"] == len(b'{"a":1}\n{"b":22}\n{"drop":true}\n')


def test_custom_namespace_and_counts_with_drops(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], event_of: EventFactory
) -> None:
    monkeypatch.setenv("METRICS_NAMESPACE", "Team/Pipeline")
    monkeypatch.setenv("LOG_LEVEL", "ERROR")  # metrics do not depend on the log level
    transformer = type("DropAll", (RecordTransformer,), {"transform": lambda self, doc, meta: None})()
    transformer(event_of({"a": 1}, {"a": 2}), None)
    transformer({"records": []}, None)
    lines = emf_lines(capsys.readouterr().out)
    assert len(lines) == 2
    assert lines[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Team/Pipeline"
    assert lines[0]["RecordsDropped"] == 2
    assert lines[0]["BytesOut"] == 0
    assert lines[1]["RecordsOk"] == lines[1]["BytesIn"] == 0


def test_metrics_even_for_a_malformed_event(capsys: pytest.CaptureFixture[str]) -> None:
    RecordTransformer(config=TransformConfig())({"no": "records"}, None)
    out = json_lines(capsys.readouterr().out)
    assert any("_aws" in line for line in out)
    error = next(line for line in out if line.get("level") == "ERROR")
    assert error["message"].startswith("event has no records list")


def test_logs_are_json_with_level_and_request_id(capsys: pytest.CaptureFixture[str], event_of: EventFactory) -> None:
    class Context:
        aws_request_id = "req-123"

    RecordTransformer(config=TransformConfig(log_level="DEBUG"))(event_of({"a": 1}, b"x"), Context())
    lines = [line for line in json_lines(capsys.readouterr().out) if "_aws" not in line]
    assert lines, "expected log lines"
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "requestId"} <= set(line)
        assert line["requestId"] == "req-123"
        assert line["timestamp"].endswith("Z")
    summary = next(line for line in lines if line["message"] == "batch transformed")
    assert summary["failureReasons"] == {"invalid_json": 1}


def test_info_level_is_quiet_when_all_is_well(capsys: pytest.CaptureFixture[str], event_of: EventFactory) -> None:
    RecordTransformer(config=TransformConfig())(event_of({"a": 1}), None)
    out = json_lines(capsys.readouterr().out)
    assert len(out) == 1
    assert "_aws" in out[0]


def test_record_content_never_reaches_the_logs(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, event_of: EventFactory, codec: Codec
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_b64 = base64.b64encode(SECRET.encode()).decode()

    def explode(doc: dict[str, Any], meta: Any) -> dict[str, Any]:
        if doc.get("explode"):
            raise ValueError(f"bad token {doc['token']}")
        if doc.get("bad_return"):
            return {"token": {SECRET}}  # a set: not JSON
        return doc

    event = event_of(
        {"token": SECRET, "explode": True},
        {"token": SECRET, "bad_return": True},
        {"token": SECRET, "tenant": None},
        f'{{"token": "{SECRET}", "n": NaN}}'.encode(),
        f'{{"token": "{SECRET}"}}\n{{"token": "{SECRET}", "x": [}}'.encode(),
        SECRET,  # not base64 at all
        {"token": SECRET, "tenant": "t"},
    )
    event["records"].append({"data": secret_b64})  # unanswerable
    engine = Engine(
        TransformConfig(log_level="DEBUG", partition_key_fields=("tenant",)),
        codec=codec,
        user_function=explode,
    )
    response = engine.process(event, None)
    assert [r["result"] for r in response["records"]][:6] == ["ProcessingFailed"] * 6
    captured = capsys.readouterr()
    everything = captured.out + captured.err + caplog.text
    assert "batch transformed" in everything  # the logs were written...
    for needle in (SECRET, secret_b64, SECRET[:12], "bad token"):
        assert needle not in everything  # ...without the content

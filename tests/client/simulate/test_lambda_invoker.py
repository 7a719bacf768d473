"""Invoking the function as Lambda does: the timeout, a crash, an error, a refused response, the function log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.simulate.lambda_function import FunctionSpec
from firehose_s3_client.simulate.lambda_invoker import InvocationRequest, LambdaInvoker

HANDLER = """
import base64, os, sys, time

def handler(event, context):
    data = base64.b64decode(event["records"][0]["data"])
    print("handling", data)
    if data == b"sleep":
        time.sleep(5)
    if data == b"raise":
        raise ValueError("boom")
    if data == b"exit":
        sys.exit(3)
    if data == b"big":
        return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": "A" * 6_300_000}
                            for r in event["records"]]}
    if data == b"lose":
        return {"records": []}
    records = [{"recordId": r["recordId"], "result": "Ok", "data": r["data"]} for r in event["records"]]
    return {"records": records}
"""


@pytest.fixture
def spec(tmp_path: Path) -> FunctionSpec:
    (tmp_path / "index.py").write_text(HANDLER)
    return FunctionSpec(
        "fn", "arn:aws:lambda:us-east-1:1:function:fn", "index.handler", tmp_path, "python3.11", 1.0, 128, {}
    )


def _request(data: bytes) -> InvocationRequest:
    return InvocationRequest("id", "arn:aws:firehose:::s", "us-east-1", None, 0, [1], [data])


def test_a_normal_invocation(spec: FunctionSpec, tmp_path: Path) -> None:
    log = tmp_path / "function.log"
    with LambdaInvoker(spec, function_log=log) as invoker:
        outcome = invoker.invoke(_request(b"hello"))
    assert (outcome.kind, outcome.results, outcome.data) == ("ok", "O", [b"hello"])
    text = log.read_text()
    for line in ("START RequestId:", "handling b'hello'", "REPORT RequestId:"):
        assert line in text


def test_a_timeout_stops_the_environment_and_the_next_invocation_starts_cold(spec: FunctionSpec) -> None:
    with LambdaInvoker(spec) as invoker:
        timed_out = invoker.invoke(_request(b"sleep"))
        after = invoker.invoke(_request(b"fine"))
        assert invoker.cold_starts == 2
    assert (timed_out.kind, timed_out.error_code) == ("error", "Lambda.FunctionTimedOut")
    assert timed_out.error_message.startswith("The Lambda function invocation timed out.")
    assert after.kind == "ok"


@pytest.mark.parametrize(
    ("data", "detail"),
    [(b"raise", "ValueError: boom"), (b"exit", "Runtime.ExitError"), (b"big", "Function.ResponseSizeTooLarge")],
)
def test_failed_invocations_are_function_errors(spec: FunctionSpec, data: bytes, detail: str) -> None:
    with LambdaInvoker(spec) as invoker:
        outcome = invoker.invoke(_request(data))
        recovered = invoker.invoke(_request(b"fine"))
    assert (outcome.kind, outcome.error_code) == ("error", "Lambda.FunctionError")
    assert outcome.error_message == "The Lambda function was successfully invoked but it returned an error result."
    assert detail in outcome.detail
    assert recovered.kind == "ok"


def test_a_response_that_loses_records_is_rejected(spec: FunctionSpec) -> None:
    with LambdaInvoker(spec) as invoker:
        outcome = invoker.invoke(_request(b"lose"))
    assert (outcome.kind, outcome.error_code) == ("rejected", "Lambda.MissingRecordId")


def test_many_records_round_trip_in_order(spec: FunctionSpec) -> None:
    datas = [bytes([i % 256]) * (i % 300) for i in range(3000)]
    request = InvocationRequest("id", "arn:aws:firehose:::s", "us-east-1", None, 0, list(range(3000)), datas)
    with LambdaInvoker(spec) as invoker:
        outcome = invoker.invoke(request)
    assert outcome.results == "O" * 3000
    assert outcome.data == datas


def test_processor_override_runs_on_the_hosts_path(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "local_fn.py").write_text(HANDLER)
    monkeypatch.chdir(tmp_path)
    spec = FunctionSpec("fn", "arn", "local_fn.handler", None, "python3.11", 5.0, 128, {"EXTRA": "1"})
    with LambdaInvoker(spec) as invoker:
        assert invoker.invoke(_request(b"x")).data == [b"x"]

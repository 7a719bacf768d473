"""An endpoint's life: serve, stop, flush every buffer, report; an engine failure stops it; a taken port is an
error."""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from firehose_s3_client.errors import CliError
from firehose_s3_client.serve.endpoint import Endpoint, EndpointResult
from firehose_s3_client.serve.http_server import EndpointServer
from firehose_s3_client.serve.served_stream import ServedStream
from firehose_s3_client.serve.stream_selection import plan_streams

Args = Callable[..., argparse.Namespace]
CREDENTIALS = {"aws_access_key_id": "t", "aws_secret_access_key": "t", "region_name": "us-east-1"}


def _serve(endpoint: Endpoint, work: Callable[[EndpointServer, list[ServedStream]], None]) -> EndpointResult:
    """Run ``endpoint`` in a thread, do ``work`` once it listens, then stop it; the run's result."""
    stop = threading.Event()
    ready = threading.Event()
    state: dict[str, Any] = {}

    def on_ready(server: EndpointServer, streams: list[ServedStream]) -> None:
        state["server"], state["streams"] = server, streams
        ready.set()

    runner = threading.Thread(target=lambda: state.setdefault("result", endpoint.run(stop, on_ready)))
    runner.start()
    assert ready.wait(30)
    try:
        work(state["server"], state["streams"])
    finally:
        stop.set()
        runner.join(60)
    result: EndpointResult = state["result"]
    return result


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_stopping_flushes_every_buffer_and_reports(small_assembly: Path, tmp_path: Path, args_for: Args) -> None:
    out = tmp_path / "out"
    endpoint = Endpoint(plan_streams(args_for(small_assembly, out)), port=0)

    def work(server: EndpointServer, streams: list[ServedStream]) -> None:
        client = boto3.client("firehose", endpoint_url=server.url, **CREDENTIALS)
        client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"%d\n" % n} for n in range(20)])
        client.put_record(DeliveryStreamName="BackedUp", Record={"Data": b"kept\n"})
        assert _files(out) == []  # 60 s and 300 s buffers: nothing is due yet

    result = _serve(endpoint, work)
    assert result.failure is None
    assert result.url.startswith("http://127.0.0.1:")
    reports = {report["stream"]["name"]: report for report in result.reports}
    assert reports["Plain"]["records_in"] == reports["Plain"]["records_delivered"] == 20
    assert reports["BackedUp"]["objects"] == {"backup": 1, "data": 1}
    assert reports["BackedUp"]["api"]["calls"] == {"PutRecord": 1}
    written = {path.relative_to(out).parts[:2] for path in _files(out)}
    assert written == {("DataBucket", "data"), ("DataBucket", "kept"), ("BackupBucket", "backup")}


def test_an_engine_failure_stops_the_endpoint(small_assembly: Path, tmp_path: Path, args_for: Args) -> None:
    out = tmp_path / "out"
    endpoint = Endpoint(plan_streams(args_for(small_assembly, out)), port=0)
    (out / "DataBucket").write_text("a file where the bucket's directory would be")
    stopped = threading.Event()

    def work(server: EndpointServer, streams: list[ServedStream]) -> None:
        once = Config(retries={"total_max_attempts": 1})  # a 500 is retried, and the endpoint is stopping
        client = boto3.client("firehose", endpoint_url=server.url, config=once, **CREDENTIALS)
        with pytest.raises(client.exceptions.ClientError, match="InternalFailure"):
            client.put_record_batch(
                DeliveryStreamName="Plain", Records=[{"Data": b"a" * 600_000}, {"Data": b"b" * 600_000}]
            )
        stopped.set()

    result = _serve(endpoint, work)
    assert stopped.is_set()
    assert result.failure is not None
    assert "cannot write" in str(result.failure)


def test_a_port_in_use_is_a_one_line_error(small_assembly: Path, tmp_path: Path, args_for: Args) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint = Endpoint(plan_streams(args_for(small_assembly, tmp_path / "out")), port=port)
        with pytest.raises(CliError) as raised:
            endpoint.run(threading.Event(), lambda server, streams: None)
    assert raised.value.exit_code == 1
    assert str(raised.value).startswith(f"cannot listen on 127.0.0.1:{port}: ")

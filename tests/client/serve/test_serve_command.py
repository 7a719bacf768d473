"""``firehose-s3 serve`` as a user runs it, in a subprocess on a free loopback port, with real clients.

* the seed's own command, ``aws firehose put-record`` of the AWS CLI v1 from PyPI (exactly as the seed writes
  it: the endpoint comes from ``AWS_ENDPOINT_URL_FIREHOSE``), and boto3's ``put_record_batch``, against the
  web-log stack: the objects appear under DIR after the (scaled) buffering interval, holding exactly what the
  stack's transform makes of the records; SIGTERM then flushes and exits 0 with the summary;
* ``firehose-s3 put`` through injected failures and throttling into an S3 API (moto): nothing is delivered
  before the shutdown (the buffers are open), SIGINT at the process group (Ctrl-C at a terminal) flushes,
  and ``firehose-s3 verify`` finds every input line, in the backup exactly as sent;
* the command's one-line errors.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from firehose_s3_client import sample_data
from firehose_s3_client.simulate.assembly import load_stack
from firehose_s3_client.simulate.lambda_function import function_spec, local_secrets
from firehose_s3_client.simulate.stream_config import choose_stream, read_stream_config
from firehose_s3_client.simulate.template_values import TemplateResolver
from firehose_s3_client.verify import decode_object
from firehose_transform.config import TransformConfig
from firehose_transform.extension import RecordTransformer

REPO = Path(__file__).resolve().parents[3]
WEB = "FirehoseS3WebLogs"
STREAM = "PipelineDeliveryStreamF8B7CD7E"
DATA_BUCKET = "PipelineBucket60D569E5"
BACKUP_BUCKET = "PipelineBackupBucket80E87F67"
SEED_RECORD = b'{"user":"doe","action":"login"}\n'
#: The seed's test command, character for character (its stream name is the only placeholder).
SEED_COMMAND = """aws firehose put-record \\
  --delivery-stream-name {stream} \\
  --record='{{"Data":"{{\\"user\\":\\"doe\\",\\"action\\":\\"login\\"}}\\n"}}'"""
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
}


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


class Serving:
    """A ``firehose-s3 serve`` process in its own process group (as a terminal runs it)."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "firehose_s3_client.cli", "serve", "--port", "0", *args],
            cwd=REPO,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self._ready.wait(120) and next((line for line in self.lines if line.startswith("endpoint ")), None)
        if not ready:
            self.process.kill()
            assert self.process.stderr is not None
            raise AssertionError(f"serve did not start: {self.lines} {self.process.stderr.read().decode()}")
        self.url = ready.split()[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode()
            self.lines.append(line)
            if line.startswith("endpoint "):
                self._ready.set()
        self._ready.set()

    def stop(self, signum: int) -> Finished:
        """Send ``signum`` to the whole process group, as Ctrl-C or ``kill`` at a terminal does."""
        os.killpg(self.process.pid, signum)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read().decode()
        returncode = self.process.wait(120)
        self._reader.join(30)
        return Finished(returncode, "".join(self.lines), stderr)


def _run(args: Sequence[str], env: dict[str, str] | None = None) -> Finished:
    done = subprocess.run(list(args), capture_output=True, cwd=REPO, env=env or ENV, timeout=180, check=False)
    return Finished(done.returncode, done.stdout.decode(), done.stderr.decode())


def _firehose_s3(*args: str) -> Finished:
    return _run([sys.executable, "-m", "firehose_s3_client.cli", *args])


def _expected_lines(assembly: Path, records: list[bytes]) -> list[bytes]:
    """What the web-log stack's transform returns for ``records``: its own code, configuration and local key."""
    template = load_stack(assembly, WEB)
    resolver = TemplateResolver(template)
    config = read_stream_config(template, choose_stream(template, None), resolver)
    assert config.processing.lambda_processor is not None
    secrets = local_secrets(resolver, {})
    spec = function_spec(resolver, config.processing.lambda_processor, override=None, secrets=secrets)
    settings = TransformConfig.from_env(spec.environment)
    transformer = RecordTransformer(config=settings, hash_key=secrets[0].value.encode())
    results = transformer(sample_data.firehose_event(records), None)["records"]
    assert {result["result"] for result in results} == {"Ok"}
    return sorted(line for result in results for line in base64.b64decode(result["data"]).splitlines(keepends=True))


def _decoded_lines(root: Path) -> list[bytes]:
    lines: list[bytes] = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            lines += (decode_object(path.name, path.read_bytes()).data or b"").splitlines(keepends=True)
    return sorted(lines)


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_seed_s_command_and_boto3_land_in_dir_after_the_interval(sample_assembly: Path, tmp_path: Path) -> None:
    out, report_file = tmp_path / "out", tmp_path / "report.json"
    # --time-scale 300: the stack's 300 s buffering interval passes in one wall second
    serving = Serving(
        "--app",
        str(sample_assembly),
        "--stack",
        WEB,
        "--out",
        str(out),
        "--time-scale",
        "300",
        "--report",
        str(report_file),
    )
    try:
        assert serving.lines[0].startswith(f"serving {STREAM} (stack {WEB}, DirectPut) at {serving.url}")
        seed = _run(
            ["bash", "-c", SEED_COMMAND.format(stream=STREAM)], env={**ENV, "AWS_ENDPOINT_URL_FIREHOSE": serving.url}
        )
        assert seed.returncode == 0, seed.stderr
        answer = json.loads(seed.stdout)
        assert len(answer["RecordId"]) == 224
        assert answer["Encrypted"] is True  # the stack's stream has server-side encryption
        batch = list(sample_data.lines("weblog", seed=21, count=40))
        client = boto3.client(
            "firehose",
            endpoint_url=serving.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        sent = client.put_record_batch(DeliveryStreamName=STREAM, Records=[{"Data": line} for line in batch])
        assert sent["FailedPutCount"] == 0
        expected = _expected_lines(sample_assembly, [SEED_RECORD, *batch])
        data = out / DATA_BUCKET / "data"
        assert _wait_for(lambda: _decoded_lines(data) == expected, 60), _decoded_lines(data)
        assert _decoded_lines(out / BACKUP_BUCKET) == sorted([SEED_RECORD, *batch])  # before the shutdown too
    finally:
        finished = serving.stop(signal.SIGTERM)
    assert finished.returncode == 0, finished.stderr
    assert "records in:         41" in finished.stdout
    assert "API calls:          PutRecord 1, PutRecordBatch 1" in finished.stdout
    (report,) = json.loads(report_file.read_text())["streams"]
    assert report["records_in"] == report["records_delivered"] == 41
    assert report["records_dropped"] == 0
    assert report["records_failed"] == {}
    assert report["api"]["records_accepted"] == 41


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_put_through_injected_faults_loses_nothing(sample_assembly: Path, moto_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for bucket in ("serve-data", "serve-backup"):
        s3.create_bucket(Bucket=bucket)
    lines = list(sample_data.lines("weblog", seed=5, count=400))
    source, manifest, report_file = tmp_path / "in.jsonl", tmp_path / "manifest.json", tmp_path / "report.json"
    source.write_bytes(b"".join(lines))
    serving = Serving(
        "--app",
        str(sample_assembly),
        "--stack",
        WEB,
        "--endpoint-url",
        moto_endpoint,
        "--bucket",
        f"{DATA_BUCKET}=serve-data",
        "--bucket",
        f"{BACKUP_BUCKET}=serve-backup",
        "--fail-rate",
        "0.3",
        "--throttle-rate",
        "0.2",
        "--fault-seed",
        "7",
        "--report",
        str(report_file),
    )
    try:
        put = _firehose_s3(
            "put",
            "--endpoint-url",
            serving.url,
            "--region",
            "us-east-1",
            "--stream",
            STREAM,
            "--no-aggregate",
            "--manifest",
            str(manifest),
            str(source),
        )
        assert put.returncode == 0, put.stderr
        assert put.stdout.splitlines()[-1] == "summary: read 400, sent 400, skipped 0, failed 0, not attempted 0"
        for bucket in ("serve-data", "serve-backup"):  # 300 s buffers: nothing is due before the shutdown
            assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    finally:
        finished = serving.stop(signal.SIGINT)
    assert finished.returncode == 0, finished.stderr
    verify = ("verify", "--endpoint-url", moto_endpoint, "--region", "us-east-1", "--timeout", "0")
    exact = _firehose_s3(
        *verify, "--bucket", "serve-backup", "--prefix", "source-records/", "--manifest", str(manifest)
    )
    assert exact.returncode == 0, exact.stdout + exact.stderr
    counted = _firehose_s3(*verify, "--bucket", "serve-data", "--prefix", "data/", "--expect", "400")
    assert counted.returncode == 0, counted.stdout + counted.stderr
    (report,) = json.loads(report_file.read_text())["streams"]
    api = report["api"]
    assert api["entries_failed_injected"] > 40
    calls = int(re.search(r"^api calls: +(\d+)$", put.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert api["calls"] == {"PutRecordBatch": calls}  # every call the producer made reached the stream
    assert calls > 1 + api["calls_throttled_injected"]  # and the failed entries were sent again
    assert api["records_accepted"] == report["records_in"] == report["records_delivered"] == 400


def test_bad_command_lines_are_one_line_errors(sample_assembly: Path, tmp_path: Path) -> None:
    app, out = str(sample_assembly), str(tmp_path / "out")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        cases: dict[str, tuple[list[str], int, tuple[str, ...]]] = {
            "no output": (["--app", app, "--stack", WEB], 2, ("--out",)),
            "bucket without endpoint": (
                ["--app", app, "--stack", WEB, "--out", out, "--bucket", "A=b"],
                2,
                ("--bucket",),
            ),
            "rate over 1": (["--app", app, "--out", out, "--fail-rate", "1.5"], 2, ("--fail-rate", "between 0 and 1")),
            "time scale": (["--app", app, "--out", out, "--time-scale", "0"], 2, ("--time-scale",)),
            "certificate without key": (
                ["--app", app, "--stack", WEB, "--out", out, "--tls-cert", "cert.pem"],
                2,
                ("--tls-cert and --tls-key go together",),
            ),
            "unreadable certificate": (
                ["--app", app, "--stack", WEB, "--out", out, "--tls-cert", "/nope.pem", "--tls-key", "/nope.key"],
                2,
                ("cannot load the certificate '/nope.pem'",),
            ),
            "unknown stack": (["--app", app, "--stack", "Nope", "--out", out], 1, ("'Nope'", WEB)),
            "one name, several stacks": (
                ["--app", app, "--out", out],
                1,
                (f"would both be named '{STREAM}'", "--stack"),
            ),
            "port in use": (
                ["--app", app, "--stack", WEB, "--out", out, "--port", port],
                1,
                (f"cannot listen on 127.0.0.1:{port}",),
            ),
        }
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(
                zip(cases, pool.map(lambda case: _firehose_s3("serve", *case[0]), cases.values()), strict=True)
            )
    for name, (_, code, fragments) in cases.items():
        result = results[name]
        lines = result.stderr.splitlines()
        assert result.returncode == code, f"{name}: {result.stderr}"
        assert len(lines) == 1, f"{name}: {result.stderr}"
        assert lines[0].startswith("firehose-s3"), name
        assert "Traceback" not in result.stderr
        for fragment in fragments:
            assert fragment in lines[0], f"{name}: {lines[0]}"

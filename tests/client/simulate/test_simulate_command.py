"""``firehose-s3 simulate`` as a user runs it: subprocesses, one-line errors and exit statuses, S3 endpoints.

The processes run a few at a time in a thread pool (each start pays for importing the package); the tests
then assert on the recorded results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from simulator_helpers import (
    FUNCTION_ID,
    function_resource,
    lambda_processor,
    processing,
    stream_resource,
    write_assembly,
)

from firehose_s3_client import sample_data

REPO = Path(__file__).resolve().parents[3]
WEB = "FirehoseS3WebLogs"
KINESIS = "FirehoseS3KinesisSource"
DATA_BUCKET = "PipelineBucket60D569E5"
BACKUP_BUCKET = "PipelineBackupBucket80E87F67"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _run(
    args: Sequence[str], *, stdin: bytes | None = None, cwd: Path = REPO, env: dict[str, str] | None = None
) -> Result:
    completed = subprocess.run(
        [sys.executable, "-m", "firehose_s3_client.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **(env or {})},
        timeout=120,
        check=False,
    )
    return Result(completed.returncode, completed.stdout.decode(), completed.stderr.decode())


def _one_line_error(result: Result, code: int, *fragments: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("firehose-s3: error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture(scope="module")
def broken_assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("assemblies")
    unreadable = root / "unreadable"
    unreadable.mkdir()
    (unreadable / "manifest.json").write_text("{not json")
    two = write_assembly(root / "two", {"Stream": stream_resource(), "Other": stream_resource()})
    redshift = stream_resource()
    redshift["Properties"]["RedshiftDestinationConfiguration"] = {"ClusterJDBCURL": "jdbc:redshift://x"}
    unknown_processor = stream_resource(ProcessingConfiguration=processing({"Type": "Splunk", "Parameters": []}))
    node = function_resource("abc", Runtime="nodejs20.x", Handler="index.handler")
    return {
        "unreadable": unreadable,
        "two": two,
        "redshift": write_assembly(root / "redshift", {"Stream": redshift}),
        "processor": write_assembly(root / "processor", {"Stream": unknown_processor}),
        "node": write_assembly(
            root / "node",
            {"Stream": stream_resource(ProcessingConfiguration=processing(lambda_processor())), FUNCTION_ID: node},
            assets={"abc": {"index.js": "exports.handler = async (e) => e;"}},
        ),
    }


def test_bad_inputs_are_one_line_errors(
    sample_assembly: Path, broken_assemblies: dict[str, Path], tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"a":1}\n')
    out = str(tmp_path / "out")

    def simulate(app: Path | str, stack: str, *extra: str) -> list[str]:
        return ["simulate", "--app", str(app), "--stack", stack, "--input", str(source), "--out", out, *extra]

    cases = {
        "missing assembly": (simulate(tmp_path / "nope", WEB), 1, ("cloud assembly not found",)),
        "unreadable assembly": (simulate(broken_assemblies["unreadable"], "Test"), 1, ("unreadable",)),
        "unknown stack": (simulate(sample_assembly, "Nope"), 1, ("'Nope'", WEB)),
        "unknown stream": (simulate(sample_assembly, WEB, "--stream", "Nope"), 1, ("'Nope'", "PipelineDeliveryStream")),
        "ambiguous stream": (simulate(broken_assemblies["two"], "Test"), 1, ("--stream", "Other", "Stream")),
        "other destination": (
            simulate(broken_assemblies["redshift"], "Test"),
            1,
            ("RedshiftDestinationConfiguration",),
        ),
        "unknown processor": (simulate(broken_assemblies["processor"], "Test"), 1, ("'Splunk'",)),
        "node function": (simulate(broken_assemblies["node"], "Test"), 1, ("nodejs20.x", "--processor")),
        "missing input": (
            ["simulate", "--app", str(sample_assembly), "--stack", WEB, "--input", "/nope", "--out", out],
            2,
            ("/nope",),
        ),
        "bad start": (simulate(sample_assembly, WEB, "--start", "yesterday"), 2, ("--start",)),
        "bad rate": (simulate(sample_assembly, WEB, "--rate", "0"), 2, ("--rate",)),
        "no output": (
            ["simulate", "--app", str(sample_assembly), "--stack", WEB, "--input", str(source)],
            2,
            ("--out",),
        ),
        "endpoint without buckets": (
            simulate(sample_assembly, WEB, "--endpoint-url", "http://127.0.0.1:9"),
            2,
            ("--bucket", DATA_BUCKET),
        ),
        "bad secret": (simulate(sample_assembly, WEB, "--secret", "Nope=x"), 1, ("Nope",)),
        "processor without lambda": (simulate(sample_assembly, KINESIS, "--processor", "a:b"), 1, ("--processor",)),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(cases, pool.map(lambda case: _run(case[0]), cases.values()), strict=True))
    for name, (_, code, fragments) in cases.items():
        try:
            _one_line_error(results[name], code, *fragments)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_endpoint_output_is_read_by_verify(sample_assembly: Path, moto_endpoint: str, tmp_path: Path) -> None:
    lines = list(sample_data.lines("weblog", seed=3, count=400, bad_share=0.05))
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(lines))
    s3 = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    for bucket in ("sim-data", "sim-backup"):
        s3.create_bucket(Bucket=bucket)
    report_file = tmp_path / "report.json"
    simulated = _run(
        [
            "simulate",
            "--app",
            str(sample_assembly),
            "--stack",
            WEB,
            "--input",
            str(source),
            "--endpoint-url",
            moto_endpoint,
            "--bucket",
            f"{DATA_BUCKET}=sim-data",
            "--bucket",
            f"{BACKUP_BUCKET}=sim-backup",
            "--report",
            str(report_file),
            "--start",
            "2026-11-26T09:00:00Z",
        ]
    )
    assert simulated.returncode == 0, simulated.stderr
    report = json.loads(report_file.read_text())
    delivered = report["records_delivered"]
    assert report["records_failed"]["processing-failed"] > 0
    verified = _run(
        [
            "verify",
            "--bucket",
            "sim-data",
            "--prefix",
            "data/",
            "--error-prefix",
            "errors/",
            "--expect",
            str(delivered),
            "--timeout",
            "0",
            "--endpoint-url",
            moto_endpoint,
            "--region",
            "us-east-1",
        ]
    )
    # verify finds every delivered record, and reports the error objects (so it exits 1, as it should).
    assert verified.returncode == 1, verified.stdout + verified.stderr
    assert f"{delivered}" in verified.stdout
    assert "processing-failed" in verified.stdout + verified.stderr
    key = report["keys"]["data"][0]
    head = s3.head_object(Bucket="sim-data", Key=key)
    assert head["ContentEncoding"] == "gzip"
    assert head["ContentType"] == "application/octet-stream"
    clean = _run(
        [
            "verify",
            "--bucket",
            "sim-backup",
            "--prefix",
            "source-records/",
            "--expect",
            str(report["records_in"]),
            "--timeout",
            "0",
            "--endpoint-url",
            moto_endpoint,
            "--region",
            "us-east-1",
        ]
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_stdin_raw_aggregate_and_processor(sample_assembly: Path, tmp_path: Path) -> None:
    lines = list(sample_data.lines("weblog", seed=5, count=600))
    module = tmp_path / "my_transform.py"
    module.write_text(
        "import base64\n"
        "def handler(event, context):\n"
        "    return {'records': [{'recordId': r['recordId'], 'result': 'Dropped' if i % 3 == 0 else 'Ok',\n"
        "             'data': r['data']} for i, r in enumerate(event['records'])]}\n"
    )
    common = ["simulate", "--app", str(sample_assembly), "--input", "-", "--start", "2026-11-26T09:00:00Z"]
    cases = {
        "raw": (
            [
                *common,
                "--stack",
                KINESIS,
                "--raw",
                "--out",
                str(tmp_path / "raw"),
                "--report",
                str(tmp_path / "raw.json"),
            ],
            tmp_path,
        ),
        "aggregate": (
            [
                *common,
                "--stack",
                KINESIS,
                "--aggregate",
                "--out",
                str(tmp_path / "agg"),
                "--report",
                str(tmp_path / "agg.json"),
            ],
            tmp_path,
        ),
        "processor": (
            [
                *common,
                "--stack",
                WEB,
                "--processor",
                "my_transform:handler",
                "--out",
                str(tmp_path / "proc"),
                "--report",
                str(tmp_path / "proc.json"),
            ],
            tmp_path,
        ),
    }
    payload = b"".join(lines) + b"\n"  # a trailing blank line: a record with --raw, skipped otherwise
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(cases, pool.map(lambda c: _run(c[0], stdin=payload, cwd=c[1]), cases.values()), strict=True))
    for name, result in results.items():
        assert result.returncode == 0, f"{name}: {result.stderr}"
        assert "records in:" in result.stdout
    raw = json.loads((tmp_path / "raw.json").read_text())
    assert raw["records_in"] == raw["records_delivered"] == 601
    aggregate = json.loads((tmp_path / "agg.json").read_text())
    assert 1 <= aggregate["records_in"] < 10  # 600 lines of ~550 bytes in 1,024,000-byte records of 500 lines
    assert aggregate["billed_bytes"] < raw["billed_bytes"] / 5  # ~550-byte records each billed 5 KiB
    processed = json.loads((tmp_path / "proc.json").read_text())
    assert processed["records_dropped"] == 200
    assert processed["records_delivered"] == 400
    assert processed["lambda"]["code"] == "--processor my_transform:handler"


def test_a_function_that_cannot_start_is_reported_once(tmp_path: Path) -> None:
    resources = {
        "Stream": stream_resource(ProcessingConfiguration=processing(lambda_processor())),
        FUNCTION_ID: function_resource("abc"),
    }
    assembly = write_assembly(tmp_path / "cdk.out", resources, assets={"abc": {"index.py": "import missing_module\n"}})
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"a":1}\n{"a":2}\n')
    result = _run(
        [
            "simulate",
            "--app",
            str(assembly),
            "--stack",
            "Test",
            "--input",
            str(source),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ]
    )
    assert result.returncode == 0  # the run completed: both records are in the error output
    assert result.stderr.splitlines() == [
        "firehose-s3: warning: the Lambda function failed to initialize: "
        "Runtime.ImportModuleError: ModuleNotFoundError: No module named 'missing_module'"
    ]
    assert len(list((tmp_path / "out" / "DataBucket").rglob("*"))) > 0


def test_a_relative_app_path_runs_the_function_from_its_asset(sample_assembly: Path, tmp_path: Path) -> None:
    # The function runs with its asset directory as working directory: a relative --app must still find it.
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(sample_data.lines(sample_data.WEBLOG, seed=3, count=5)))
    command = [sys.executable, "-m", "firehose_s3_client.cli", "simulate", "--app", sample_assembly.name]
    command += ["--stack", WEB, "--input", str(source), "--out", str(tmp_path / "out")]
    result = subprocess.run(
        [*command, "--report", str(tmp_path / "r.json")],
        cwd=sample_assembly.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["records_delivered"] == 5
    assert "failed to initialize" not in result.stderr

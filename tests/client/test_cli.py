"""The ``firehose-s3`` CLI against a moto server on 127.0.0.1.

The main flow runs as real subprocesses (``python -m firehose_s3_client.cli``, and once the
installed ``firehose-s3`` console script): put -> verify, replay, and verify of every compression
format. They run two at a time in a thread pool (each process start-up pays for
importing the package); the tests then assert on the recorded results. The other scenarios (stdin,
--strict, error objects, polling, every bad-input case) call ``cli.main(argv)`` in-process against the
same server: same code path, same one-line-error guarantee (an escaping exception fails the test).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import snappy
from moto.server import ThreadedMotoServer

from firehose_s3_client import cli, verify_command
from firehose_s3_client.errors import EXIT_STATUSES

REPO = Path(__file__).resolve().parents[2]
BUCKET = "cli-test-bucket"
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/firehose-delivery"
STREAMS = {
    "cli-put": "put/",
    "cli-stdin": "stdin/",
    "cli-strict": "strict/",
    "cli-replay": "replayed/",
    "cli-progress": "progress/",
}
PUT_RECORDS = 3000
STDIN_RECORDS = 700
HOUR = "2026/11/26/09"


@dataclass
class Run:
    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def summary(self) -> dict[str, str]:
        """The ``name: value`` lines a command prints on stdout."""
        rows = (line.split(":", 1) for line in self.stdout.splitlines() if ":" in line)
        return {name.strip(): value.strip() for name, value in rows}

    def counts(self) -> dict[str, int]:
        """``put``'s last line, ``summary: read N, sent N, skipped N, failed N, not attempted N``, as a dict."""
        last = self.stdout.splitlines()[-1]
        assert last.startswith("summary: "), self.stdout
        fields = last.removeprefix("summary: ").split(";")[0].split(", ")
        return {name: int(value) for name, value in (field.rsplit(" ", 1) for field in fields)}


@dataclass
class Step:
    name: str
    args: Sequence[str]
    stdin: bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    unset: Sequence[str] = ()
    command: Sequence[str] | None = None  # default: python -m firehose_s3_client.cli


def base_env(missing: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(missing),
            "AWS_SHARED_CREDENTIALS_FILE": str(missing),
            "AWS_EC2_METADATA_DISABLED": "true",
            # The package __init__ may import aws_cdk, whose jsii runtime prints a Node banner.
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )
    return env


def run_step(step: Step, endpoint: str, missing: Path) -> Run:
    env = base_env(missing)
    env.update(step.env)
    for name in step.unset:
        env.pop(name, None)
    command = list(step.command or [sys.executable, "-m", "firehose_s3_client.cli"])
    args = [*step.args, "--endpoint-url", endpoint]
    start = time.monotonic()
    proc = subprocess.run(
        [*command, *args], input=step.stdin, capture_output=True, cwd=REPO, env=env, timeout=120, check=False
    )
    return Run(
        args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
        time.monotonic() - start,
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3(moto_server: str) -> Any:
    kwargs: dict[str, Any] = {
        "endpoint_url": moto_server,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    client = boto3.client("s3", **kwargs)
    firehose = boto3.client("firehose", **kwargs)
    client.create_bucket(Bucket=BUCKET)
    for stream, prefix in STREAMS.items():
        firehose.create_delivery_stream(
            DeliveryStreamName=stream,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE,
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": prefix,
                "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            },
        )
    for key, body in {**REPLAY_OBJECTS, **FORMAT_OBJECTS, **ERRTEST_OBJECTS}.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return client


def error_line(raw: bytes, **extra: object) -> bytes:
    doc = {
        "attemptsMade": 4,
        "arrivalTimestamp": 1_764_147_600_000,
        "errorCode": "Lambda.FunctionError",
        "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
        "attemptEndingTimestamp": 1_764_147_660_000,
        "rawData": base64.b64encode(raw).decode(),
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:transform:$LATEST",
        **extra,
    }
    return json.dumps(doc).encode() + b"\n"


# Error records to replay: an aggregate of 3 lines, single records with and without a newline,
# and a gzip-compressed object; 7 original lines in all.
REPLAY_OBJECTS = {
    f"errors/processing-failed/{HOUR}/cli-put-1-2026-11-26-09-00-00-a": (
        error_line(b'{"r":1}\n{"r":2}\n{"r":3}\n') + error_line(b'{"r":4}') + error_line(b'{"r":5}\n')
    ),
    f"errors/format-conversion-failed/{HOUR}/cli-put-1-2026-11-26-09-00-00-b.gz": gzip.compress(
        error_line(b'{"r":6}\n', lastErrorCode="DataFormatConversion.Malformed")
        + error_line(b'{"r":7}\n', lastErrorCode="DataFormatConversion.Malformed")
    ),
}
REPLAY_LINES = 7


def lines(count: int, start: int = 0) -> bytes:
    return b"".join(b'{"n":%d,"msg":"hello"}\n' % i for i in range(start, start + count))


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("records", data)
    return buffer.getvalue()


def framed_snappy(data: bytes) -> bytes:
    compressor = snappy.StreamCompressor()
    return bytes(compressor.add_chunk(data)) + bytes(compressor.flush())


def hadoop_snappy(data: bytes) -> bytes:
    compressed = bytes(snappy.compress(data))
    return len(data).to_bytes(4, "big") + len(compressed).to_bytes(4, "big") + compressed


def parquet_rows(rows: int) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"n": list(range(rows))}), buffer)
    return buffer.getvalue()


FORMAT_OBJECTS = {
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-plain": lines(1000),
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-a.gz": gzip.compress(lines(1000)),
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-b.zip": zipped(lines(1000)),
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-c.snappy": framed_snappy(lines(1000)),
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-d.hsnappy": hadoop_snappy(lines(1000)),
    f"formats/{HOUR}/s-1-2026-11-26-09-00-00-e.parquet": parquet_rows(1234),
}
FORMAT_RECORDS = 5 * 1000 + 1234

ERRTEST_OBJECTS = {
    f"errtest/{HOUR}/s-1-2026-11-26-09-00-00-data": lines(10),
    f"errtest/processing-failed/{HOUR}/s-1-x": error_line(b'{"bad":1}\n'),
    f"errtest/format-conversion-failed/{HOUR}/s-1-y.gz": gzip.compress(error_line(b'{"bad":2}\n')),
    f"errtest/activePartitionExceeded/{HOUR}/s-1-z": error_line(b'{"bad":3}\n{"bad":4}\n'),
}


@pytest.fixture(scope="module")
def runs(moto_server: str, s3: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Run every CLI scenario once (in parallel where independent); name -> result."""
    tmp = tmp_path_factory.mktemp("cli")
    missing = tmp / "no-such-aws-config"
    put_file = tmp / "records.jsonl"
    put_file.write_bytes(lines(1500) + b"\n   \n{not json}\n" + lines(PUT_RECORDS - 1500, 1500))  # lines 1501-1503
    failed_file = tmp / "failed.jsonl"
    manifest_file = tmp / "manifest.json"

    script = Path(sys.executable).with_name("firehose-s3")
    chains: list[list[Step]] = [
        [
            Step(
                "put",
                [
                    "put",
                    "--stream",
                    "cli-put",
                    str(put_file),
                    "--failed-output",
                    str(failed_file),
                    "--manifest",
                    str(manifest_file),
                ],
            ),
            Step(
                "verify_manifest",
                [
                    "verify",
                    "--bucket",
                    BUCKET,
                    "--prefix",
                    "put/",
                    "--manifest",
                    str(manifest_file),
                    "--timeout",
                    "0",
                ],
            ),
            Step(
                "verify_put",
                [
                    "verify",
                    "--bucket",
                    BUCKET,
                    "--prefix",
                    "put/",
                    "--error-prefix",
                    "put-errors/",
                    "--expect",
                    str(PUT_RECORDS),
                    "--timeout",
                    "0",
                    "--since",
                    "15m",
                ],
            ),
        ],
        [Step("replay", ["replay", "--bucket", BUCKET, "--prefix", "errors/", "--stream", "cli-replay"])],
        [
            Step(
                "console_script",
                [
                    "verify",
                    "--bucket",
                    BUCKET,
                    "--prefix",
                    "formats/",
                    "--expect",
                    str(FORMAT_RECORDS),
                    "--timeout",
                    "0",
                ],
                command=[str(script)] if script.exists() else None,
            )
        ],
    ]
    results: dict[str, Run] = {}

    def run_chain(chain: list[Step]) -> None:
        for step in chain:
            results[step.name] = run_step(step, moto_server, missing)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(run_chain, chain) for chain in chains]:
            future.result()
    results["_failed_file"] = Run([], 0, failed_file.read_text() if failed_file.exists() else "<missing>", "", 0)
    results["_manifest"] = Run([], 0, manifest_file.read_text() if manifest_file.exists() else "<missing>", "", 0)
    return results


def keys_under(s3: Any, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def read_lines(s3: Any, prefix: str) -> list[bytes]:
    return [
        line
        for key in keys_under(s3, prefix)
        for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()
    ]


# --------------------------------------------------------------------------- in-process runner


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def invoke(
    moto_server: str, s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """Run ``cli.main`` in-process against the moto server with the dummy AWS environment."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in base_env(tmp_path / "missing").items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)

    def call(*argv: str, stdin: bytes = b"", unset: Sequence[str] = (), endpoint: bool = True) -> Run:
        for name in unset:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
        args = [*argv, "--endpoint-url", moto_server] if endpoint else list(argv)
        start = time.monotonic()
        try:
            code = cli.main(args)
        except SystemExit as exit_:  # argparse exits by itself on a usage error
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Run(args, code, out, err, time.monotonic() - start)

    return call


def assert_one_line_error(run: Run, *fragments: str, code: int = 1) -> None:
    assert run.returncode == code, run
    assert "Traceback" not in run.stderr
    error_lines = run.stderr.splitlines()
    assert len(error_lines) == 1, run.stderr
    assert error_lines[0].startswith("firehose-s3")
    assert "error: " in error_lines[0]
    for fragment in fragments:
        assert fragment in error_lines[0]


# --------------------------------------------------------------------------- put


def test_put_sends_json_lines_and_reports(runs: dict[str, Run], s3: Any) -> None:
    run = runs["put"]
    assert run.returncode == 0, run
    assert run.counts() == {"read": PUT_RECORDS + 1, "sent": PUT_RECORDS, "skipped": 1, "failed": 0, "not attempted": 0}
    summary = run.summary()
    assert summary["blank lines"] == "2"
    assert summary["api calls"] == "1"
    assert summary["billed bytes"].endswith("x payload)")
    assert "line 1503: not valid JSON" in run.stderr  # the blank lines 1501-1502 are ignored silently
    assert len(run.stderr.splitlines()) == 1
    sent = read_lines(s3, "put/")
    assert sorted(json.loads(line)["n"] for line in sent) == list(range(PUT_RECORDS))
    assert runs["_failed_file"].stdout == ""


def test_put_manifest_lists_every_accepted_record(runs: dict[str, Run]) -> None:
    manifest = json.loads(runs["_manifest"].stdout)
    assert manifest["format"] == "firehose-s3-manifest"
    assert manifest["count"] == PUT_RECORDS == len(manifest["digests"])
    assert manifest["lines"] == [*range(1, 1501), *range(1504, PUT_RECORDS + 4)]
    assert manifest["stream"] == "cli-put"


def test_verify_manifest_finds_exactly_what_put_sent(runs: dict[str, Run]) -> None:
    run = runs["verify_manifest"]
    assert run.returncode == 0, run
    summary = run.summary()
    assert (summary["arrived"], summary["missing"], summary["unexpected"], summary["duplicates"]) == (
        str(PUT_RECORDS),
        "0",
        "0",
        "0",
    )
    assert summary["result"] == "OK"


def test_verify_counts_what_put_sent(runs: dict[str, Run]) -> None:
    run = runs["verify_put"]
    assert run.returncode == 0, run
    assert run.summary()["data records"] == str(PUT_RECORDS)
    assert run.summary()["result"] == "OK"


def test_put_from_stdin_without_aggregation(invoke: Callable[..., Run], s3: Any) -> None:
    run = invoke("put", "--stream", "cli-stdin", "--no-aggregate", "-", stdin=lines(STDIN_RECORDS))
    assert run.returncode == 0, run
    assert run.counts()["sent"] == STDIN_RECORDS
    assert run.summary()["input"] == "<stdin>"
    assert run.summary()["firehose records"] == str(STDIN_RECORDS)
    assert run.summary()["api calls"] == "2"  # 500 + 200 records
    assert len(read_lines(s3, "stdin/")) == STDIN_RECORDS
    assert len(keys_under(s3, "stdin/")) == 2


def test_put_strict_sends_nothing_when_a_line_is_invalid(invoke: Callable[..., Run], s3: Any) -> None:
    run = invoke("put", "--stream", "cli-strict", "--strict", "-", stdin=lines(50) + b"[1,\n" + lines(5))
    assert run.returncode == 2, run
    assert "<stdin>: line 51: not valid JSON" in run.stderr
    assert "--strict: 1 invalid line; nothing was sent" in run.stderr
    assert keys_under(s3, "strict/") == []


def test_progress_line_on_a_terminal(
    invoke: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(200))
    run = invoke("put", "--stream", "cli-progress", str(source))
    assert run.returncode == 0
    output = terminal.getvalue()
    assert "\r200 records" in output
    assert "MB/s" in output
    assert output.endswith("\n")
    assert run.counts()["sent"] == 200


def test_no_progress_line_when_not_a_terminal(invoke: Callable[..., Run], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    run = invoke("put", "--stream", "cli-progress", str(source))
    assert run.returncode == 0
    assert run.stderr == ""


# --------------------------------------------------------------------------- verify


def test_verify_decompresses_every_format(runs: dict[str, Run]) -> None:
    """Also the run through the installed console script, when there is one."""
    run = runs["console_script"]
    assert run.returncode == 0, run
    assert run.summary()["data objects"] == "6"
    assert run.summary()["data records"] == str(FORMAT_RECORDS)
    if not Path(sys.executable).with_name("firehose-s3").exists():
        pytest.skip("no firehose-s3 console script in this environment (ran with python -m instead)")


def test_verify_reports_error_objects_and_fails(invoke: Callable[..., Run]) -> None:
    run = invoke("verify", "--bucket", BUCKET, "--prefix", "errtest/", "--timeout", "0")
    assert run.returncode == 1, run
    assert run.summary()["data records"] == "10"
    assert run.summary()["error objects"] == "3"
    assert run.summary()["error records"] == "3 (4 lines)"
    assert "(processing-failed: 1 error record, 1 line)" in run.stdout  # singular nouns
    assert "(activePartitionExceeded: 1 error record, 2 lines)" in run.stdout
    assert "(format-conversion-failed: 1 error record, 1 line)" in run.stdout
    assert run.summary()["result"].startswith("FAILED: 3 error objects")


def test_verify_explicit_error_prefix(invoke: Callable[..., Run]) -> None:
    run = invoke("verify", "--bucket", BUCKET, "--prefix", "formats/", "--error-prefix", "errors/", "--timeout", "0")
    assert run.returncode == 1, run
    assert run.summary()["data records"] == str(FORMAT_RECORDS)
    assert run.summary()["error objects"] == "2"


def test_verify_times_out_when_too_few_records_arrive(invoke: Callable[..., Run]) -> None:
    run = invoke(
        "verify",
        "--bucket",
        BUCKET,
        "--prefix",
        "formats/",
        "--expect",
        "1000000",
        "--timeout",
        "1",
        "--interval",
        "0.3",
    )
    assert run.returncode == 1, run
    assert f"{FORMAT_RECORDS} of 1000000 expected records arrived" in run.stdout
    assert 0.5 < run.seconds < 10


def test_verify_polls_until_objects_appear(
    invoke: Callable[..., Run], s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls: list[float] = []

    def fake_sleep(seconds: float) -> None:  # the object "arrives" during the third wait
        polls.append(seconds)
        if len(polls) == 3:
            s3.put_object(Bucket=BUCKET, Key=f"late/{HOUR}/s-1-late", Body=lines(5))

    monkeypatch.setattr(verify_command, "_sleep", fake_sleep)
    run = invoke(
        "verify", "--bucket", BUCKET, "--prefix", "late/", "--expect", "5", "--timeout", "300", "--interval", "7"
    )
    assert run.returncode == 0, run
    assert run.summary()["data records"] == "5"
    assert polls == [7, 7, 7]


def test_verify_since_filters_old_objects(invoke: Callable[..., Run]) -> None:
    run = invoke(
        "verify", "--bucket", BUCKET, "--prefix", "formats/", "--since", "2999-01-01T00:00:00Z", "--timeout", "0"
    )
    assert run.returncode == 1
    assert run.summary()["data objects"] == "0"


# --------------------------------------------------------------------------- replay


def test_replay_dry_run_only_counts(invoke: Callable[..., Run], s3: Any) -> None:
    run = invoke("replay", "--bucket", BUCKET, "--prefix", "errors/", "--stream", "cli-progress", "--dry-run")
    assert run.returncode == 0, run
    summary = run.summary()
    assert summary["error objects"] == "2"
    assert summary["error records"] == "5"
    assert summary["original lines"] == str(REPLAY_LINES)
    assert summary["mode"] == "dry run: nothing sent"


def test_replay_resends_the_raw_records(runs: dict[str, Run], s3: Any, invoke: Callable[..., Run]) -> None:
    run = runs["replay"]
    assert run.returncode == 0, run
    assert run.summary()["records sent"] == "5"  # one Firehose record per error record, aggregate kept whole
    assert run.summary()["failures"] == "0"
    replayed = read_lines(s3, "replayed/")
    assert sorted(json.loads(line)["r"] for line in replayed) == list(range(1, REPLAY_LINES + 1))
    verify = invoke(
        "verify", "--bucket", BUCKET, "--prefix", "replayed/", "--expect", str(REPLAY_LINES), "--timeout", "0"
    )
    assert verify.returncode == 0, verify


def test_replay_reports_lines_that_are_not_error_records(invoke: Callable[..., Run]) -> None:
    run = invoke("replay", "--bucket", BUCKET, "--prefix", "formats/s-1", "--stream", "cli-progress", "--dry-run")
    assert run.returncode == 0  # nothing under that prefix
    run = invoke(
        "replay",
        "--bucket",
        BUCKET,
        "--prefix",
        f"formats/{HOUR}/s-1-2026-11-26-09-00-00-plain",
        "--stream",
        "cli-progress",
        "--dry-run",
    )
    assert run.returncode == 1
    assert run.summary()["skipped lines"] == "1000"
    assert "line 1: no rawData; skipped" in run.stderr


# --------------------------------------------------------------------------- bad input: one line, no traceback


def test_missing_stream(invoke: Callable[..., Run], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    assert_one_line_error(invoke("put", "--stream", "nope", str(source)), "delivery stream 'nope' not found")
    run = invoke("replay", "--bucket", BUCKET, "--prefix", "errors/", "--stream", "nope")
    assert_one_line_error(run, "delivery stream 'nope' not found")


def test_missing_bucket(invoke: Callable[..., Run]) -> None:
    run = invoke("verify", "--bucket", "no-such-bucket", "--timeout", "0")
    assert_one_line_error(run, "bucket 'no-such-bucket' does not exist")
    run = invoke("replay", "--bucket", "no-such-bucket", "--prefix", "e/", "--stream", "cli-put")
    assert_one_line_error(run, "bucket 'no-such-bucket' does not exist")


def test_unreadable_file(invoke: Callable[..., Run], tmp_path: Path) -> None:
    assert_one_line_error(
        invoke("put", "--stream", "cli-put", str(tmp_path / "nope.jsonl")),
        "cannot read",
        "nope.jsonl",
        "No such file",
        code=2,
    )
    assert_one_line_error(invoke("put", "--stream", "cli-put", str(tmp_path)), "Is a directory", code=2)


def test_no_credentials(invoke: Callable[..., Run], tmp_path: Path) -> None:
    unset = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    assert_one_line_error(invoke("put", "--stream", "cli-put", str(source), unset=unset), "no AWS credentials found")
    run = invoke("verify", "--bucket", BUCKET, "--timeout", "0", unset=unset)
    assert_one_line_error(run, "no AWS credentials found")


def test_bad_profile(invoke: Callable[..., Run]) -> None:
    run = invoke("verify", "--bucket", BUCKET, "--profile", "ghost", "--timeout", "0")
    assert_one_line_error(run, "AWS profile 'ghost' not found")


def test_no_region(invoke: Callable[..., Run], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    run = invoke("put", "--stream", "cli-put", str(source), unset=("AWS_DEFAULT_REGION",))
    assert_one_line_error(run, "no AWS region configured")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["put"], "the following arguments are required: --stream"),
        (["verify", "--bucket", "b", "--since", "yesterday"], "--since must be an ISO-8601 time"),
        (["verify", "--bucket", "b", "--interval", "0"], "--interval > 0"),
        (["put", "--stream", "s", "--aggregate-bytes", "10", "/dev/null"], "aggregate_max_bytes must be between"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line(invoke: Callable[..., Run], argv: list[str], fragment: str) -> None:
    assert_one_line_error(invoke(*argv, endpoint=False), fragment, code=2)


# --------------------------------------------------------------------------- what put accepts, version, docs

TRANSFORM_TRAPS = {
    "utf-16": '{"a": 1}'.encode("utf-16"),
    "bom": b'\xef\xbb\xbf{"a": 1}',
    "nan": b'{"a": NaN}',
    "bare number": b"42",
    "array": b"[1, 2]",
    "lone surrogate": b'{"a": "\\ud800"}',
    "big integer": b'{"id": 18446744073709551616}',
}


def test_put_skips_what_the_transform_would_reject_and_raw_sends_it(
    invoke: Callable[..., Run], tmp_path: Path, s3: Any
) -> None:
    source = tmp_path / "traps.jsonl"
    source.write_bytes(b'{"ok": 1}\n' + b"\n".join(TRANSFORM_TRAPS.values()) + b'\n{"ok": 2}\n')
    run = invoke("put", "--stream", "cli-progress", str(source))
    assert run.returncode == 0, run
    assert run.counts() == {"read": 9, "sent": 2, "skipped": 7, "failed": 0, "not attempted": 0}
    skipped = [line for line in run.stderr.splitlines() if line.endswith("; skipped")]
    assert [line.split(": line ")[1].split(":")[0] for line in skipped] == [str(n) for n in range(2, 9)]
    assert "byte-order mark" in skipped[1]
    assert "NaN is not a JSON number" in skipped[2]
    assert "a number, not a JSON object" in skipped[3]
    raw = invoke("put", "--stream", "cli-progress", "--raw", str(source))
    assert raw.returncode == 0, raw
    assert raw.counts() == {"read": 9, "sent": 9, "skipped": 0, "failed": 0, "not attempted": 0}


def test_put_of_a_binary_file_sends_nothing_and_fails(invoke: Callable[..., Run], tmp_path: Path) -> None:
    binary = tmp_path / "program"
    binary.write_bytes(Path(sys.executable).read_bytes()[:20000])
    run = invoke("put", "--stream", "cli-progress", str(binary))
    assert_one_line_error(run, "it is not UTF-8 text (NUL bytes", "nothing was sent", code=2)
    assert run.counts()["sent"] == 0


@pytest.mark.parametrize("content", [b"", b"\n  \n", b"not json\n[1]\n"], ids=["empty", "blank", "all-invalid"])
def test_put_with_no_valid_record_fails(invoke: Callable[..., Run], tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    run = invoke("put", "--stream", "cli-progress", str(source))
    assert run.returncode == 2, run
    assert run.stderr.splitlines()[-1].startswith(f"firehose-s3: error: no valid record in {source}")
    assert "Traceback" not in run.stderr


def test_put_refuses_to_overwrite_its_input(invoke: Callable[..., Run], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    for option in ("--failed-output", "--manifest"):
        run = invoke("put", "--stream", "cli-progress", str(source), option, str(source))
        assert_one_line_error(run, f"{option} {str(source)!r} is the input file", code=2)
    assert source.read_bytes() == lines(3)


def test_version(invoke: Callable[..., Run]) -> None:
    run = invoke("--version", endpoint=False)
    assert run.returncode == 0
    assert run.stdout.strip() == f"firehose-s3 {cli.version()}"
    assert cli.version() != "unknown"  # the package is installed (editable) in the test environment


def test_exit_statuses_are_the_same_in_the_docstring_the_help_and_the_docs(invoke: Callable[..., Run]) -> None:
    docs = " ".join((REPO / "docs" / "producer.md").read_text().split())
    docstring = " ".join((cli.__doc__ or "").split())
    help_text = " ".join(invoke("--help", endpoint=False).stdout.split())
    put_help = " ".join(invoke("put", "--help", endpoint=False).stdout.split())
    for status, meaning in EXIT_STATUSES:
        assert f"{status} {meaning}" in docstring
        assert f"{status} {meaning}" in help_text
        assert f"{status} {meaning}" in put_help
        assert f"| {status} | {meaning} |" in docs


# --------------------------------------------------------------------------- verify --manifest


def _manifest(tmp_path: Path, records: bytes, name: str = "m.json") -> Path:
    from firehose_s3_client.manifest import Manifest, record_digest

    manifest = Manifest("in.jsonl", "s")
    for number, line in enumerate(records.splitlines(), start=1):
        manifest.add(number, record_digest(line))
    path = tmp_path / name
    manifest.write(str(path))
    return path


def test_verify_manifest_lists_missing_unexpected_and_duplicate_records(
    invoke: Callable[..., Run], s3: Any, tmp_path: Path
) -> None:
    expected = lines(10)
    arrived = lines(8) + b'{"n": 1, "msg": "hello"}\n' + b'{"stranger":true}\n'  # 1 again (other spacing), 1 new
    s3.put_object(Bucket=BUCKET, Key=f"mf/{HOUR}/s-1-a", Body=arrived[: len(arrived) // 2])
    s3.put_object(Bucket=BUCKET, Key=f"mf/{HOUR}/s-1-b.gz", Body=gzip.compress(arrived[len(arrived) // 2 :]))
    manifest = str(_manifest(tmp_path, expected))
    run = invoke("verify", "--bucket", BUCKET, "--prefix", "mf/", "--manifest", manifest, "--timeout", "0")
    assert run.returncode == 1, run
    assert "missing records (input lines): 9, 10" in run.stdout
    assert f"unexpected records (object:line): mf/{HOUR}/s-1-b.gz:" in run.stdout
    summary = run.summary()
    assert (summary["arrived"], summary["missing"], summary["unexpected"], summary["duplicates"]) == (
        "8",
        "2",
        "1",
        "1",
    )
    assert "2 records of the manifest missing" in summary["result"]
    assert "1 unexpected record" in summary["result"]
    assert "1 duplicate" in summary["result"]


def test_verify_manifest_tolerates_duplicates_when_asked(invoke: Callable[..., Run], s3: Any, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"dup/{HOUR}/s-1-a", Body=lines(3) + lines(1))
    manifest = str(_manifest(tmp_path, lines(3)))
    strict = invoke("verify", "--bucket", BUCKET, "--prefix", "dup/", "--manifest", manifest, "--timeout", "0")
    assert strict.returncode == 1
    tolerant = invoke(
        "verify", "--bucket", BUCKET, "--prefix", "dup/", "--manifest", manifest, "--allow-duplicates", "--timeout", "0"
    )
    assert tolerant.returncode == 0, tolerant
    assert tolerant.summary()["duplicates"] == "1"


def test_verify_manifest_says_which_missing_records_are_in_error_objects(
    invoke: Callable[..., Run], s3: Any, tmp_path: Path
) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"mferr/{HOUR}/s-1-a", Body=lines(2))
    s3.put_object(Bucket=BUCKET, Key=f"mferr/processing-failed/{HOUR}/s-1-x", Body=error_line(lines(1, start=2)))
    manifest = str(_manifest(tmp_path, lines(3)))
    run = invoke("verify", "--bucket", BUCKET, "--prefix", "mferr/", "--manifest", manifest, "--timeout", "30")
    assert run.returncode == 1
    assert run.seconds < 20  # every record is accounted for (2 arrived, 1 failed): no need to wait
    assert "1 record of the manifest missing, 1 of them in error objects" in run.summary()["result"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{}", "is not a firehose-s3 manifest"),
        (b"not json", "is not a firehose-s3 manifest (not JSON)"),
        (b'{"format": "firehose-s3-manifest", "version": 9}', "manifest version 9 is not 1"),
        (
            b'{"format": "firehose-s3-manifest", "version": 1, "count": 2, "lines": [1], "digests": ["a"]}',
            "count, lines and digests do not match",
        ),
    ],
)
def test_verify_rejects_what_is_not_a_manifest(
    invoke: Callable[..., Run], tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(content)
    assert_one_line_error(invoke("verify", "--bucket", BUCKET, "--manifest", str(path)), fragment, code=2)


def test_verify_expect_and_manifest_are_exclusive(invoke: Callable[..., Run], tmp_path: Path) -> None:
    run = invoke("verify", "--bucket", BUCKET, "--expect", "3", "--manifest", str(_manifest(tmp_path, lines(3))))
    assert_one_line_error(run, "--expect and --manifest are exclusive", code=2)


def test_unreadable_objects_are_named_once(invoke: Callable[..., Run], s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="broken/gz/c.gz", Body=b"definitely not gzip")
    run = invoke("verify", "--bucket", BUCKET, "--prefix", "broken/", "--timeout", "0")
    assert run.returncode == 1
    [line] = [row for row in run.stdout.splitlines() if row.startswith("unreadable object:")]
    assert line.startswith("unreadable object: broken/gz/c.gz: cannot decode as gzip:")
    assert line.count("broken/gz/c.gz") == 1


def test_replay_shows_progress_on_a_terminal(invoke: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run = invoke("replay", "--bucket", BUCKET, "--prefix", "errors/", "--stream", "cli-progress", "--dry-run")
    assert run.returncode == 0
    assert "\r5 records" in terminal.getvalue()


def test_an_unwritable_manifest_fails_before_anything_is_sent(invoke: Callable[..., Run], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(lines(3))
    run = invoke("put", "--stream", "cli-progress", str(source), "--manifest", str(tmp_path / "no" / "m.json"))
    assert_one_line_error(run, "cannot write the manifest", "is not a writable folder", code=2)
    assert run.stdout == ""

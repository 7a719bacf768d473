"""``simulate`` on the four sample stacks, synthesized with bundling: what Firehose would write, record by record.

Each stack runs once per module (in-process ``cli.main``, the command's own code path) over generated
records with a few bad ones, and the tests then read the objects back: conservation, keys and object names,
objects that decompress to exactly what the transform returns (computed here by the transform's own code
with the same configuration and local key), bad records under the error prefix with their original data, the
source-record backup, and the IoT stack's Parquet with the Glue columns and partitions taken from the data.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from firehose_s3_client import cli, sample_data
from firehose_s3_client.simulate.assembly import load_stack
from firehose_s3_client.simulate.lambda_function import function_spec, local_secrets
from firehose_s3_client.simulate.stream_config import choose_stream, read_stream_config
from firehose_s3_client.simulate.template_values import TemplateResolver
from firehose_s3_client.verify import decode_object
from firehose_transform.config import TransformConfig
from firehose_transform.extension import RecordTransformer

RECORDS = 2500
START = "2026-11-26T09:58:00Z"  # the run crosses an hour: keys of two hours
KINDS = {
    "FirehoseS3Pipeline": "weblog",
    "FirehoseS3KinesisSource": "weblog",
    "FirehoseS3WebLogs": "weblog",
    "FirehoseS3IotTelemetry": "iot",
}
OBJECT_NAME = re.compile(
    r"PipelineDeliveryStreamF8B7CD7E-1-(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)-"
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.[a-z.]+)?"
)


@dataclass
class Run:
    lines: list[bytes]
    report: dict[str, Any]
    out: Path
    assembly: Path

    def files(self, bucket: str) -> dict[str, bytes]:
        base = self.out / bucket
        return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def _simulate(assembly: Path, stack: str, tmp: Path, rate: float = 5.0) -> Run:
    lines = list(sample_data.lines(KINDS[stack], seed=7, count=RECORDS, bad_share=0.03))
    source = tmp / "input.jsonl"
    source.write_bytes(b"".join(lines))
    report_file = tmp / "report.json"
    argv = ["simulate", "--app", str(assembly), "--stack", stack, "--input", str(source), "--out", str(tmp / "out")]
    argv += ["--start", START, "--rate", str(rate), "--report", str(report_file), "--quiet"]
    assert cli.main(argv) == 0
    return Run(lines, json.loads(report_file.read_text()), tmp / "out", assembly)


@pytest.fixture(scope="module")
def runs(sample_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return {stack: _simulate(sample_assembly, stack, tmp_path_factory.mktemp(stack)) for stack in KINDS}


def _records(lines: list[bytes]) -> list[bytes]:
    """What the command makes of the input lines: non-blank lines, newline-terminated."""
    return [line for line in lines if line.strip()]


def _expected_transform(run: Run, stack: str, records: list[bytes]) -> list[dict[str, Any]]:
    """The transform's response records for ``records``, by the transform's own code and configuration."""
    template = load_stack(run.assembly, stack)
    resolver = TemplateResolver(template)
    config = read_stream_config(template, choose_stream(template, None), resolver)
    assert config.processing.lambda_processor is not None
    secrets = local_secrets(resolver, {})
    spec = function_spec(resolver, config.processing.lambda_processor, override=None, secrets=secrets)
    settings = TransformConfig.from_env(spec.environment)
    key = secrets[0].value.encode() if settings.hash_fields else None
    transformer = RecordTransformer(config=settings, hash_key=key)
    event = sample_data.firehose_event(records)
    return [dict(record) for record in transformer(event, None)["records"]]


def _data_lines(run: Run, bucket: str, prefix: str) -> list[bytes]:
    out: list[bytes] = []
    for key, body in run.files(bucket).items():
        if key.startswith(prefix):
            out.extend((decode_object(key, body).data or b"").splitlines(keepends=True))
    return out


@pytest.mark.parametrize("stack", list(KINDS))
def test_every_record_is_accounted_for(runs: dict[str, Run], stack: str) -> None:
    report = runs[stack].report
    assert report["records_in"] == len(_records(runs[stack].lines))
    total = report["records_delivered"] + report["records_dropped"] + sum(report["records_failed"].values())
    assert total == report["records_in"]
    assert report["billed_bytes"] == 5120 * report["records_in"]  # every sample record is under 5 KiB


@pytest.mark.parametrize("stack", list(KINDS))
def test_keys_and_object_names_are_firehose_s(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    for key in run.files("PipelineBucket60D569E5"):
        folder, _, name = key.rpartition("/")
        match = OBJECT_NAME.fullmatch(name)
        assert match, key
        stamp = match.group(1)
        if stack == "FirehoseS3IotTelemetry":
            assert re.fullmatch(
                r"iot/device_type=[a-z_]+/dt=\d{4}-\d\d-\d\d|iot-errors/[a-zA-Z-]+/\d{4}-\d\d-\d\d", folder
            )
            continue
        year, month, day, hour = stamp.split("-")[:4]
        assert folder in {
            f"data/year={year}/month={month}/day={day}/hour={hour}",
            f"errors/processing-failed/year={year}/month={month}/day={day}/hour={hour}",
        }, key
        extension = {"FirehoseS3WebLogs": ".json.gz"}.get(stack, ".gz")
        assert match.group(2) == (extension if folder.startswith("data/") else ".gz")


def test_a_run_across_an_hour_writes_under_both_hours(runs: dict[str, Run]) -> None:
    folders = {key.rsplit("/", 1)[0] for key in runs["FirehoseS3KinesisSource"].files("PipelineBucket60D569E5")}
    assert {"data/year=2026/month=11/day=26/hour=09", "data/year=2026/month=11/day=26/hour=10"} <= folders


@pytest.mark.parametrize("stack", ["FirehoseS3Pipeline", "FirehoseS3WebLogs"])
def test_objects_hold_exactly_the_transformed_records(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    expected = _expected_transform(run, stack, _records(run.lines))
    ok = [base64.b64decode(record["data"]) for record in expected if record["result"] == "Ok"]
    delivered = _data_lines(run, "PipelineBucket60D569E5", "data/")
    assert Counter(delivered) == Counter(line for data in ok for line in data.splitlines(keepends=True))
    assert all(line.endswith(b"\n") for line in delivered)
    assert run.report["records_delivered"] == len(ok)


@pytest.mark.parametrize("stack", ["FirehoseS3Pipeline", "FirehoseS3WebLogs"])
def test_rejected_records_are_in_the_error_prefix_with_their_original_data(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    records = _records(run.lines)
    expected = _expected_transform(run, stack, records)
    failed = [
        record for record, result in zip(records, expected, strict=True) if result["result"] == "ProcessingFailed"
    ]
    assert failed, "the sample has bad records"
    documents = [json.loads(line) for line in _data_lines(run, "PipelineBucket60D569E5", "errors/processing-failed/")]
    assert Counter(base64.b64decode(d["rawData"]) for d in documents) == Counter(failed)
    for document in documents:
        assert list(document) == [
            "attemptsMade",
            "arrivalTimestamp",
            "errorCode",
            "errorMessage",
            "attemptEndingTimestamp",
            "rawData",
            "lambdaArn",
        ]
        assert document["errorCode"] == "Lambda.ProcessingFailedStatus"
        assert document["attemptsMade"] == 1
        assert document["arrivalTimestamp"] <= document["attemptEndingTimestamp"]
        assert document["lambdaArn"].endswith(":function:PipelineTransformFunction091D1A09")
    assert run.report["records_failed"] == {"processing-failed": len(failed)}


@pytest.mark.parametrize("stack", ["FirehoseS3Pipeline", "FirehoseS3WebLogs", "FirehoseS3IotTelemetry"])
def test_the_backup_holds_every_source_record_as_it_arrived(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    backed_up = _data_lines(run, "PipelineBackupBucket80E87F67", "source-records/")
    assert backed_up == _records(run.lines)  # in arrival order: one backup buffer, objects in time order
    keys = list(run.files("PipelineBackupBucket80E87F67"))
    assert all(re.fullmatch(r"source-records/2026/11/26/(09|10)/PipelineDeliveryStream\S+\.gz", key) for key in keys)


def test_a_stream_without_transform_delivers_the_records_unchanged(runs: dict[str, Run]) -> None:
    run = runs["FirehoseS3KinesisSource"]
    assert Counter(_data_lines(run, "PipelineBucket60D569E5", "data/")) == Counter(_records(run.lines))
    assert run.report["records_delivered"] == run.report["records_in"]


def test_the_web_log_transform_hashes_with_the_reported_local_key(runs: dict[str, Run]) -> None:
    run = runs["FirehoseS3WebLogs"]
    (secret,) = run.report["secrets"].values()
    assert secret["source"] == "derived"
    assert len(secret["value"]) == 64
    first = json.loads(_data_lines(run, "PipelineBucket60D569E5", "data/")[0])
    assert "ident" not in first
    assert re.fullmatch(r"[0-9a-f]{64}", first["ip"])
    assert any("orjson" in note and "host" in note for note in run.report["lambda"]["binary_packages"])


def test_iot_parquet_has_the_glue_columns_and_partitions_from_the_data(runs: dict[str, Run]) -> None:
    run = runs["FirehoseS3IotTelemetry"]
    by_reading = {}
    for line in _records(run.lines):
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict):
            by_reading[(document.get("device_id"), document.get("ts"))] = document
    rows = 0
    for key in run.files("PipelineBucket60D569E5"):
        if not key.startswith("iot/"):
            continue
        table = pq.read_table(run.out / "PipelineBucket60D569E5" / key)
        assert table.column_names == ["device_id", "ts", "temperature", "humidity", "battery", "location", "tags"]
        device_type, dt = re.match(r"iot/device_type=([^/]+)/dt=([^/]+)/", key).groups()  # type: ignore[union-attr]
        for row in table.to_pylist():
            stamp = row["ts"].strftime("%Y-%m-%dT%H:%M:%S.") + f"{row['ts'].microsecond // 1000:03d}Z"
            source = by_reading[(row["device_id"], stamp)]
            assert source["device_type"] == device_type
            assert source["ts"][:10] == dt
            rows += 1
    assert rows == run.report["records_delivered"]
    assert run.report["peak_active_partitions"] >= 2


def test_iot_bad_records_are_in_the_error_prefix(runs: dict[str, Run]) -> None:
    run = runs["FirehoseS3IotTelemetry"]
    failed = run.report["records_failed"]
    assert failed
    assert set(failed) <= {"metadata-extraction-failed", "format-conversion-failed"}
    documents = [json.loads(line) for line in _data_lines(run, "PipelineBucket60D569E5", "iot-errors/")]
    assert len(documents) == sum(failed.values())
    assert all(base64.b64decode(d["rawData"]) in set(_records(run.lines)) for d in documents)


def test_the_run_is_reproducible(sample_assembly: Path, runs: dict[str, Run], tmp_path: Path) -> None:
    again = _simulate(sample_assembly, "FirehoseS3WebLogs", tmp_path)
    assert again.files("PipelineBucket60D569E5") == runs["FirehoseS3WebLogs"].files("PipelineBucket60D569E5")


def test_virtual_times_follow_start_and_rate(runs: dict[str, Run]) -> None:
    run = runs["FirehoseS3KinesisSource"]
    last = datetime(2026, 11, 26, 9, 58, tzinfo=UTC) + timedelta(milliseconds=(len(_records(run.lines)) - 1) * 200)
    assert run.report["virtual_time"] == {
        "start": "2026-11-26T09:58:00.000Z",
        "last_arrival": last.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "rate": 5.0,
    }


# ------------------------------------------------------------------------------ the log-archive stack


def _subscription_record(messages: list[str]) -> bytes:
    """A CloudWatch Logs subscription record as Firehose receives it: gzip of the DATA_MESSAGE document."""
    events = [{"id": str(i), "timestamp": 1_795_683_600_000 + i, "message": m} for i, m in enumerate(messages)]
    document = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "app",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": events,
    }
    return gzip.compress(json.dumps(document).encode())


@pytest.fixture(scope="module")
def log_archive(sample_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[str], Run]:
    tmp = tmp_path_factory.mktemp("log-archive")
    lines = [line.rstrip(b"\n").decode() for line in sample_data.lines("weblog", seed=9, count=900)]
    records = [_subscription_record(lines[i : i + 1 + i % 4]) for i in range(0, 900, 3)]
    records[5] = b"not a gzip record"  # a producer that forgot to compress
    source = tmp / "records.b64"
    source.write_bytes(b"".join(base64.b64encode(record) + b"\n" for record in records))
    report = tmp / "report.json"
    argv = ["simulate", "--app", str(sample_assembly), "--stack", "FirehoseS3LogArchive", "--input", str(source)]
    argv += ["--base64", "--out", str(tmp / "out"), "--start", START, "--report", str(report), "--quiet"]
    assert cli.main(argv) == 0
    messages = [
        m for i, record in enumerate(records) if i != 5 for m in json.loads(gzip.decompress(record))["logEvents"]
    ]
    return (
        records,
        [m["message"] for m in messages],
        Run([], json.loads(report.read_text()), tmp / "out", sample_assembly),
    )


def test_log_archive_objects_hold_the_log_lines_one_per_line(log_archive: tuple[list[bytes], list[str], Run]) -> None:
    records, messages, run = log_archive
    lines = _data_lines(run, "PipelineBucket60D569E5", "logs/")
    assert lines == [message.encode() + b"\n" for message in messages]  # in order: one buffer, time order
    for key in run.files("PipelineBucket60D569E5"):
        assert re.fullmatch(r"(logs|log-errors/decompression-failed)/2026/11/26/" + OBJECT_NAME.pattern, key), key
        assert key.endswith(".log.gz") == key.startswith("logs/")
    report = run.report
    assert (report["records_in"], report["records_delivered"]) == (len(records), len(records) - 1)
    assert report["records_failed"] == {"decompression-failed": 1}
    assert report["sub_records"]["delivered"] == len(messages)


def test_log_archive_keeps_a_record_it_cannot_decompress_as_it_came(
    log_archive: tuple[list[bytes], list[str], Run],
) -> None:
    _, _, run = log_archive
    (document,) = [json.loads(line) for line in _data_lines(run, "PipelineBucket60D569E5", "log-errors/")]
    assert base64.b64decode(document["rawData"]) == b"not a gzip record"
    assert document["errorCode"] == "Decompression.Failed"

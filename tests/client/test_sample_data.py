"""The realistic sample records: the sample app's table shapes, access-log realism, bad records, Firehose events."""

from __future__ import annotations

import ast
import base64
import datetime
import io
import itertools
import json
import re
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client import sample_data
from firehose_transform import codec as codec_module
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

STACKS = Path(__file__).resolve().parents[2] / "sample_app" / "stacks.py"
SAMPLE = 3000


def stack_constant(name: str) -> dict[str, str]:
    """A dict literal of sample_app/stacks.py, read without importing aws_cdk."""
    for node in ast.parse(STACKS.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value: dict[str, str] = ast.literal_eval(node.value)
            return value
    raise AssertionError(f"{name} is not defined in {STACKS}")


@pytest.fixture(scope="module")
def weblogs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in sample_data.lines(sample_data.WEBLOG, seed=11, count=SAMPLE)]


@pytest.fixture(scope="module")
def readings() -> list[dict[str, Any]]:
    return [json.loads(line) for line in sample_data.lines(sample_data.IOT, seed=11, count=SAMPLE)]


def is_int(value: Any, bits: int) -> bool:
    return type(value) is int and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


# ---------------------------------------------------------------------------------------------- web logs


def test_weblogs_fit_the_glue_table_of_the_web_log_stack(weblogs: list[dict[str, Any]]) -> None:
    columns = stack_constant("WEB_LOG_COLUMNS")
    for doc in weblogs:
        for column, glue_type in columns.items():
            value = doc[column]
            if glue_type == "string":
                assert value is None or isinstance(value, str), (column, value)
            elif glue_type == "int":
                assert is_int(value, 32), (column, value)
            else:
                assert glue_type == "bigint"
                assert is_int(value, 64), (column, value)
        # the fields the stack's transform edits: ident dropped, user masked, ip hashed
        assert "ident" in doc
        assert doc["user"] is None or isinstance(doc["user"], str)
        assert isinstance(doc["ip"], str)
        assert doc["request"] == f"{doc['method']} {doc['path']} {doc['protocol']}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["ts"])


def test_weblogs_look_like_real_access_logs(weblogs: list[dict[str, Any]]) -> None:
    urls = [doc["path"] + " " + (doc["referrer"] or "") for doc in weblogs]
    assert sum("+" in url for url in urls) > SAMPLE // 2  # query strings with "+" are the common case
    assert sum(bool(re.search(r"%[0-9A-F]{2}", url)) for url in urls) > SAMPLE // 4
    assert len({doc["user_agent"] for doc in weblogs}) >= 8
    assert any("bot" in doc["user_agent"].lower() for doc in weblogs)
    assert all(isinstance(doc["request_time"], float) for doc in weblogs)
    assert {type(doc["upstream_time"]) for doc in weblogs} == {float, type(None)}
    assert sum(doc["referrer"] is None for doc in weblogs) > SAMPLE // 10
    assert all(set(doc["geo"]) == {"country", "city", "lat", "lon"} for doc in weblogs)
    assert {doc["status"] for doc in weblogs} >= {200, 304, 404}
    emails = [doc["email"] for doc in weblogs]
    assert any(emails)
    assert None in emails


def test_about_three_percent_of_weblogs_hold_non_ascii_text() -> None:
    records = list(sample_data.lines(sample_data.WEBLOG, seed=5, count=10_000))
    share = sum(not line.isascii() for line in records) / len(records)
    assert 0.02 < share < 0.04


def test_weblog_timestamps_move_forward() -> None:
    stamps = [json.loads(line)["ts"] for line in sample_data.lines(sample_data.WEBLOG, count=500)]
    assert stamps == sorted(stamps)
    assert stamps[0].startswith(sample_data.iso_ms(sample_data.START_MS)[:16])


# ---------------------------------------------------------------------------------------------- IoT


def test_readings_fit_the_iot_schema_and_its_partition_keys(readings: list[dict[str, Any]]) -> None:
    schema = stack_constant("IOT_SCHEMA")
    assert set(schema) <= set(readings[0])
    for doc in readings:
        assert isinstance(doc["device_id"], str)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["ts"])  # OpenX: yyyy-MM-dd'T'HH:mm:ss.S'Z'
        assert isinstance(doc["temperature"], float)
        assert doc["humidity"] is None or isinstance(doc["humidity"], float)
        assert is_int(doc["battery"], 32)
        assert 0 <= doc["battery"] <= 100
        assert set(doc["location"]) == {"lat", "lon"}
        assert all(isinstance(v, float) for v in doc["location"].values())
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in doc["tags"].items())
        # the stack's jq keys: .device_type and .ts[0:10]
        assert isinstance(doc["device_type"], str)
        assert doc["device_type"]
        datetime.date.fromisoformat(doc["ts"][0:10])
    assert len({doc["device_type"] for doc in readings}) == 4
    assert any(doc["humidity"] is None for doc in readings)


def test_a_few_readings_arrive_hours_late() -> None:
    stamps = [json.loads(line)["ts"] for line in sample_data.lines(sample_data.IOT, seed=2, count=20_000)]
    late = sum(later < earlier for earlier, later in itertools.pairwise(stamps))
    assert 20 < late < 250  # ~0.5%: readings of a device that was offline


# ---------------------------------------------------------------------------------------------- lines


@pytest.mark.parametrize("kind", sample_data.KINDS)
def test_lines_are_compact_newline_terminated_utf8_json(kind: str) -> None:
    for line in sample_data.lines(kind, count=300):
        assert isinstance(line, bytes)
        assert line.endswith(b"\n")
        assert line.count(b"\n") == 1
        doc = json.loads(line.decode("utf-8"))
        assert line == (json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("kind", sample_data.KINDS)
def test_deterministic_for_a_seed(kind: str) -> None:
    assert list(sample_data.lines(kind, seed=3, count=50)) == list(sample_data.lines(kind, seed=3, count=50))
    assert list(sample_data.lines(kind, seed=3, count=50)) != list(sample_data.lines(kind, seed=4, count=50))


def test_streams_without_end_in_bounded_memory() -> None:
    stream = sample_data.lines(sample_data.WEBLOG)  # endless
    assert iter(stream) is stream
    tracemalloc.start()
    try:
        for line in itertools.islice(stream, 300):
            del line
        _, small = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for line in itertools.islice(stream, 3000):
            del line
        _, large = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert large < small + 64 * 1024  # ten times more records, no more memory


# ---------------------------------------------------------------------------------------------- bad records


def transform_engine(codec: codec_module.Codec = codec_module.DEFAULT, stream: Any = None) -> Engine:
    """The transform with no step configured, logging (at DEBUG) to ``stream``."""
    logger = StructuredLogger("DEBUG", stream if stream is not None else io.StringIO())
    return Engine(TransformConfig(log_level="DEBUG"), codec=codec, logger=logger)


def failure_reasons(event: dict[str, Any], codec: codec_module.Codec) -> dict[str, int]:
    """The ``failureReasons`` the transform logs for ``event``."""
    stream = io.StringIO()
    transform_engine(codec, stream).process(event)
    summary = next(json.loads(line) for line in stream.getvalue().splitlines() if "batch transformed" in line)
    reasons: dict[str, int] = summary["failureReasons"]
    return reasons


EXPECTED_REASONS = {
    "invalid_json": codec_module.REASON_INVALID_JSON,
    "truncated_json": codec_module.REASON_INVALID_JSON,
    "nan": codec_module.REASON_INVALID_JSON,
    "json_array": codec_module.REASON_NOT_OBJECT,
    "invalid_utf8": codec_module.REASON_INVALID_UTF8,
    "big_integer": codec_module.REASON_INT_RANGE,
    "lone_surrogate": codec_module.REASON_INVALID_JSON,
    "not_json": codec_module.REASON_INVALID_JSON,
    "blank": codec_module.REASON_EMPTY,
}


@pytest.mark.parametrize("kind", sample_data.KINDS)
@pytest.mark.parametrize("bad", sorted(sample_data.BAD_KINDS))
def test_every_bad_kind_is_rejected_by_the_transform_for_its_reason(kind: str, bad: str) -> None:
    good = next(sample_data.lines(kind, seed=1))
    event = sample_data.firehose_event([good, sample_data.bad_line(bad, good), good])
    for codec in {codec_module.STDLIB, codec_module.DEFAULT}:
        assert failure_reasons(event, codec) == {EXPECTED_REASONS[bad]: 1}


def test_the_expected_reasons_cover_every_bad_kind() -> None:
    assert set(EXPECTED_REASONS) == set(sample_data.BAD_KINDS)


def test_mixed_stream_labels_each_bad_record_and_the_transform_agrees() -> None:
    labelled = list(sample_data.labelled_lines(sample_data.WEBLOG, seed=9, count=2000, bad_share=0.05))
    labels = Counter(label for label, _ in labelled)
    bad = sum(count for label, count in labels.items() if label is not None)
    assert 60 < bad < 140
    assert set(labels) - {None} == set(sample_data.BAD_KINDS)  # every kind shows up
    event = sample_data.firehose_event(line for _, line in labelled)
    results = [r["result"] for r in transform_engine().process(event)["records"]]
    assert results == ["Ok" if label is None else "ProcessingFailed" for label, _ in labelled]


def test_bad_records_replace_lines_without_shifting_the_good_ones() -> None:
    clean = list(sample_data.lines(sample_data.IOT, seed=4, count=500))
    mixed = list(sample_data.labelled_lines(sample_data.IOT, seed=4, count=500, bad_share=0.2, bad_kinds=["nan"]))
    assert {label for label, _ in mixed} == {None, "nan"}
    for original, (label, line) in zip(clean, mixed, strict=True):
        if label is None:
            assert line == original
        else:
            assert line == sample_data.bad_line("nan", original)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_data.documents("csv"), "unknown sample kind 'csv'"),
        (lambda: next(sample_data.lines("iot", bad_share=1.5)), "bad_share must be between 0 and 1"),
        (lambda: next(sample_data.lines("iot", bad_share=0.1, bad_kinds=["oops"])), "unknown bad record kind 'oops'"),
        (lambda: next(sample_data.lines("iot", bad_share=0.1, bad_kinds=[])), "at least one bad record kind"),
        (lambda: sample_data.bad_line("oops", b"{}\n"), "unknown bad record kind 'oops'"),
    ],
)
def test_invalid_options_are_named(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# ---------------------------------------------------------------------------------------------- events


def test_direct_put_event() -> None:
    payloads = list(sample_data.lines(sample_data.WEBLOG, count=3))
    event = sample_data.firehose_event(payloads, first_index=10)
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert event["deliveryStreamArn"].startswith("arn:aws:firehose:us-east-1:")
    records = event["records"]
    assert [base64.b64decode(r["data"], validate=True) for r in records] == payloads
    assert all(set(r) == {"recordId", "approximateArrivalTimestamp", "data"} for r in records)
    assert records[0]["recordId"].endswith("00000010")
    assert all(len(r["recordId"]) == 56 for r in records)
    assert [r["approximateArrivalTimestamp"] for r in records] == [sample_data.START_MS + i for i in (10, 11, 12)]


def test_kinesis_source_event() -> None:
    event = sample_data.firehose_event(sample_data.lines(sample_data.IOT, count=8), kinesis=True)
    assert event["sourceKinesisStreamArn"].startswith("arn:aws:kinesis:us-east-1:")
    metadata = [r["kinesisRecordMetadata"] for r in event["records"]]
    assert all(
        set(m) == {"shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"}
        for m in metadata
    )
    assert len({m["shardId"] for m in metadata}) == 4
    assert len({(m["shardId"], m["sequenceNumber"]) for m in metadata}) == 8
    response = transform_engine().process(event)
    assert [r["result"] for r in response["records"]] == ["Ok"] * 8


@pytest.mark.parametrize("kind", sample_data.KINDS)
def test_event_of_size_fills_without_exceeding(kind: str) -> None:
    event = sample_data.event_of_size(kind, 100_000, seed=2)
    sizes = [len(base64.b64decode(r["data"])) for r in event["records"]]
    assert 100_000 - 1000 < sum(sizes) <= 100_000
    assert len({r["recordId"] for r in event["records"]}) == len(sizes)


def test_stdlib_only_and_no_aws_cdk() -> None:
    code = (
        "import sys; from firehose_s3_client import sample_data\n"
        "list(sample_data.lines('weblog', count=5)); sample_data.firehose_event([b'{}'], kinesis=True)\n"
        "print(sorted(m for m in ('aws_cdk', 'boto3', 'botocore', 'orjson') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

"""The transform benchmark's plumbing (not its timings): datasets, baseline, output check, a quick end-to-end run."""

from __future__ import annotations

import base64
import json
import re

import pytest

from benchmarks.transform_bench import (
    DATASETS,
    MIB,
    check_same_output,
    event_data_bytes,
    main,
    make_event,
    runtime_marshaller,
    seed_handler,
)


@pytest.mark.parametrize(("label", "low", "high"), [("weblog", 520, 640), ("iot", 200, 250)])
def test_datasets_are_realistic_records_filling_the_batch(label: str, low: int, high: int) -> None:
    event = make_event(label, MIB)
    records = event["records"]
    total = event_data_bytes(event)
    assert MIB - high <= total <= MIB  # fills the target without exceeding it
    assert low <= total / len(records) <= high
    docs = [json.loads(base64.b64decode(r["data"])) for r in records[:50]]
    assert all(isinstance(doc, dict) for doc in docs)
    assert len({r["recordId"] for r in records}) == len(records)
    assert all(len(r["recordId"]) == 56 for r in records)


def test_datasets_are_deterministic_and_cover_both_sources() -> None:
    assert make_event("iot", 20_000) == make_event("iot", 20_000)
    assert make_event("iot", 20_000, seed=1) != make_event("iot", 20_000, seed=2)
    assert {label for label, _, _ in DATASETS} == {"weblog", "iot", "weblog+kds", "iot+kds"}
    for label, _kind, kinesis in DATASETS:
        event = make_event(label, 5_000)
        assert ("sourceKinesisStreamArn" in event) is kinesis
        assert ("kinesisRecordMetadata" in event["records"][0]) is kinesis
    weblog = json.loads(base64.b64decode(make_event("weblog", 5_000)["records"][0]["data"]))
    assert "email" in weblog  # what DROP_FIELDS=email removes
    assert "+" in json.dumps(weblog) or "%" in json.dumps(weblog)


def test_the_seed_baseline_adds_the_newline_and_drops_email() -> None:
    event = make_event("weblog+kds", 50_000)
    response = seed_handler(event, None)
    first = base64.b64decode(response["records"][0]["data"])
    assert first.endswith(b"\n")
    assert "email" not in json.loads(first)
    check_same_output(response, seed_handler(event, None), "same")


def test_a_different_output_stops_the_benchmark() -> None:
    event = make_event("iot", 5_000)
    response = seed_handler(event, None)
    altered = {"records": [*response["records"][:-1], {**response["records"][-1], "result": "Dropped"}]}
    with pytest.raises(SystemExit, match="differs from the baseline on iot"):
        check_same_output(response, altered, "iot")


def test_the_runtime_marshaller_is_the_lambda_one() -> None:
    loads, encode, name = runtime_marshaller()
    assert name in ("simplejson", "json")
    assert loads(b'{"a": [1, 2.5]}') == {"a": [1, 2.5]}
    assert (
        encode({"records": [{"recordId": "é", "data": "x"}]}) == '{"records": [{"recordId": "\\u00e9", "data": "x"}]}'
    )


def test_a_quick_run_reports_every_dataset_both_paths_and_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sizes", "0.01", "--repeats", "1", "--import-samples", "1"]) == 0
    out = capsys.readouterr().out
    assert "fast path (codec: orjson" in out or "fast path (codec: stdlib" in out
    assert "stdlib path (FIREHOSE_TRANSFORM_PURE_PYTHON=1) (codec: stdlib" in out
    for label, _, _ in DATASETS:
        rows = re.findall(rf"^{re.escape(label)} +0\.01 +\d+ \|.*x \|.*x \| .* (\d+|n/a) ", out, flags=re.MULTILINE)
        assert len(rows) == 2, label  # one row per path, with both ratios and the exact-path count
    assert re.search(r"fast path +\d+\.\d ms", out)
    assert out.count("[met]") + out.count("[MISSED]") == 4

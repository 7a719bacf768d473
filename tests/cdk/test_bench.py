"""The format benchmark (benchmarks/format_bench.py): its writers, its billing model and its report (not timings)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from types import ModuleType

import pytest
from cdk_helpers import ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    path = ROOT / "benchmarks" / "format_bench.py"
    spec = importlib.util.spec_from_file_location("format_bench", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["format_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_writers_round_trip_and_compress(bench: ModuleType) -> None:
    for workload, low, high in (("web-log", 400, 650), ("iot", 120, 200)):
        records = bench.WORKLOADS[workload](300, 7)
        raw = bench.json_lines(records)
        assert raw.count(b"\n") == 300
        assert low <= len(raw) / 300 <= high, f"{workload} records are {len(raw) / 300:.0f} bytes"
        assert [json.loads(line) for line in raw.splitlines()] == records
        packed = bench.gzip_bytes(raw)
        assert gzip.decompress(packed) == raw
        assert len(packed) < len(raw) / 3
        parquet = bench.parquet_bytes(records)
        assert bench.read_parquet_rows(parquet) == 300
        assert len(parquet) < len(raw)
        assert bench.arrow_table(records).schema.field("ts").type.tz == "UTC"


def test_benchmark_billing_model(bench: ModuleType) -> None:
    assert bench.billed_bytes(1) == 5120
    assert bench.billed_bytes(5120) == 5120
    assert bench.billed_bytes(5121) == 10240
    sizes = [500] * 10_000
    assert sum(bench.billed_bytes(s) for s in sizes) == 10_000 * 5120
    aggregated = bench.billed_bytes_aggregated(sizes, 1_000_000)
    assert 5_000_000 <= aggregated <= 5_000_000 + 5 * 5120


def test_benchmark_main_prints_both_tables(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--records", "200"]) == 0
    out = capsys.readouterr().out
    assert "| web-log | parquet |" in out
    assert "| iot | json.gz |" in out
    assert "UNVERIFIED" in out

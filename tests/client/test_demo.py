"""make demo: the seed's two examples simulated from the synthesized sample app, and the README's queries."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from firehose_s3_client import demo
from firehose_transform.documents import check_line, parse_line

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_the_queries_the_demo_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    for example in demo.EXAMPLES:
        assert f"```sql\n{example.query}\n```" in readme, example.stack


def _good_documents(path: Path) -> list[dict[str, Any]]:
    """The input's documents the transform accepts (the shared definition of a valid record)."""
    return [parse_line(line) for line in path.read_bytes().splitlines() if line.strip() and check_line(line) is None]


@pytest.fixture(scope="module")
def demo_output(sample_assembly: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local-s3")
    assert demo.run(sample_assembly, out) == 0
    return out


def test_every_record_is_accounted_for(demo_output: Path) -> None:
    for kind in ("weblog", "iot"):
        report = json.loads((demo_output / "input" / f"{kind}-report.json").read_text())
        failed = sum(report["records_failed"].values())
        assert report["records_in"] == report["records_delivered"] + report["records_dropped"] + failed
        assert report["input"]["lines"] == report["records_in"] + report["input"]["blank_lines"]
        assert failed > 0  # the demo's bad records are in the error output


def test_the_web_log_query_counts_the_delivered_requests(demo_output: Path) -> None:
    report = json.loads((demo_output / "input" / "weblog-report.json").read_text())
    rows = (demo_output / "input" / "weblog-query.txt").read_text().splitlines()
    good = _good_documents(demo_output / "input" / "weblog.jsonl")
    errors = sum(1 for document in good if document["status"] >= 500)
    assert rows[-1] == "(1 row)"
    hour, requests, server_errors = (cell.strip() for cell in rows[2].split("|"))
    assert hour == "2026-11-26 09:00:00.000 UTC"
    assert int(requests) == report["records_delivered"] == len(good)
    assert int(server_errors) == errors


def test_the_iot_query_averages_each_thermostat(demo_output: Path) -> None:
    # The numbers are computed with pyarrow from the Parquet objects the simulator wrote; every good thermostat
    # reading of the input is among them (a reading with an extra 2**64 field is delivered too, as by Firehose:
    # neither JQ nor the conversion reads that field).
    objects = sorted((demo_output / "PipelineBucket60D569E5" / "iot").rglob("*.parquet"))
    delivered: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
    for path in objects:
        device_type = next(part.split("=", 1)[1] for part in path.parts if part.startswith("device_type="))
        day = next(part.split("=", 1)[1] for part in path.parts if part.startswith("dt="))
        if device_type != "thermostat" or day < "2026-11-20":
            continue
        for row in pq.read_table(path).to_pylist():
            delivered[row["device_id"]].append((str(row["ts"]), row["temperature"], row["battery"]))
    good = [d for d in _good_documents(demo_output / "input" / "iot.jsonl") if d["device_type"] == "thermostat"]
    assert sum(len(readings) for readings in delivered.values()) >= len(good)
    for document in good:
        assert document["device_id"] in delivered
    rows = (demo_output / "input" / "iot-query.txt").read_text().splitlines()
    assert rows[-1] == f"({len(delivered)} rows)"
    for row in rows[2:-1]:
        device_type, device_id, average, minimum = (cell.strip() for cell in row.split("|"))
        readings = delivered[device_id]
        assert device_type == "thermostat"
        # The query rounds to 0.01 (half away from zero, where Python rounds half to even).
        assert float(average) == pytest.approx(sum(r[1] for r in readings) / len(readings), abs=0.005 + 1e-9)
        assert int(minimum) == min(r[2] for r in readings)

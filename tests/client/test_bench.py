"""The producer benchmark runs and meets its targets on a quick run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "producer_bench.py"


def test_quick_benchmark_meets_its_targets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("producer_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "producer_bench", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.main(["--records", "3000", "--check"]) == 0
    out = capsys.readouterr().out
    assert "All targets met." in out
    assert "naive put_record" in out

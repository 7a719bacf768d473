"""The scaled wall clock, and the timer that delivers the served streams' buffers when they are due."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.serve.wall_clock import DeliveryTimer, ScaledClock
from firehose_s3_client.simulate.sinks import SinkError


def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_the_clock_runs_scale_times_the_wall_clock() -> None:
    wall = [100.0]
    clock = ScaledClock(60.0, start_ms=1_000_000, monotonic=lambda: wall[0])
    assert clock.now() == 1_000_000
    wall[0] = 101.5
    assert clock.now() == 1_000_000 + 90_000
    assert clock.wall_seconds_until(1_000_000 + 150_000) == pytest.approx(1.0)
    assert clock.wall_seconds_until(0) == 0.0


def test_the_clock_starts_at_the_current_time_by_default() -> None:
    before = int(time.time() * 1000)
    clock = ScaledClock()
    assert before <= clock.start_ms <= int(time.time() * 1000)
    assert clock.now() >= clock.start_ms


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_the_scale_must_be_positive(scale: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(scale)


def _objects(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_the_timer_delivers_a_buffer_once_its_interval_has_passed(streams: Any, tmp_path: Path) -> None:
    plain = streams.by_name("Plain")  # 60 s interval
    plain.put([b'{"n":1}\n', b'{"n":2}\n'])
    errors: list[BaseException] = []
    timer = DeliveryTimer(streams.streams, streams.clock, on_error=errors.append)
    timer.start()
    try:
        streams.seconds = 59.0
        time.sleep(0.3)
        assert _objects(tmp_path / "out") == []
        streams.seconds = 61.0
        assert _wait_for(lambda: len(_objects(tmp_path / "out")) == 1)
    finally:
        timer.stop()
    (written,) = _objects(tmp_path / "out")
    assert written.read_bytes() == b'{"n":1}\n{"n":2}\n'
    assert written.relative_to(tmp_path / "out").parts[:2] == ("DataBucket", "data")
    assert errors == []
    assert plain.engine.tally.records_delivered == 2


def test_an_advance_that_fails_stops_the_timer_and_is_reported(streams: Any, tmp_path: Path) -> None:
    (tmp_path / "out" / "DataBucket").write_text("a file where the bucket's directory would be")
    streams.by_name("Plain").put([b"x\n"])
    errors: list[BaseException] = []
    timer = DeliveryTimer(streams.streams, streams.clock, on_error=errors.append)
    streams.seconds = 120.0
    timer.start()
    assert _wait_for(lambda: bool(errors))
    timer.stop()
    assert isinstance(errors[0], SinkError)
    assert "cannot write" in str(errors[0])

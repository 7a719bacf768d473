"""Fault injection: rates honoured, reproducible from the seed, nothing injected without a rate."""

from __future__ import annotations

import threading

import pytest

from firehose_s3_client.serve.faults import FAULT_CODE, FAULT_MESSAGE, FaultInjector, throttled_error


def test_without_rates_nothing_fails() -> None:
    faults = FaultInjector()
    assert not faults.enabled
    assert not any(faults.throttle() for _ in range(1000))
    assert faults.failures(500) == [False] * 500


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.9])
def test_the_share_of_failed_entries_follows_the_rate(rate: float) -> None:
    faults = FaultInjector(fail_rate=rate, seed=4)
    draws = [failed for _ in range(40) for failed in faults.failures(500)]
    assert abs(sum(draws) / len(draws) - rate) < 0.02


def test_the_share_of_throttled_calls_follows_the_rate() -> None:
    faults = FaultInjector(throttle_rate=0.25, seed=9)
    throttled = sum(faults.throttle() for _ in range(20_000))
    assert abs(throttled / 20_000 - 0.25) < 0.02


def test_a_rate_of_one_fails_everything() -> None:
    faults = FaultInjector(fail_rate=1.0, throttle_rate=1.0)
    assert faults.failures(7) == [True] * 7
    assert faults.throttle()


def test_the_same_seed_fails_the_same_entries() -> None:
    first, second, other = (FaultInjector(fail_rate=0.5, seed=seed) for seed in (1, 1, 2))
    assert [first.failures(100) for _ in range(5)] == [second.failures(100) for _ in range(5)]
    assert first.failures(100) != other.failures(100)


@pytest.mark.parametrize("rates", [(-0.1, 0.0), (0.0, 1.5)])
def test_rates_outside_0_to_1_are_refused(rates: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultInjector(*rates)


def test_draws_from_many_threads_are_all_made() -> None:
    faults = FaultInjector(fail_rate=0.5, seed=3)
    results: list[list[bool]] = []

    def draw() -> None:
        for _ in range(50):
            results.append(faults.failures(100))

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [value for batch in results for value in batch]
    assert len(flat) == 8 * 50 * 100
    assert 0.45 < sum(flat) / len(flat) < 0.55


def test_a_throttled_call_is_answered_as_firehose_does() -> None:
    error = throttled_error()
    assert (error.error_type, error.message, error.status) == (FAULT_CODE, FAULT_MESSAGE, 500)
    assert (FAULT_CODE, FAULT_MESSAGE) == ("ServiceUnavailableException", "Slow down.")

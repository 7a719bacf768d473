"""How long the producer keeps retrying one batch: exponential backoff with full jitter, within a time budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retry bounds for one batch: exponential backoff with full jitter, a time budget, optionally an attempt cap.

    Before retry ``n`` (1, 2, ...) the producer sleeps ``random() * min(max_delay_seconds,
    base_delay_seconds * 2 ** (n - 1))`` (AWS's "full jitter"), but never past the end of the budget: when a
    sleep would end after ``max_elapsed_seconds`` (counted from the batch's first call) it is shortened so that
    the **last attempt is made when the budget ends**. So an outage (throttling, a refused or reset connection,
    5xx answers) that is over before the budget ends loses nothing. A call in progress is not cut short: its
    duration is bounded by the client's connect and read timeouts, not by this policy.

    Attributes:
        max_attempts: calls per batch, the first one included; None (the default) means as many as fit in the
            time budget.
        base_delay_seconds: backoff base. Default 0.1 s.
        max_delay_seconds: backoff cap. Default 10 s.
        max_elapsed_seconds: time budget per batch. Default 60 s.
    """

    max_attempts: int | None = None
    base_delay_seconds: float = 0.1
    max_delay_seconds: float = 10.0
    max_elapsed_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_seconds < 0:
            raise ValueError(f"base_delay_seconds must be >= 0, got {self.base_delay_seconds}")
        if self.max_delay_seconds < self.base_delay_seconds:
            raise ValueError(
                f"max_delay_seconds must be >= base_delay_seconds ({self.base_delay_seconds}), "
                f"got {self.max_delay_seconds}"
            )
        if self.max_elapsed_seconds < 0:
            raise ValueError(f"max_elapsed_seconds must be >= 0, got {self.max_elapsed_seconds}")

    def delay(self, retry_number: int, random: Callable[[], float]) -> float:
        """The backoff before retry ``retry_number`` (1-based), given a ``random()`` in [0, 1)."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** min(retry_number - 1, 62))
        return random() * ceiling

    def next_sleep(self, attempts: int, elapsed: float, random: Callable[[], float]) -> float | None:
        """The sleep before the next call of a batch that made ``attempts`` calls in ``elapsed`` seconds.

        None means give up: the attempt cap is reached, or the budget is spent (the previous call was the one
        made when it ended).
        """
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return None
        remaining = self.max_elapsed_seconds - elapsed
        if remaining <= 0:
            return None
        return min(self.delay(attempts, random), remaining)

"""The wall clock that drives the served streams: arrival times, and a timer that delivers buffers when due.

:class:`ScaledClock` gives epoch milliseconds that start at the real time and run ``scale`` times faster than
the wall clock (``--time-scale``, default 1): with the sample stacks' 300-second buffering interval,
``--time-scale 60`` delivers a buffer five wall seconds after its first record, and the object keys, names and
arrival timestamps are those of the scaled clock. It reads a monotonic clock, so a wall-clock jump never makes
time go backwards (the engine requires nondecreasing times).

:class:`DeliveryTimer` is the background thread that advances every stream's engine: it sleeps until the
earliest buffer deadline (at most :data:`MAX_SLEEP_SECONDS`), then delivers every buffer due. A buffer is
written with its deadline as its time, as on the virtual clock, so a late wake-up changes when the object
appears, never its key or contents.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

__all__ = ["DeliveryTimer", "ScaledClock"]

#: The timer's longest sleep: bounds how late an object appears after a buffer opened during the sleep.
MAX_SLEEP_SECONDS = 0.25
MIN_SLEEP_SECONDS = 0.001


class ScaledClock:
    """Epoch milliseconds from ``start_ms`` (default: now), running ``scale`` times the wall clock.

    Args:
        scale: simulated seconds per wall second (default 1; must be positive).
        start_ms: the clock's reading when it is created (default: the current time).
        monotonic: the wall clock read, in seconds (default :func:`time.monotonic`; tests inject their own).
    """

    def __init__(
        self, scale: float = 1.0, *, start_ms: int | None = None, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if not scale > 0:
            raise ValueError(f"the time scale must be positive, not {scale}")
        self.scale = scale
        self.start_ms = int(time.time() * 1000) if start_ms is None else start_ms
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> int:
        """The current time on this clock, epoch milliseconds."""
        return self.start_ms + int((self._monotonic() - self._origin) * 1000 * self.scale)

    def wall_seconds_until(self, moment_ms: int) -> float:
        """Wall seconds until the clock reads ``moment_ms`` (0 if it already has)."""
        return max(0.0, (moment_ms - self.now()) / 1000 / self.scale)


class Advancing(Protocol):
    def advance(self) -> int | None:
        """Deliver what is due now; return the next deadline (clock ms) or None."""
        ...


class DeliveryTimer:
    """Advances ``streams`` until :meth:`stop` (see the module docstring).

    ``on_error`` is called (from the timer thread) with any exception an advance raised; the timer then stops.
    """

    def __init__(
        self, streams: Sequence[Advancing], clock: ScaledClock, *, on_error: Callable[[BaseException], None]
    ) -> None:
        self.streams = list(streams)
        self.clock = clock
        self.on_error = on_error
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="firehose-s3-delivery-timer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread (an advance in progress completes first)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                deadlines = [deadline for stream in self.streams if (deadline := stream.advance()) is not None]
            except BaseException as error:  # reported to the command, which stops the server
                self.on_error(error)
                return
            sleep = MAX_SLEEP_SECONDS
            if deadlines:
                sleep = min(sleep, max(MIN_SLEEP_SECONDS, self.clock.wall_seconds_until(min(deadlines))))
            self._stopping.wait(sleep)

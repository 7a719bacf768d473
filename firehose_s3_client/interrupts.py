"""Ctrl-C (SIGINT) and SIGTERM as *requests to stop*, so a command can account for every record before it exits.

The first signal calls ``on_stop``: the command stops reading, lets the calls in progress finish and lists what
it did not deliver. Another one calls ``on_stop_now`` (stop waiting for calls in progress) and raises
``KeyboardInterrupt`` only where the command says it is safe (inside a network call, which the producer
unwinds without losing track of its records). The handlers take no lock and print nothing: they may run in
the middle of any statement of the main thread.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopSignals", "exit_status_of"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_status_of(signum: int) -> int:
    """The shell's exit status for a command stopped by ``signum`` (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


class StopSignals:
    """Installs the SIGINT/SIGTERM handlers for the duration of a ``with`` block (main thread only).

    Args:
        on_stop: called with the signal number on the first signal.
        on_stop_now: called with the signal number on every later signal.
        may_raise: consulted on every later signal: when it returns True, ``KeyboardInterrupt`` is raised too.
    """

    def __init__(
        self,
        *,
        on_stop: Callable[[int], None],
        on_stop_now: Callable[[int], None],
        may_raise: Callable[[], bool],
    ) -> None:
        self._on_stop = on_stop
        self._on_stop_now = on_stop_now
        self._may_raise = may_raise
        self._previous: dict[int, Any] = {}
        #: The first signal received, or None.
        self.received: int | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.received is None:
            self.received = signum
            self._on_stop(signum)
            return
        self._on_stop_now(signum)
        if self._may_raise():
            raise KeyboardInterrupt

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in _SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

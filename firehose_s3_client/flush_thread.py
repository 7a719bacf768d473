"""Flushing without the caller: the background thread behind ``max_buffered_seconds``, and the exit-time flush.

The thread sleeps on the producer's condition until the oldest buffered record has waited the limit, takes the
whole buffer and sends it (outside the lock). At interpreter exit every producer that was not closed is
flushed; what still cannot be delivered is logged as an error, never dropped silently.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["FlushThread", "flush_at_exit"]

_log = logging.getLogger("firehose_s3_client.producer")


class FlushThread:
    """The background sender of one producer (started by the first :meth:`wake_locked`).

    Args:
        name: the thread's name.
        cond: the producer's condition; every callback but ``send`` is called with it held.
        limit: seconds a record may wait.
        oldest: when the oldest buffered record was added (``time.monotonic``), or None.
        take: remove the whole buffer as batches.
        send: send them and hand their failures over (called without the lock).
        finished: whether the producer is closed or stopping (the thread then ends).
    """

    def __init__(
        self,
        *,
        name: str,
        cond: threading.Condition,
        limit: float,
        oldest: Callable[[], float | None],
        take: Callable[[], Any],
        send: Callable[[Any], None],
        finished: Callable[[], bool],
    ) -> None:
        self._name = name
        self._cond = cond
        self._limit = limit
        self._oldest = oldest
        self._take = take
        self._send = send
        self._finished = finished
        self._thread: threading.Thread | None = None

    def wake_locked(self) -> None:
        """A record entered an empty buffer: start the thread, or have it compute its next deadline."""
        if self._thread is None:
            # A daemon: the exit-time flush sends what is left; the thread must not keep the process alive.
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        else:
            self._cond.notify_all()

    def _run(self) -> None:
        with self._cond:
            while not self._finished():
                oldest = self._oldest()
                wait = None if oldest is None else oldest + self._limit - time.monotonic()
                if wait is None or wait > 0:
                    self._cond.wait(wait)
                    continue
                batches = self._take()
                self._cond.release()
                try:
                    self._send(batches)
                finally:
                    self._cond.acquire()


class _Flushable(Protocol):
    def flush_at_exit(self) -> None: ...


#: Producers not yet garbage-collected: flushed at interpreter exit if they were not closed.
_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()


def flush_at_exit(producer: _Flushable) -> None:
    """Have ``producer.flush_at_exit()`` called at interpreter exit (while the producer lives)."""
    _LIVE.add(producer)


@atexit.register
def _flush_live_producers() -> None:
    for producer in list(_LIVE):
        try:
            producer.flush_at_exit()
        except Exception:
            _log.exception("at interpreter exit: flushing a producer failed")

"""Fault injection: the partial failures and throttling real Firehose answers with, on purpose, so that
producers' retries can be tried locally.

* ``fail_rate``: each record of a ``PutRecordBatch`` fails, independently with this probability, the way a
  throttled stream fails entries: the call succeeds (HTTP 200) with ``FailedPutCount`` > 0 and the entry holds
  ``ErrorCode`` ``ServiceUnavailableException`` and ``ErrorMessage`` "Slow down." and no ``RecordId``
  (the answer body quoted in boto/boto3#2804, the Kinesis Agent's log in awslabs/amazon-kinesis-agent#29).
  ``PutRecord`` has no per-entry answer: a failed ``PutRecord`` is the error answer below.
* ``throttle_rate``: each call (``PutRecord`` or ``PutRecordBatch``) is refused whole, with probability
  ``throttle_rate``, as Firehose refuses a Direct PUT call over the stream's limits: HTTP 500,
  ``ServiceUnavailableException``, "Slow down." (an AWS SDK v2 log of a load test over the PutRecord rate:
  ``ServiceUnavailableException: Slow down. (Service: Firehose, Status Code: 500 ...``; the API reference names
  ServiceUnavailableException as the throttling error). SDKs retry it: botocore retries any 500.

A failed entry or a refused call never reaches the engine. The draws come from one seeded generator, so a
run with the same requests in the same order fails the same entries.
"""

from __future__ import annotations

import random
import threading

from firehose_s3_client.serve.protocol import ApiError

__all__ = ["FAULT_CODE", "FAULT_MESSAGE", "FaultInjector", "throttled_error"]

FAULT_CODE = "ServiceUnavailableException"
FAULT_MESSAGE = "Slow down."
#: Firehose's status for a refused (throttled) call.
THROTTLED_STATUS = 500


def throttled_error() -> ApiError:
    """The answer to a call Firehose refuses as throttled."""
    return ApiError(FAULT_CODE, FAULT_MESSAGE, THROTTLED_STATUS)


class FaultInjector:
    """Draws the injected faults (see the module docstring); thread-safe.

    Args:
        fail_rate: share of ``PutRecordBatch`` entries (and ``PutRecord`` calls) that fail, 0 to 1 (default 0).
        throttle_rate: share of put calls refused whole, 0 to 1 (default 0).
        seed: seed of the draws (default 0).
    """

    def __init__(self, fail_rate: float = 0.0, throttle_rate: float = 0.0, seed: int = 0) -> None:
        for name, rate in (("fail_rate", fail_rate), ("throttle_rate", throttle_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        self.fail_rate = fail_rate
        self.throttle_rate = throttle_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.fail_rate > 0 or self.throttle_rate > 0

    def throttle(self) -> bool:
        """Whether the next call is refused whole."""
        if self.throttle_rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < self.throttle_rate

    def failures(self, count: int) -> list[bool]:
        """For each of ``count`` entries, whether it fails (all False without a fail rate)."""
        if self.fail_rate <= 0:
            return [False] * count
        rate = self.fail_rate
        with self._lock:
            draw = self._rng.random
            return [draw() < rate for _ in range(count)]

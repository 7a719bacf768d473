"""Producer cost and throughput against the naive one-``put_record``-per-record baseline.

No network: an accounting fake client checks every call against the Firehose limits and counts calls,
Firehose records, payload bytes and billed bytes (each record rounded up to 5 KiB = 5,120 bytes,
computed here independently of the producer's own stats).

    python benchmarks/producer_bench.py                 # 100k records of 100 B, 1 KiB, 10 KiB
    python benchmarks/producer_bench.py --records 5000  # quick run

Targets (printed as met / NOT MET): billed/payload <= 1.05 for 100 B and 1 KiB records, and API calls
within 5 % of full batches, i.e. of ceil(max(firehose records / 500, payload bytes / 4 MiB)).
records/s measures CPU cost only (the fake answers instantly); the "at N ms/call" column adds an
assumed per-call latency to show what the call count means on a real network.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from firehose_s3_client.producer import (
    BILLING_INCREMENT_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
    FirehoseProducer,
)

SIZES = (("100 B", 100), ("1 KiB", 1024), ("10 KiB", 10 * 1024))
BILLED_TARGET = 1.05
BILLED_TARGET_SIZES = {100, 1024}
CALLS_TARGET = 1.05


class AccountingFirehose:
    """Counts what a real stream would bill; raises on any limit violation; stores nothing."""

    def __init__(self) -> None:
        self.calls = 0
        self.records = 0
        self.payload_bytes = 0
        self.billed_bytes = 0
        self._ok = [{"RecordId": "r"}] * MAX_BATCH_RECORDS

    def _account(self, data: bytes) -> None:
        size = len(data)
        if size > MAX_RECORD_BYTES:
            raise ValueError(f"record of {size} bytes exceeds {MAX_RECORD_BYTES}")
        self.records += 1
        self.payload_bytes += size
        self.billed_bytes += max(1, math.ceil(size / BILLING_INCREMENT_BYTES)) * BILLING_INCREMENT_BYTES

    def put_record_batch(self, *, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        if not 1 <= len(Records) <= MAX_BATCH_RECORDS:
            raise ValueError(f"{len(Records)} records in one call")
        if sum(len(r["Data"]) for r in Records) > MAX_BATCH_BYTES:
            raise ValueError("more than 4 MiB in one call")
        self.calls += 1
        for record in Records:
            self._account(record["Data"])
        return {"FailedPutCount": 0, "Encrypted": False, "RequestResponses": self._ok[: len(Records)]}

    def put_record(self, *, DeliveryStreamName: str, Record: dict[str, bytes]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        self._account(Record["Data"])
        return {"RecordId": "r", "Encrypted": False}


@dataclass(frozen=True)
class Result:
    name: str
    size: int
    records: int
    seconds: float
    client: AccountingFirehose

    @property
    def ratio(self) -> float:
        return self.client.billed_bytes / self.client.payload_bytes

    @property
    def ideal_calls(self) -> int:
        client = self.client
        return max(1, math.ceil(max(client.records / MAX_BATCH_RECORDS, client.payload_bytes / MAX_BATCH_BYTES)))

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else float("inf")

    def records_per_second_at(self, latency_ms: float) -> float:
        return self.records / (self.seconds + self.client.calls * latency_ms / 1000)


def make_records(size: int, variants: int = 64) -> list[bytes]:
    """``variants`` distinct JSON lines of exactly ``size`` bytes, newline included."""
    out = []
    for i in range(variants):
        head = b'{"id":%d,"pad":"' % i
        tail = b'"}\n'
        out.append(head + b"x" * (size - len(head) - len(tail)) + tail)
    return out


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_producer(size: int, count: int) -> Result:
    client = AccountingFirehose()
    lines = make_records(size)

    def run() -> None:
        with FirehoseProducer("bench", client=client) as producer:
            put = producer.put
            for i in range(count):
                put(lines[i & 63])

    return Result("producer", size, count, timed(run), client)


def bench_naive(size: int, count: int) -> Result:
    client = AccountingFirehose()
    lines = make_records(size)

    def run() -> None:
        for i in range(count):
            client.put_record(DeliveryStreamName="bench", Record={"Data": lines[i & 63]})

    return Result("naive put_record", size, count, timed(run), client)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(results: Sequence[tuple[str, Result, Result]], latency_ms: float) -> bool:
    header = (
        f"{'records':>8} {'size':>7} {'method':<17} {'API calls':>10} {'ideal':>7} {'calls/ideal':>11} "
        f"{'billed/payload':>14} {'records/s (CPU)':>16} {f'rec/s @{latency_ms:g}ms/call':>20}"
    )
    print(header)
    print("-" * len(header))
    all_met = True
    verdicts: list[str] = []
    for label, producer, naive in results:
        for result in (producer, naive):
            print(
                f"{result.records:>8} {label:>7} {result.name:<17} {result.client.calls:>10,} {result.ideal_calls:>7,} "
                f"{result.client.calls / result.ideal_calls:>11.3f} {result.ratio:>14.3f} "
                f"{result.records_per_second:>16,.0f} {result.records_per_second_at(latency_ms):>20,.0f}"
            )
        calls_ok = producer.client.calls <= CALLS_TARGET * producer.ideal_calls
        verdicts.append(
            f"{label:>7}: calls {producer.client.calls:,} vs ideal {producer.ideal_calls:,} "
            f"(<= {CALLS_TARGET:.2f}x): {verdict(calls_ok)}; naive made {naive.client.calls:,} calls "
            f"({naive.client.calls / producer.client.calls:,.0f}x more)"
        )
        all_met &= calls_ok
        if producer.size in BILLED_TARGET_SIZES:
            billed_ok = producer.ratio <= BILLED_TARGET
            verdicts.append(
                f"{label:>7}: billed/payload {producer.ratio:.3f} (<= {BILLED_TARGET}): {verdict(billed_ok)}; "
                f"naive {naive.ratio:.1f}x"
            )
            all_met &= billed_ok
        if producer.client.payload_bytes != naive.client.payload_bytes:
            raise AssertionError("producer and naive runs sent different payloads")
    print()
    print("Targets:")
    for line in verdicts:
        print("  " + line)
    print(f"All targets {'met' if all_met else 'NOT met'}.")
    return all_met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000, help="records per size (default: %(default)s)")
    parser.add_argument(
        "--call-latency-ms",
        type=float,
        default=20.0,
        help="assumed latency per API call for the estimated column (default: %(default)s)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    results = []
    for label, size in SIZES:
        results.append((label, bench_producer(size, args.records), bench_naive(size, args.records)))
    all_met = report(results, args.call_latency_ms)
    return 1 if args.check and not all_met else 0


if __name__ == "__main__":
    sys.exit(main())

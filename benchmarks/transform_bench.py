"""Benchmark of the Firehose transform handler against the seed document's naive handler.

Claim measured: with ``DROP_FIELDS=email``, on one core, the handler (fast path: orjson + pybase64, with all
its validation) transforms 1 and 3 MiB batches of web-log (~500 B) and IoT (~150 B) JSON records at least
3.5x faster than the seed handler (plus a newline), the standard-library path at least 1.05x faster, and the
handler module imports in under 30 ms.

Method: each path runs in its own worker process (the standard-library path with
``FIREHOSE_TRANSFORM_PURE_PYTHON=1``), which also runs the baseline, so a ratio always compares two
handlers of the same process. Runs alternate baseline / candidate, several repeats, medians. Handler CPU
time only (``time.process_time``: on a shared machine, time spent preempted is not the handler's): the event
is already a dict (the Lambda runtime parses it) and the response stays a dict (the runtime serializes it).
Both handlers' outputs are checked to hold the same documents before timing. Import time: a fresh
interpreter per sample, after importing what the Lambda Python runtime has already imported (json, logging,
traceback, importlib, decimal), median of several samples.
Peak memory: tracemalloc peak during one 3 MiB invocation, above what the event already holds.

Usage::

    python benchmarks/transform_bench.py            # full run (a few minutes)
    python benchmarks/transform_bench.py --quick    # smoke run (1 MiB, few repeats)
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRANSFORM_DIR = ROOT / "lambda_src"
MIB = 1024 * 1024
KINDS = ("weblog", "iot")
#: What the Lambda Python runtime (awslambdaric bootstrap + marshaller) has imported before the handler.
RUNTIME_PRELOADS = "json, logging, traceback, importlib, decimal"

_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
)
_PATHS = ("/api/v1/items", "/api/v1/cart", "/checkout", "/search", "/static/app.js", "/login", "/api/v2/orders")


def weblog_document(rng: random.Random, index: int) -> dict[str, Any]:
    """One web access-log event (~500 bytes of JSON)."""
    second = 1_764_148_800 + index // 10
    return {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + f".{rng.randrange(1000):03d}Z",
        "request_id": f"{rng.getrandbits(128):032x}",
        "client_ip": ".".join(str(rng.randrange(1, 255)) for _ in range(4)),
        "method": rng.choice(("GET", "GET", "GET", "POST", "PUT")),
        "path": f"{rng.choice(_PATHS)}/{rng.randrange(1_000_000)}",
        "status": rng.choice((200, 200, 200, 201, 304, 404, 500)),
        "bytes_sent": rng.randrange(200, 2_000_000),
        "latency_ms": round(rng.uniform(0.5, 2500.0), 3),
        "user_agent": rng.choice(_USER_AGENTS),
        "referer": f"https://example.com/p/{rng.randrange(100_000)}",
        "email": f"user{rng.randrange(1_000_000)}@example.com",
        "user_id": rng.randrange(1, 10_000_000),
        "session": {"id": f"{rng.getrandbits(64):016x}", "new": rng.random() < 0.2},
        "host": f"web-{rng.randrange(40):02d}.prod.internal",
    }


def iot_document(rng: random.Random, index: int) -> dict[str, Any]:
    """One IoT sensor reading (~150 bytes of JSON)."""
    return {
        "device_id": f"sensor-{rng.randrange(100_000):05d}",
        "ts": 1_764_148_800_000 + index * 37,
        "temperature": round(rng.uniform(-20.0, 45.0), 2),
        "humidity": round(rng.uniform(0.0, 100.0), 1),
        "pressure": round(rng.uniform(950.0, 1050.0), 1),
        "battery": rng.randrange(101),
        "status": rng.choice(("ok", "ok", "ok", "warn")),
    }


GENERATORS: dict[str, Callable[[random.Random, int], dict[str, Any]]] = {
    "weblog": weblog_document,
    "iot": iot_document,
}


def make_event(kind: str, target_bytes: int, seed: int = 7, *, kinesis: bool = False) -> dict[str, Any]:
    """A Firehose event whose decoded record data totals about ``target_bytes`` (never more).

    Each record is one JSON document plus a newline, as producers usually send them (``json.dumps``
    default separators). With ``kinesis``, the event looks like one from a Kinesis Data Stream source.
    """
    rng = random.Random(seed)
    generate = GENERATORS[kind]
    records: list[dict[str, Any]] = []
    total = 0
    index = 0
    while True:
        payload = (json.dumps(generate(rng, index)) + "\n").encode("utf-8")
        if total + len(payload) > target_bytes:
            break
        total += len(payload)
        record: dict[str, Any] = {
            "recordId": f"495469866831355442865074579363216256757001924711{index:08d}",
            "approximateArrivalTimestamp": 1_764_148_800_000 + index,
            "data": base64.b64encode(payload).decode("ascii"),
        }
        if kinesis:
            record["kinesisRecordMetadata"] = {
                "shardId": "shardId-000000000000",
                "partitionKey": f"pk-{index % 16}",
                "approximateArrivalTimestamp": 1_764_148_800_000 + index,
                "sequenceNumber": f"4959{index:052d}",
                "subsequenceNumber": 0,
            }
        records.append(record)
        index += 1
    event: dict[str, Any] = {
        "invocationId": "00540a87-5050-496a-84e4-e7d92bbaf5e2",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/bench",
        "region": "us-east-1",
        "records": records,
    }
    if kinesis:
        event["sourceKinesisStreamArn"] = "arn:aws:kinesis:us-east-1:123456789012:stream/bench"
    return event


def event_data_bytes(event: dict[str, Any]) -> int:
    """Decoded bytes of all record data of an event."""
    return sum(len(base64.b64decode(record["data"])) for record in event["records"])


def seed_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The seed document's handler (section 4), plus the newline it forgets: the baseline."""
    output = []
    for record in event["records"]:
        payload = base64.b64decode(record["data"]).decode("utf-8")
        transformed = json.loads(payload)
        transformed.pop("email", None)
        output_record = {
            "recordId": record["recordId"],
            "result": "Ok",
            "data": base64.b64encode((json.dumps(transformed) + "\n").encode("utf-8")).decode("utf-8"),
        }
        output.append(output_record)
    return {"records": output}


# ---------------------------------------------------------------------------------------------- worker


def _candidate() -> tuple[Callable[[dict[str, Any], Any], Any], str]:
    sys.path.insert(0, str(TRANSFORM_DIR))
    from firehose_transform import RecordTransformer, TransformConfig

    transformer = RecordTransformer(config=TransformConfig(drop_fields=("email",)), log_stream=io.StringIO())
    engine = transformer.setup()
    sink = io.StringIO()
    engine.logger.stream = sink

    def run(event: dict[str, Any], context: Any) -> Any:
        sink.seek(0)
        sink.truncate()
        return transformer(event, context)

    return run, engine.codec.name


def _timed(fn: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> float:
    # CPU time of this process: on a shared machine, time spent preempted is not the handler's.
    started = time.process_time()
    fn(event, None)
    return time.process_time() - started


def _peak_memory(fn: Callable[[dict[str, Any], Any], Any], event: dict[str, Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        response = fn(event, None)
        _, peak = tracemalloc.get_traced_memory()
        del response
    finally:
        tracemalloc.stop()
    return peak - before


def worker(sizes_mib: list[int], repeats: int) -> dict[str, Any]:
    """Measure baseline and candidate, interleaved, in this process."""
    candidate, codec_name = _candidate()
    results: list[dict[str, Any]] = []
    for kind in KINDS:
        for size in sizes_mib:
            event = make_event(kind, size * MIB)
            data_bytes = event_data_bytes(event)
            records = len(event["records"])
            # Same output check: both handlers must agree on what they return (modulo JSON spacing).
            expected = [json.loads(base64.b64decode(r["data"])) for r in seed_handler(event, None)["records"]]
            got = [json.loads(base64.b64decode(r["data"])) for r in candidate(event, None)["records"]]
            if expected != got:
                raise SystemExit(f"candidate output differs from the baseline on {kind} {size} MiB")
            for _ in range(2):  # warm-up
                _timed(seed_handler, event)
                _timed(candidate, event)
            base_times: list[float] = []
            cand_times: list[float] = []
            for _ in range(repeats):
                base_times.append(_timed(seed_handler, event))
                cand_times.append(_timed(candidate, event))
            base = statistics.median(base_times)
            cand = statistics.median(cand_times)
            pairwise = statistics.median(b / c for b, c in zip(base_times, cand_times, strict=True))
            results.append(
                {
                    "kind": kind,
                    "mib": size,
                    "records": records,
                    "data_bytes": data_bytes,
                    "baseline_s": base,
                    "candidate_s": cand,
                    "ratio": base / cand,
                    "pairwise_ratio": pairwise,
                    "peak_bytes": _peak_memory(candidate, event) if size == max(sizes_mib) else None,
                    "baseline_peak_bytes": _peak_memory(seed_handler, event) if size == max(sizes_mib) else None,
                }
            )
    # Whole worker process (interpreter, libraries, the largest event, responses): a floor for the Lambda memory.
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"codec": codec_name, "results": results, "max_rss_mib": max_rss_kib / 1024}


# ---------------------------------------------------------------------------------------------- driver


def _worker_env(pure_python: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FIREHOSE_TRANSFORM_PURE_PYTHON", None)
    if pure_python:
        env["FIREHOSE_TRANSFORM_PURE_PYTHON"] = "1"
    env["DROP_FIELDS"] = "email"
    return env


def run_worker(pure_python: bool, sizes_mib: list[int], repeats: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", "--sizes", ",".join(map(str, sizes_mib))]
    command += ["--repeats", str(repeats)]
    done = subprocess.run(command, env=_worker_env(pure_python), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def import_time_ms(
    pure_python: bool,
    samples: int,
    *,
    bytecode: bool = True,
    preload: bool = True,
    statement: str = "import firehose_transform.handler",
) -> float:
    """Median time of ``statement`` (default: importing the handler module) in a fresh interpreter, in ms.

    ``bytecode``: with compiled bytecode available for every module (a private pycache, written by one
    warm-up run), as in a deployment package that ships ``__pycache__``. Without it, the transform's own
    modules are compiled from source at every cold start (what happens when the bundle has no bytecode).
    """
    code = (
        (f"import {RUNTIME_PRELOADS}\n" if preload else "")
        + "import sys, time\n"
        + f"sys.path.insert(0, {str(TRANSFORM_DIR)!r})\n"
        + f"t = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)\n"
    )
    env = _worker_env(pure_python)
    with tempfile.TemporaryDirectory() as cache:
        if bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"  # and no __pycache__ in lambda_src (none is written)
        times = []
        for _ in range(samples):
            done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            times.append(float(done.stdout.strip().splitlines()[-1]) * 1000)
    return statistics.median(times)


def _print_results(label: str, run: dict[str, Any]) -> None:
    print(f"\n{label} (codec: {run['codec']})")
    print(
        f"{'dataset':8} {'MiB':>3} {'records':>7} {'seed ms':>8} {'ours ms':>8} {'ratio':>6} {'pairs':>6} "
        f"{'seed rec/s':>11} {'ours rec/s':>11} {'ours MiB/s':>10} {'peak MiB':>8} {'seed peak':>9}"
    )
    for r in run["results"]:
        peak = "" if r["peak_bytes"] is None else f"{r['peak_bytes'] / MIB:8.1f}"
        seed_peak = "" if r["baseline_peak_bytes"] is None else f"{r['baseline_peak_bytes'] / MIB:9.1f}"
        mib = r["data_bytes"] / MIB
        print(
            f"{r['kind']:8} {r['mib']:>3} {r['records']:>7} {r['baseline_s'] * 1000:8.1f} "
            f"{r['candidate_s'] * 1000:8.1f} {r['ratio']:5.2f}x {r['pairwise_ratio']:5.2f}x "
            f"{r['records'] / r['baseline_s']:11,.0f} {r['records'] / r['candidate_s']:11,.0f} "
            f"{mib / r['candidate_s']:10.1f} {peak:>8} {seed_peak:>9}"
        )
    print("ratio: median seed time / median ours; pairs: median of the per-pair ratios (robust to drift)")
    print(f"peak MiB: tracemalloc peak of one invocation above the event; worker max RSS {run['max_rss_mib']:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 MiB events, few repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per handler and dataset")
    parser.add_argument("--sizes", default=None, help="comma-separated event sizes in MiB (default 1,3)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1" if args.quick else "1,3")).split(",")]
    repeats = args.repeats or (3 if args.quick else 15)
    if args.worker:
        print(json.dumps(worker(sizes, repeats)))
        return 0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; DROP_FIELDS=email; medians of {repeats} runs")
    fast = run_worker(False, sizes, repeats)
    _print_results("fast path", fast)
    stdlib = run_worker(True, sizes, repeats)
    _print_results("stdlib path (FIREHOSE_TRANSFORM_PURE_PYTHON=1)", stdlib)
    samples = 3 if args.quick else 11
    print(f"\nhandler module import, median of {samples} fresh interpreters, after the Lambda runtime's imports")
    print(f"({RUNTIME_PRELOADS}); in brackets: nothing preloaded / sources compiled (no __pycache__):")
    for label, pure in (("fast path", False), ("stdlib path", True)):
        typical = import_time_ms(pure, samples)
        bare = import_time_ms(pure, samples, preload=False)
        compiled = import_time_ms(pure, samples, bytecode=False)
        print(f"  {label:12} {typical:6.1f} ms   ({bare:.1f} ms / {compiled:.1f} ms)")
    libraries = import_time_ms(False, samples, statement="import orjson, pybase64")
    print(f"  of which 'import orjson, pybase64' alone: {libraries:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

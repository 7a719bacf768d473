"""Benchmark of the Firehose transform handler against the seed document's naive handler.

Claim measured: with ``DROP_FIELDS=email``, on one core, on realistic records (``firehose_s3_client.sample_data``:
web-log events of ~580 bytes with query strings full of ``+`` and ``%XX``, referrers, floats, nulls, a nested
object and 3% non-ASCII text; IoT readings of ~225 bytes; each as Direct PUT and as a Kinesis-source event), in
1 and 3 MiB batches, the handler (fast path: orjson + pybase64, with all its validation) is at least
**4.0x** faster than the seed handler (plus a newline), the standard-library path at least **1.05x**, and the
handler module imports in under **30 ms**. The targets are on the handler's own time (left columns), as the
median of the per-pair ratios (``pairs``).

Method: each path runs in its own worker process (the standard-library path with
``FIREHOSE_TRANSFORM_PURE_PYTHON=1``), single-threaded like a 1,769 MB Lambda function on its one vCPU
(``--pin`` also binds it to one CPU, which on a shared machine keeps it from moving off a busy one), which
also runs the baseline, so a ratio always compares two handlers of the same process. Runs alternate baseline /
candidate, after a warm-up (at least 3 pairs and 0.3 s), 21 repeats. Two estimates: ``ratio`` (median seed
time / median ours) and ``pairs`` (median of seed / ours over each adjacent pair). On a shared machine whose
speed drifts within a run, the two medians can come from different phases and ``ratio`` moves by several
percent between runs; the two runs of a pair are adjacent, so ``pairs`` cancels the drift: the targets use it,
and both are printed. CPU time of the process (``time.process_time``: on a shared machine, time
spent preempted is not the handler's). Two figures:

* **handler**: the handler alone. The event is already a dict and the response stays a dict;
* **invocation**: what the Lambda Python runtime does around it as well: parse the request body (the event
  as JSON bytes) and serialize the returned dict, with the runtime's marshaller settings (a default
  ``JSONEncoder``: ``", "`` separators, ASCII escapes). The runtime uses simplejson; it is used here when
  installed, else the standard library's ``json``: the same C-accelerated design, the same output, and
  within 10% of simplejson 4.3's speed on these events (the module used is printed). Both handlers pay
  the same parse, so this ratio is lower; the serialization of our response is the cheaper one (compact
  JSON makes shorter ``data``).

Both handlers' outputs are checked to hold the same documents before timing. The ``exact`` column counts the
records the fast path handed to its exact path in one invocation (0 on clean data, whatever characters it
holds). Import time: a fresh interpreter per sample, after importing what the Lambda Python runtime has
already imported (json, logging, traceback, importlib, decimal), median of several samples. Peak memory:
tracemalloc peak during one invocation of the largest batch, above what the event already holds.

Usage::

    python benchmarks/transform_bench.py                # full run (a few minutes); --check: exit 1 on a missed target
    python benchmarks/transform_bench.py --quick        # smoke run (1 MiB, few repeats)
    python benchmarks/transform_bench.py --runtime DIR  # another copy of lambda_src (e.g. a git worktree), same data
"""

from __future__ import annotations

import argparse
import base64
import gc
import importlib
import io
import json
import os
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
if str(ROOT) not in sys.path:  # run as a script: the client package (sample data) from this checkout
    sys.path.insert(1, str(ROOT))

from firehose_s3_client import sample_data  # noqa: E402

TRANSFORM_DIR = ROOT / "lambda_src"
MIB = 1024 * 1024
#: (label, sample kind, Kinesis source)
DATASETS = (
    ("weblog", sample_data.WEBLOG, False),
    ("iot", sample_data.IOT, False),
    ("weblog+kds", sample_data.WEBLOG, True),
    ("iot+kds", sample_data.IOT, True),
)
SEED = 7
#: What the Lambda Python runtime (awslambdaric bootstrap + marshaller) has imported before the handler.
RUNTIME_PRELOADS = "json, logging, traceback, importlib, decimal"
FAST_TARGET = 4.0
STDLIB_TARGET = 1.05
IMPORT_TARGET_MS = 30.0

Handler = Callable[[dict[str, Any], Any], Any]
#: One invocation's counts of the records that left the column-wise path (None: the runtime does not count).
Census = Callable[[dict[str, Any]], dict[str, Any]]


def make_event(label: str, data_bytes: int, seed: int = SEED) -> dict[str, Any]:
    """The benchmark event of dataset ``label``: record data (decoded) of at most ``data_bytes``, as full as fits."""
    _, kind, kinesis = next(d for d in DATASETS if d[0] == label)
    return sample_data.event_of_size(kind, data_bytes, seed=seed, kinesis=kinesis)


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


def response_documents(response: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(recordId, result, parsed document) of every response record."""
    return [(r["recordId"], r["result"], json.loads(base64.b64decode(r["data"]))) for r in response["records"]]


def check_same_output(expected: dict[str, Any], got: dict[str, Any], dataset: str) -> None:
    """Raise SystemExit unless both responses hold the same records and documents (modulo JSON spacing)."""
    if response_documents(expected) != response_documents(got):
        raise SystemExit(f"candidate output differs from the baseline on {dataset}")


# ---------------------------------------------------------------------------------------------- worker


def runtime_marshaller() -> tuple[Callable[[bytes], Any], Callable[[Any], str], str]:
    """(loads, encode, module name) as the Lambda Python runtime parses events and serializes responses."""
    try:
        runtime_json: Any = importlib.import_module("simplejson")
    except ImportError:
        return json.loads, json.JSONEncoder().encode, "json"
    return runtime_json.loads, runtime_json.JSONEncoder(use_decimal=False).encode, "simplejson"


def _candidate(transform_dir: Path) -> tuple[Handler, str, Census]:
    """(the handler, its codec's name, a census of one invocation: how many records left the column-wise path)."""
    sys.path.insert(0, str(transform_dir))
    for name in [m for m in sys.modules if m.partition(".")[0] == "firehose_transform"]:
        del sys.modules[name]  # imported from the installed package (firehose_s3_client imports its contract)
    import firehose_transform
    from firehose_transform import RecordTransformer, TransformConfig

    if not Path(firehose_transform.__file__ or "").is_relative_to(transform_dir):
        raise SystemExit(f"firehose_transform was imported from {firehose_transform.__file__}, not {transform_dir}")

    transformer = RecordTransformer(config=TransformConfig(drop_fields=("email",)), log_stream=io.StringIO())
    engine = transformer.setup()
    sink = io.StringIO()
    engine.logger.stream = sink

    def run(event: dict[str, Any], context: Any) -> Any:
        sink.seek(0)
        sink.truncate()
        return transformer(event, context)

    def census(event: dict[str, Any]) -> dict[str, Any]:
        stream = io.StringIO()
        config = TransformConfig(drop_fields=("email",), log_level="DEBUG")
        RecordTransformer(config=config, log_stream=stream)(event, None)
        summary = next(json.loads(line) for line in stream.getvalue().splitlines() if "batch transformed" in line)
        return {"fallback_chunks": summary.get("fallbackChunks"), "exact_records": summary.get("exactRecords")}

    return run, engine.codec.name, census


def _timed_handler(fn: Handler, event: dict[str, Any]) -> float:
    started = time.process_time()
    fn(event, None)
    return time.process_time() - started


def _timed_invocation(
    fn: Handler, request: bytes, loads: Callable[[bytes], Any], encode: Callable[[Any], str]
) -> float:
    started = time.process_time()
    encode(fn(loads(request), None)).encode("utf-8")
    return time.process_time() - started


def _peak_memory(fn: Handler, event: dict[str, Any]) -> int:
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


#: Warm-up before each dataset: at least this many pairs, and at least this much CPU time. A fresh worker's
#: first dataset otherwise runs while the process still grows its heap, which skews the first pairs.
WARMUP_PAIRS = 3
WARMUP_SECONDS = 0.3


def _interleaved(base: Callable[[], float], cand: Callable[[], float], repeats: int) -> tuple[list[float], list[float]]:
    spent, pairs = 0.0, 0
    while pairs < WARMUP_PAIRS or spent < WARMUP_SECONDS:
        spent += base() + cand()
        pairs += 1
    base_times: list[float] = []
    cand_times: list[float] = []
    for _ in range(repeats):
        base_times.append(base())
        cand_times.append(cand())
    return base_times, cand_times


def _ratios(base_times: list[float], cand_times: list[float]) -> dict[str, float]:
    base = statistics.median(base_times)
    cand = statistics.median(cand_times)
    pairs = statistics.median(b / c for b, c in zip(base_times, cand_times, strict=True))
    return {"baseline_s": base, "candidate_s": cand, "ratio": base / cand, "pairwise_ratio": pairs}


def measure(
    label: str, size_mib: float, repeats: int, candidate: Handler, census: Census, *, peak: bool
) -> dict[str, Any]:
    """Handler and invocation timings of the seed handler and the candidate on one dataset."""
    event = make_event(label, int(size_mib * MIB))
    request = json.dumps(event).encode("utf-8")  # the request body the runtime reads
    check_same_output(seed_handler(event, None), candidate(event, None), f"{label} {size_mib} MiB")
    loads, encode, _ = runtime_marshaller()
    handler = _ratios(
        *_interleaved(lambda: _timed_handler(seed_handler, event), lambda: _timed_handler(candidate, event), repeats)
    )
    invocation = _ratios(
        *_interleaved(
            lambda: _timed_invocation(seed_handler, request, loads, encode),
            lambda: _timed_invocation(candidate, request, loads, encode),
            repeats,
        )
    )
    return {
        "dataset": label,
        "mib": size_mib,
        "records": len(event["records"]),
        "data_bytes": event_data_bytes(event),
        "handler": handler,
        "invocation": invocation,
        **census(event),
        "peak_bytes": _peak_memory(candidate, event) if peak else None,
        "baseline_peak_bytes": _peak_memory(seed_handler, event) if peak else None,
    }


def pin_to_one_core() -> int | None:
    """Run this process on one CPU (the last one it may use), as a 1,769 MB Lambda function has one vCPU."""
    if not hasattr(os, "sched_setaffinity"):  # not Linux: measure unpinned
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def worker(sizes_mib: list[float], repeats: int, transform_dir: Path, *, pin: bool = False) -> dict[str, Any]:
    """Measure baseline and candidate, interleaved, in this process, on every dataset and size."""
    if pin:
        pin_to_one_core()
    candidate, codec_name, census = _candidate(transform_dir)
    results = [
        measure(label, size, repeats, candidate, census, peak=size == max(sizes_mib) and label == DATASETS[0][0])
        for label, _, _ in DATASETS
        for size in sizes_mib
    ]
    # Whole worker process (interpreter, libraries, the largest event, responses): a floor for the Lambda memory.
    max_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "codec": codec_name,
        "runtime_json": runtime_marshaller()[2],
        "results": results,
        "max_rss_mib": max_rss_kib / 1024,
    }


# ---------------------------------------------------------------------------------------------- driver


def _worker_env(pure_python: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FIREHOSE_TRANSFORM_PURE_PYTHON", None)
    if pure_python:
        env["FIREHOSE_TRANSFORM_PURE_PYTHON"] = "1"
    env["DROP_FIELDS"] = "email"
    return env


def run_worker(
    pure_python: bool, sizes_mib: list[float], repeats: int, transform_dir: Path, *, pin: bool = False
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", "--sizes", ",".join(map(str, sizes_mib))]
    command += ["--repeats", str(repeats), "--runtime", str(transform_dir)] + (["--pin"] if pin else [])
    done = subprocess.run(command, env=_worker_env(pure_python), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def import_time_ms(
    pure_python: bool,
    samples: int,
    *,
    transform_dir: Path = TRANSFORM_DIR,
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
        + f"sys.path.insert(0, {str(transform_dir)!r})\n"
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
    print(f"\n{label} (codec: {run['codec']}; runtime marshaller: {run['runtime_json']})")
    print(
        f"{'dataset':10} {'MiB':>4} {'records':>7} | {'seed ms':>7} {'ours ms':>7} {'ratio':>6} {'pairs':>6} | "
        f"{'seed ms':>7} {'ours ms':>7} {'ratio':>6} | {'ours rec/s':>10} {'MiB/s':>6} {'exact':>5} {'peak':>5} "
        f"{'seed':>5}"
    )
    for r in run["results"]:
        handler, invocation = r["handler"], r["invocation"]
        peak = "" if r["peak_bytes"] is None else f"{r['peak_bytes'] / MIB:5.1f}"
        seed_peak = "" if r["baseline_peak_bytes"] is None else f"{r['baseline_peak_bytes'] / MIB:5.1f}"
        print(
            f"{r['dataset']:10} {r['mib']:>4} {r['records']:>7} | {handler['baseline_s'] * 1000:7.1f} "
            f"{handler['candidate_s'] * 1000:7.1f} {handler['ratio']:5.2f}x {handler['pairwise_ratio']:5.2f}x | "
            f"{invocation['baseline_s'] * 1000:7.1f} {invocation['candidate_s'] * 1000:7.1f} "
            f"{invocation['ratio']:5.2f}x | {r['records'] / handler['candidate_s']:10,.0f} "
            f"{r['data_bytes'] / MIB / handler['candidate_s']:6.1f} {_count(r['exact_records']):>5} {peak:>5} "
            f"{seed_peak:>5}"
        )
    print("left: handler only; right: whole invocation (runtime parses the request and serializes the response)")
    print("ratio: median seed time / median ours; pairs: median of the per-pair ratios (robust to drift)")
    print("exact: records the fast path handed to the exact path (every record where no fast path applies)")
    print(f"peak: tracemalloc MiB of one invocation above the event; worker max RSS {run['max_rss_mib']:.0f} MiB")


def _count(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def _targets(fast: dict[str, Any], stdlib: dict[str, Any], imports: dict[str, float]) -> list[tuple[str, bool]]:
    """(description, met) of every target of the module docstring (handler ratios, every dataset and size)."""
    checks = []
    for name, run, target in (("fast path", fast, FAST_TARGET), ("stdlib path", stdlib, STDLIB_TARGET)):
        worst = min(run["results"], key=lambda r: r["handler"]["pairwise_ratio"])
        ratio = worst["handler"]["pairwise_ratio"]
        checks.append(
            (f"{name} >= {target}x on every dataset (lowest {ratio:.2f}x: {worst['dataset']})", ratio >= target)
        )
    for name, ms in imports.items():
        checks.append((f"{name} handler import < {IMPORT_TARGET_MS:.0f} ms ({ms:.1f} ms)", ms < IMPORT_TARGET_MS))
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 MiB events, few repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per handler and dataset")
    parser.add_argument("--sizes", default=None, help="comma-separated event sizes in MiB (default 1,3)")
    parser.add_argument("--import-samples", type=int, default=None, help="fresh interpreters per import timing")
    parser.add_argument("--runtime", type=Path, default=TRANSFORM_DIR, help="the lambda_src directory to measure")
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--pin", action="store_true", help="bind each worker to one CPU (Linux)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [float(s) for s in (args.sizes or ("1" if args.quick else "1,3")).split(",")]
    repeats = args.repeats or (3 if args.quick else 21)
    runtime_dir = args.runtime.resolve()
    if args.worker:
        print(json.dumps(worker(sizes, repeats, runtime_dir, pin=args.pin)))
        return 0
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; DROP_FIELDS=email; medians of {repeats} runs")
    print(f"runtime measured: {runtime_dir}")
    fast = run_worker(False, sizes, repeats, runtime_dir, pin=args.pin)
    _print_results("fast path", fast)
    stdlib = run_worker(True, sizes, repeats, runtime_dir, pin=args.pin)
    _print_results("stdlib path (FIREHOSE_TRANSFORM_PURE_PYTHON=1)", stdlib)
    samples = args.import_samples or (3 if args.quick else 11)
    print(f"\nhandler module import, median of {samples} fresh interpreters, after the Lambda runtime's imports")
    print(f"({RUNTIME_PRELOADS}); in brackets: nothing preloaded / sources compiled (no __pycache__):")
    imports: dict[str, float] = {}
    for label, pure in (("fast path", False), ("stdlib path", True)):
        typical = import_time_ms(pure, samples, transform_dir=runtime_dir)
        bare = import_time_ms(pure, samples, transform_dir=runtime_dir, preload=False)
        compiled = import_time_ms(pure, samples, transform_dir=runtime_dir, bytecode=False)
        imports[label] = typical
        print(f"  {label:12} {typical:6.1f} ms   ({bare:.1f} ms / {compiled:.1f} ms)")
    libraries = import_time_ms(False, samples, statement="import orjson, pybase64")
    print(f"  of which 'import orjson, pybase64' alone: {libraries:.1f} ms")
    print("\ntargets (handler time, pairs column):")
    checks = _targets(fast, stdlib, imports)
    for description, met in checks:
        print(f"  [{'met' if met else 'MISSED'}] {description}")
    return 1 if args.check and not all(met for _, met in checks) else 0


if __name__ == "__main__":
    raise SystemExit(main())

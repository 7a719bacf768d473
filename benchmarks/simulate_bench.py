"""Speed and memory of ``firehose-s3 simulate`` on the web-log stack (transform, GZIP, source-record backup).

Claims measured, on one core:

1. **Speed**: one million web-log records through the FirehoseS3WebLogs stack take at most 1.5x the sum of
   (a) the transform handler's own time on the same records, in the same batches, and (b) gzip's time on the
   same data (what the engine compresses: the delivered objects and the backup objects). Both baselines are
   measured in the same run, after the simulation, on its own output.
2. **Memory**: the peak RSS of the simulate process is bounded by the buffers, not by the input: five times
   the input uses less than 1.2x the peak RSS.

Method. The process pins itself to one CPU (the Lambda worker it starts inherits the pin), generates the
records with :mod:`firehose_s3_client.sample_data` into a file, synthesizes the sample app (bundling on)
unless ``--app`` names an assembly, and runs ``simulate`` in-process (the command's own code). The handler
baseline runs the asset's handler in a separate pinned process with the same host wheels, on events built
like the engine's (untimed), timing only ``handler(event, context)``. The gzip baseline recompresses the
decompressed bodies of every object written, with the engine's own ``compress``. Times are CPU time (user +
system, the worker process included): on a shared machine wall time also counts the time other processes
held the core, which is not the engine's; on an idle pinned core the two are the same (the wall/CPU ratio is
printed). Memory runs are fresh ``simulate`` processes whose ``ru_maxrss`` is compared.

    .venv/bin/python benchmarks/simulate_bench.py                  # 1,000,000 records (a few minutes)
    .venv/bin/python benchmarks/simulate_bench.py --records 100000 # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STACK = "FirehoseS3WebLogs"
SPEED_LIMIT = 1.5
MEMORY_LIMIT = 1.2

#: Runs the asset's handler on the same batches, timing only the handler (a separate process, like the worker).
_HANDLER_BASELINE = r"""
import importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("worker", sys.argv[1])
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
config = json.loads(sys.argv[2])
sys.meta_path.insert(0, worker._PackageRedirect(config["host_packages"], []))
worker._local_boto3(config["secrets"])
sys.path.insert(0, config["code_dir"])
os.environ.update(config["environment"])
codecs = worker._Codecs(config["host_packages"])
handler = worker._load_handler(config["handler"])
log = open(os.devnull, "w")
stdout, sys.stdout = sys.stdout, log
limit = config["batch_bytes"]
total = 0.0
records = 0
batch, size = [], 0

def run(batch):
    global total, records
    body = bytearray(b"".join(batch))
    header = {"record_id_prefix": "4960" + "0" * 36, "lengths": [len(b) for b in batch],
              "arrivals": [1795683600000] * len(batch), "invocation_id": "x", "delivery_stream_arn": "a",
              "region": "us-east-1"}
    event = worker._event(header, body, codecs.b64encode)
    started = time.process_time()
    handler(event, None)
    total += time.process_time() - started
    records += len(batch)

with open(config["input"], "rb") as source:
    for line in source:
        if size + len(line) > limit and batch:
            run(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
if batch:
    run(batch)
sys.stdout = stdout
print(json.dumps({"seconds": total, "records": records}))
"""


def _pin() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _write_input(path: Path, records: int, seed: int) -> int:
    from firehose_s3_client import sample_data

    size = 0
    with open(path, "wb") as out:
        for line in sample_data.lines("weblog", seed=seed, count=records):
            out.write(line)
            size += len(line)
    return size


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the Lambda worker), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _simulate_args(app: Path, source: Path, out: Path) -> list[str]:
    """The ``firehose-s3`` command line of a benchmark run (quiet: the summary is not what is measured)."""
    return [
        "simulate",
        "--app",
        str(app),
        "--stack",
        STACK,
        "--input",
        str(source),
        "--out",
        str(out),
        "--start",
        "2026-11-26T09:00:00Z",
        "--quiet",
    ]


def _simulate(app: Path, source: Path, out: Path, report: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one in-process ``simulate`` run (the worker's CPU included: it has exited)."""
    from firehose_s3_client import cli

    cpu = _cpu_seconds()
    started = time.perf_counter()
    code = cli.main([*_simulate_args(app, source, out), "--report", str(report)])
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"simulate failed with status {code}")
    return wall, _cpu_seconds() - cpu


def _handler_seconds(app: Path, source: Path) -> dict[str, Any]:
    from firehose_s3_client.simulate.stream_setup import StreamOptions, prepare_stream

    prepared = prepare_stream(StreamOptions(assembly=app, stack=STACK))
    function = prepared.function
    processor = prepared.config.processing.lambda_processor
    assert function is not None
    assert processor is not None
    assert function.code_dir is not None
    config = {
        "code_dir": str(function.code_dir),
        "handler": function.handler,
        "environment": {**function.environment, "AWS_LAMBDA_FUNCTION_NAME": function.name},
        "host_packages": {
            top: r.host_location for r in function.replacements for top in r.top_level if r.host_location
        },
        "secrets": {s.arn: s.value for s in prepared.secrets},
        "input": str(source),
        "batch_bytes": processor.buffer_bytes,
    }
    worker = ROOT / "firehose_s3_client" / "simulate" / "lambda_worker.py"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _HANDLER_BASELINE, str(worker), json.dumps(config)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(function.code_dir),
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _gzip_seconds(out: Path) -> tuple[float, int]:
    from firehose_s3_client.simulate.compression import compress
    from firehose_s3_client.verify import decode_object

    total = 0.0
    objects = 0
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        body = decode_object(path.name, path.read_bytes()).data or b""
        started = time.process_time()
        compress(body, "GZIP", entry_name="")
        total += time.process_time() - started
        objects += 1
    return total, objects


def _peak_rss_kib(app: Path, source: Path, out: Path) -> int:
    script = (
        "import resource, sys\n"
        "from firehose_s3_client import cli\n"
        "code = cli.main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            *_simulate_args(app, source, out),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(ROOT),
    )
    return int(done.stdout.strip().splitlines()[-1])


def _synthesize(directory: Path) -> Path:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.path.insert(0, str(ROOT / "tests"))
    from cdk_helpers import synthesize_sample_app

    return synthesize_sample_app(directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records of the speed run (default 1,000,000)")
    parser.add_argument("--memory-records", type=int, default=100_000, help="records of the small memory run")
    parser.add_argument("--app", type=Path, help="an existing cloud assembly of the sample app (default: synthesize)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pinned = _pin()
    with tempfile.TemporaryDirectory(prefix="simulate-bench-") as scratch:
        work = Path(scratch)
        app = args.app or _synthesize(work / "cdk.out")
        source = work / "weblog.jsonl"
        size = _write_input(source, args.records, args.seed)
        print(f"input: {args.records:,} web-log records, {size / 1e6:,.1f} MB; one core (cpu {pinned})")

        wall, cpu = _simulate(app, source, work / "out", work / "report.json")
        report = json.loads((work / "report.json").read_text())
        handler = _handler_seconds(app, source)
        gzip_seconds, objects = _gzip_seconds(work / "out")
        baseline = handler["seconds"] + gzip_seconds
        ratio = cpu / baseline
        print(
            f"simulate:   {cpu:8.2f} s CPU ({wall:.2f} s wall)  {args.records / wall:,.0f} records/s  "
            f"({report['records_delivered']:,} delivered, {report['objects_written']} objects, "
            f"{report['lambda_invocations']} invocations)"
        )
        print(f"handler:    {handler['seconds']:8.2f} s CPU  (the asset's handler alone, same batches)")
        print(f"gzip:       {gzip_seconds:8.2f} s CPU  ({objects} objects: data and backup, recompressed)")
        print(f"ratio:      {ratio:8.2f}x  CPU / (handler + gzip) (claim: at most {SPEED_LIMIT}x)")
        print(
            f"            {wall / baseline:8.2f}x  wall / (handler + gzip); "
            f"wall/CPU {wall / cpu:.2f} (1.00 on an idle core)"
        )

        small = work / "small.jsonl"
        large = work / "large.jsonl"
        _write_input(small, args.memory_records, args.seed)
        _write_input(large, 5 * args.memory_records, args.seed)
        rss_small = _peak_rss_kib(app, small, work / "out-small")
        rss_large = _peak_rss_kib(app, large, work / "out-large")
        growth = rss_large / rss_small
        print(
            f"memory:     peak RSS {rss_small / 1024:,.1f} MiB for {args.memory_records:,} records, "
            f"{rss_large / 1024:,.1f} MiB for {5 * args.memory_records:,}: {growth:.2f}x (claim: under {MEMORY_LIMIT}x)"
        )
    passed = ratio <= SPEED_LIMIT and growth < MEMORY_LIMIT
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""Throughput of ``firehose-s3 serve``: web-log records per second accepted by ``PutRecordBatch`` through the
HTTP endpoint on one core, as a share of the engine's own rate on the same records, measured in the same run.

Claim measured: the endpoint (HTTP/1.1, the JSON protocol, base64, validation, record IDs, the lock and the
wall clock) costs little next to the delivery itself: its accepted rate is a large share of what the engine
alone does with the same batches.

Method. The records are the web-log sample (:mod:`firehose_s3_client.sample_data`), in batches of 500 (the
API's maximum), sent to the FirehoseS3WebLogs stack (the Lambda transform, GZIP, the source-record backup),
synthesized with bundling unless ``--app`` names an assembly.

1. **Engine**: in this process, pinned to one CPU (the Lambda worker it starts inherits the pin), the batches
   go straight into ``DeliveryEngine.put`` with wall-clock arrival times, as ``serve`` feeds them.
2. **Endpoint**: ``firehose-s3 serve`` in a subprocess pinned to that same CPU (its worker too); the client
   runs on the other CPU: ``--client http`` (default) sends pre-encoded bodies over a keep-alive
   ``http.client`` connection (``--connections``, default 1, the way a producer loop sends; more connections
   make the server's threads contend for the one core), ``--client boto3`` sends with boto3 (SigV4, its own
   serialization: the client then limits the rate, see the CPU share).

Each timed run starts after two warm-up batches (the function's cold start) and stops before the final flush;
the two runs alternate ``--repeat`` times and the best of each is kept (the machine is shared). The rate is
records per wall second; CPU time (the server or engine process and its Lambda worker, read from /proc) is
printed beside it: on a shared machine wall time also counts time other processes held the core.

    .venv/bin/python benchmarks/serve_bench.py                    # 200,000 records
    .venv/bin/python benchmarks/serve_bench.py --records 50000 --client boto3
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STACK = "FirehoseS3WebLogs"
STREAM = "PipelineDeliveryStreamF8B7CD7E"
BATCH = 500
WARM_UP_BATCHES = 2
TARGET = "Firehose_20150804.PutRecordBatch"


def _batches(records: int, seed: int) -> list[list[bytes]]:
    from firehose_s3_client import sample_data

    lines = list(sample_data.lines("weblog", seed=seed, count=records + WARM_UP_BATCHES * BATCH))
    return [lines[start : start + BATCH] for start in range(0, len(lines), BATCH)]


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += times.get(current, 0.0)
        pending.extend(child for child, parent in parents.items() if parent == current)
    return total


def _engine_rate(app: Path, batches: list[list[bytes]], out: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, records) of the engine alone, after the warm-up batches."""
    from firehose_s3_client.simulate.sinks import DirectorySink
    from firehose_s3_client.simulate.stream_setup import StreamOptions, prepare_stream

    prepared = prepare_stream(StreamOptions(assembly=app, stack=STACK))
    with prepared.open_invoker() as invoker:
        engine = prepared.engine(DirectorySink(out), invoker)

        def put(batch: list[bytes]) -> None:
            now = int(time.time() * 1000)
            engine.put(batch, [now] * len(batch))

        for batch in batches[:WARM_UP_BATCHES]:
            put(batch)
        cpu, started = _tree_cpu(os.getpid()), time.perf_counter()
        for batch in batches[WARM_UP_BATCHES:]:
            put(batch)
        wall, cpu = time.perf_counter() - started, _tree_cpu(os.getpid()) - cpu
        engine.flush()
    return wall, cpu, sum(map(len, batches[WARM_UP_BATCHES:]))


def _http_sender(url: str, bodies: list[bytes], connections: int) -> Callable[[], int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET}

    def send() -> int:
        failed = [0]
        lock = threading.Lock()
        queue = list(reversed(bodies))

        def worker() -> None:
            connection = http.client.HTTPConnection(host, int(port), timeout=120)
            while True:
                with lock:
                    if not queue:
                        break
                    body = queue.pop()
                connection.request("POST", "/", body=body, headers=headers)
                response = connection.getresponse()
                answer = json.loads(response.read())
                if response.status != 200:
                    raise SystemExit(f"the endpoint answered {response.status}: {answer}")
                with lock:
                    failed[0] += answer["FailedPutCount"]
            connection.close()

        threads = [threading.Thread(target=worker) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return failed[0]

    return send


def _boto3_sender(url: str, batches: list[list[bytes]], connections: int) -> Callable[[], int]:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "firehose",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(max_pool_connections=connections, retries={"total_max_attempts": 1}),
    )

    def send() -> int:
        from concurrent.futures import ThreadPoolExecutor

        def one(batch: list[bytes]) -> int:
            answer = client.put_record_batch(DeliveryStreamName=STREAM, Records=[{"Data": data} for data in batch])
            return int(answer["FailedPutCount"])

        with ThreadPoolExecutor(max_workers=connections) as pool:
            return sum(pool.map(one, batches))

    return send


def _body(batch: list[bytes]) -> bytes:
    records = [{"Data": base64.b64encode(data).decode("ascii")} for data in batch]
    return json.dumps({"DeliveryStreamName": STREAM, "Records": records}).encode()


def _endpoint_rate(
    app: Path, batches: list[list[bytes]], out: Path, args: argparse.Namespace, client_cpu: int | None
) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the server and its worker, records) through the endpoint."""
    server = subprocess.Popen(
        [sys.executable, "-m", "firehose_s3_client.cli", "serve", "--app", str(app), "--stack", STACK,
         "--out", str(out), "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert server.stdout is not None
    url = ""
    for line in server.stdout:
        if line.startswith("endpoint "):
            url = line.split()[1]
            break
    if not url:
        raise SystemExit("serve did not start")
    if client_cpu is not None:  # the client on the other core; the server (and its worker) keep theirs
        os.sched_setaffinity(0, {client_cpu})
    warm, timed = batches[:WARM_UP_BATCHES], batches[WARM_UP_BATCHES:]
    if args.client == "boto3":
        warm_up, send = _boto3_sender(url, warm, 1), _boto3_sender(url, timed, args.connections)
    else:
        warm_up = _http_sender(url, [_body(batch) for batch in warm], 1)
        send = _http_sender(url, [_body(batch) for batch in timed], args.connections)
    warm_up()
    cpu, started = _tree_cpu(server.pid), time.perf_counter()
    failed = send()
    wall, cpu = time.perf_counter() - started, _tree_cpu(server.pid) - cpu
    server.send_signal(signal.SIGTERM)
    if server.wait(300) != 0:
        raise SystemExit(f"serve exited with status {server.returncode}")
    if failed:
        raise SystemExit(f"{failed} records were not accepted")
    return wall, cpu, sum(map(len, timed))


def _synthesize(directory: Path) -> Path:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.path.insert(0, str(ROOT / "tests"))
    from cdk_helpers import synthesize_sample_app

    return synthesize_sample_app(directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000, help="records timed (default 200,000)")
    parser.add_argument("--client", choices=("http", "boto3"), default="http", help="the client (default http)")
    parser.add_argument("--connections", type=int, default=1, help="concurrent keep-alive connections (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, the best kept (default 3)")
    parser.add_argument("--app", type=Path, help="an existing cloud assembly of the sample app (default: synthesize)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu = cpus[0] if cpus else None
    client_cpu = cpus[1] if len(cpus) > 1 else None
    if server_cpu is not None:
        os.sched_setaffinity(0, {server_cpu})
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as scratch:
        work = Path(scratch)
        app = args.app or _synthesize(work / "cdk.out")
        batches = _batches(args.records, args.seed)
        size = sum(map(len, (line for batch in batches[WARM_UP_BATCHES:] for line in batch)))
        where = f"cpu {server_cpu}, client on cpu {client_cpu}" if client_cpu is not None else "one shared cpu"
        print(f"input: {args.records:,} web-log records in batches of {BATCH}, {size / 1e6:,.1f} MB; {where}")
        engine_runs, served_runs = [], []
        for run in range(args.repeat):  # alternated, so a busy spell of the machine hits both
            engine_runs.append(_engine_rate(app, batches, work / f"engine-{run}"))
            if server_cpu is not None:
                os.sched_setaffinity(0, {server_cpu})
            served_runs.append(_endpoint_rate(app, batches, work / f"served-{run}", args, client_cpu))
            if server_cpu is not None:
                os.sched_setaffinity(0, {server_cpu})
    engine_wall, engine_cpu, records = min(engine_runs)
    served_wall, served_cpu, served = min(served_runs)
    engine_rate, served_rate = records / engine_wall, served / served_wall
    runs = ", ".join(f"{n / wall:,.0f}" for wall, _, n in engine_runs)
    print(
        f"engine:     {engine_rate:10,.0f} records/s  ({engine_wall:.2f} s wall, {engine_cpu:.2f} s CPU; runs {runs})"
    )
    runs = ", ".join(f"{n / wall:,.0f}" for wall, _, n in served_runs)
    print(
        f"endpoint:   {served_rate:10,.0f} records/s  ({served_wall:.2f} s wall, {served_cpu:.2f} s CPU; runs {runs}; "
        f"{args.client} client, {args.connections} connection(s), {served / BATCH / served_wall:,.1f} calls/s)"
    )
    print(f"share:      {served_rate / engine_rate:10.2f}   endpoint / engine, records per wall second (best runs)")
    if engine_cpu > 0 and served_cpu > 0:
        print(f"            {engine_cpu / served_cpu:10.2f}   endpoint / engine, records per CPU second")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Storage and Firehose billing per record: raw JSON lines vs GZIP JSON vs Parquet (and ORC) for two workloads.

Generates the same synthetic web-log (~500 B of JSON) and IoT (~150 B) records as the sample app's producers,
writes them as Firehose would deliver them and prints bytes per record and the ratio to raw JSON, then the
Firehose billing model applied to the measured sizes (5 KiB rounding per ingested record).

    .venv/bin/python benchmarks/format_bench.py                 # 100,000 records per workload
    .venv/bin/python benchmarks/format_bench.py --records 20000 --seed 7

Notes: GZIP uses level 6 (Firehose's level is not documented); Parquet uses pyarrow with Snappy and one row
group per object, ORC uses pyarrow with Snappy. Firehose's Hive-based writers produce somewhat different
sizes; the ratios are what carries over. Synthetic data draws from small value pools, so it compresses
somewhat better than most real traffic.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import io
import json
import math
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

Record = dict[str, Any]

# --- record generators ----------------------------------------------------------------------------------

_METHODS = ("GET", "GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD")
_PATHS = (
    "/",
    "/index.html",
    "/products/{id}",
    "/products/{id}/reviews",
    "/cart",
    "/checkout/{id}",
    "/api/v1/orders/{id}",
    "/api/v1/search?q=shoes&page={id}",
    "/static/js/app.{id}.js",
    "/static/css/site.css",
    "/login",
    "/account/settings",
)
_STATUSES = (200,) * 40 + (201, 204, 301, 302, 304, 304, 400, 401, 403, 404, 404, 429, 500, 502, 503)
_REFERRERS = (
    "-",
    "https://www.google.com/",
    "https://www.bing.com/search?q=running+shoes",
    "https://example.com/products",
    "https://example.com/",
    "https://t.co/a1B2c3D4",
)
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
)
_DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "gmail.com", "outlook.com")
_COUNTRIES = ("US", "US", "US", "DE", "GB", "KR", "JP", "BR", "IN", "FR")
_DEVICE_TYPES = ("thermostat", "air_quality", "door_sensor", "smart_plug", "water_meter")
_FIRMWARE = ("1.4.2", "1.4.3", "1.5.0", "2.0.1")
_EPOCH = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def _timestamp(rng: random.Random, index: int) -> str:
    moment = _EPOCH + datetime.timedelta(milliseconds=index * 37 + rng.randrange(37))
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def web_log_records(count: int, seed: int = 42) -> list[Record]:
    """Access-log events as a log agent's LOGTOJSON/parser would emit them, ~500 bytes of JSON each."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        user = f"user{rng.randrange(50_000)}"
        records.append(
            {
                "ts": _timestamp(rng, index),
                "host": f"web-{rng.randrange(1, 9):02d}.prod.example.com",
                "ip": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                "method": rng.choice(_METHODS),
                "path": rng.choice(_PATHS).format(id=rng.randrange(1, 100_000)),
                "protocol": "HTTP/1.1" if rng.random() < 0.3 else "HTTP/2.0",
                "status": rng.choice(_STATUSES),
                "bytes": rng.randrange(0, 250_000),
                "response_time_ms": round(rng.lognormvariate(3.5, 0.8), 1),
                "referrer": rng.choice(_REFERRERS),
                "user_agent": rng.choice(_USER_AGENTS),
                "email": f"{user}@{rng.choice(_DOMAINS)}",
                "request_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "session_id": f"{rng.getrandbits(128):032x}",
                "country": rng.choice(_COUNTRIES),
                "upstream": f"10.0.{rng.randrange(4)}.{rng.randrange(2, 30)}:8080",
            }
        )
    return records


def iot_records(count: int, seed: int = 42) -> list[Record]:
    """Sensor readings as IoT Core would forward them, ~150 bytes of JSON each."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        device = rng.randrange(2_000)
        records.append(
            {
                "device_id": f"dev-{device:05d}",
                "device_type": _DEVICE_TYPES[device % len(_DEVICE_TYPES)],
                "ts": _timestamp(rng, index),
                "temperature": round(rng.gauss(21.5, 3.0), 2),
                "humidity": round(rng.uniform(20, 80), 1),
                "battery": rng.randrange(5, 101),
                "firmware": _FIRMWARE[device % len(_FIRMWARE)],
                "rssi": -rng.randrange(30, 95),
            }
        )
    return records


WORKLOADS: dict[str, Callable[[int, int], list[Record]]] = {"web-log": web_log_records, "iot": iot_records}

# --- writers ---------------------------------------------------------------------------------------------


def json_lines(records: Iterable[Record]) -> bytes:
    """Newline-delimited compact JSON, as the transform (or AppendDelimiterToRecord) delivers it."""
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)


def gzip_json(records: Iterable[Record], *, level: int = 6) -> bytes:
    return gzip_bytes(json_lines(records), level=level)


def gzip_bytes(data: bytes, *, level: int = 6) -> bytes:
    """GZIP as Firehose's S3-level compression would apply it to a delivered object."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def arrow_table(records: Sequence[Record]) -> pa.Table:
    """Records as an Arrow table with ``ts`` as a UTC timestamp, as a Glue ``timestamp`` column converts."""
    table = pa.Table.from_pylist(list(records))
    if "ts" in table.column_names:
        ts = pa.array(
            [datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")) for r in records],
            type=pa.timestamp("ms", tz="UTC"),
        )
        table = table.set_column(table.column_names.index("ts"), "ts", ts)
    return table


def parquet_bytes(records: Sequence[Record], *, compression: str = "snappy") -> bytes:
    buffer = io.BytesIO()
    pq.write_table(arrow_table(records), buffer, compression=compression)
    return buffer.getvalue()


def orc_bytes(records: Sequence[Record], *, compression: str = "snappy") -> bytes | None:
    """ORC bytes, or None when this pyarrow build has no ORC support."""
    try:
        from pyarrow import orc
    except ImportError:  # pragma: no cover - depends on the pyarrow build
        return None
    buffer = io.BytesIO()
    orc.write_table(arrow_table(records), buffer, compression=compression)
    return buffer.getvalue()


def read_parquet_rows(data: bytes) -> int:
    return int(pq.read_table(io.BytesIO(data)).num_rows)


# --- billing model (firehose-facts.md section 9) ------------------------------------------------------------

BILLING_INCREMENT = 5120  # bytes: each ingested record is billed rounded up to 5 KiB
GIB = 1024**3
#: us-east-1 list prices as recalled in firehose-facts.md section 9: UNVERIFIED, check the pricing page.
PRICE_INGEST_PER_GB = 0.029
PRICE_CONVERSION_PER_GB = 0.018
PRICE_DP_PER_GB = 0.020
PRICE_DP_PER_1000_OBJECTS = 0.005


def billed_bytes(record_size: int) -> int:
    """Bytes Firehose bills for one ingested record of ``record_size`` bytes."""
    return max(1, math.ceil(record_size / BILLING_INCREMENT)) * BILLING_INCREMENT


def billed_bytes_aggregated(record_sizes: Sequence[int], aggregate_limit: int) -> int:
    """Billed bytes when a producer packs newline-delimited records into Firehose records of <= the limit."""
    total = 0
    current = 0
    for size in record_sizes:
        if current and current + size > aggregate_limit:
            total += billed_bytes(current)
            current = 0
        current += size
    return total + (billed_bytes(current) if current else 0)


@dataclass(frozen=True)
class Measurement:
    workload: str
    records: int
    sizes: dict[str, int]  # format -> total bytes
    billed_single: int
    billed_aggregated: int
    seconds: float

    def per_record(self, fmt: str) -> float:
        return self.sizes[fmt] / self.records

    def ratio(self, fmt: str) -> float:
        return self.sizes[fmt] / self.sizes["json"]


AGGREGATE_LIMIT = 1_000_000  # bytes per aggregated record (Firehose's max is 1,024,000; leave headroom)


def measure(workload: str, count: int, seed: int = 42) -> Measurement:
    started = time.perf_counter()
    records = WORKLOADS[workload](count, seed)
    raw = json_lines(records)
    sizes = {"json": len(raw), "json.gz": len(gzip_bytes(raw)), "parquet": len(parquet_bytes(records))}
    orc = orc_bytes(records)
    if orc is not None:
        sizes["orc"] = len(orc)
    line_sizes = [len(line) + 1 for line in raw.splitlines()]
    return Measurement(
        workload=workload,
        records=count,
        sizes=sizes,
        billed_single=sum(billed_bytes(s) for s in line_sizes),
        billed_aggregated=billed_bytes_aggregated(line_sizes, AGGREGATE_LIMIT),
        seconds=time.perf_counter() - started,
    )


def report(measurements: Sequence[Measurement], *, per_records: int = 100_000_000) -> str:
    lines = ["## Stored bytes per record", ""]
    lines += ["| workload | format | bytes/record | vs raw JSON |", "|---|---|---|---|"]
    for m in measurements:
        for fmt in m.sizes:
            lines.append(f"| {m.workload} | {fmt} | {m.per_record(fmt):.1f} | {m.ratio(fmt):.3f} |")
    lines += [
        "",
        f"## Firehose billing for {per_records:,} records (us-east-1 list prices, UNVERIFIED; GB = 2^30 bytes)",
        "",
        "| workload | raw GB | billed GB, 1 event/record | billed GB, aggregated | ingestion $ (1/record) "
        "| ingestion $ (aggregated) | + conversion $ (1/record) | + conversion $ (aggregated) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in measurements:
        scale = per_records / m.records / GIB
        raw, single, aggregated = m.sizes["json"] * scale, m.billed_single * scale, m.billed_aggregated * scale
        lines.append(
            f"| {m.workload} | {raw:.1f} | {single:.1f} | {aggregated:.1f} | {single * PRICE_INGEST_PER_GB:.2f} "
            f"| {aggregated * PRICE_INGEST_PER_GB:.2f} | {single * PRICE_CONVERSION_PER_GB:.2f} "
            f"| {aggregated * PRICE_CONVERSION_PER_GB:.2f} |"
        )
    lines += [
        "",
        f"Aggregated = newline-delimited events packed into Firehose records of at most {AGGREGATE_LIMIT:,} bytes "
        "(Kinesis Agent aggregatedRecordSizeBytes, or a producer batching lines).",
        f"Dynamic partitioning adds ${PRICE_DP_PER_GB}/GB delivered and ${PRICE_DP_PER_1000_OBJECTS} per 1,000 "
        "objects (UNVERIFIED).",
        "",
        "Generated in " + ", ".join(f"{m.workload} {m.seconds:.1f} s" for m in measurements) + ".",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000, help="records per workload (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    measurements = [measure(name, args.records, args.seed) for name in WORKLOADS]
    print(f"# format_bench: {args.records:,} records per workload, seed {args.seed}, pyarrow {pa.__version__}\n")
    print(report(measurements))
    return 0


if __name__ == "__main__":
    sys.exit(main())

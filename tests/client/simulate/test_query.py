"""Athena SQL over generated objects laid out as the simulator writes them, through Glue tables like the constructs'.

The templates copy the shape the constructs synthesize for the sample web-log table (GZIP JSON, integer
projection on year/month/day/hour) and the IoT table (Parquet, injected device_type, date-projected dt).
Expected numbers are computed here from the generated records, independently of DuckDB.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from firehose_s3_client.simulate.assembly import StackTemplate, load_stack
from firehose_s3_client.simulate.compression import compress
from firehose_s3_client.simulate.conversion import converter_for
from firehose_s3_client.simulate.query import QueryError, QueryResult, format_result, run_query

BUCKET = "PipelineBucket60D569E5"
WEB_COLUMNS = {"ts": "string", "ip": "string", "method": "string", "path": "string", "status": "int", "bytes": "bigint"}
IOT_COLUMNS = {
    "device_id": "string", "ts": "timestamp", "temperature": "double", "humidity": "double", "battery": "int",
    "location": "struct<lat:double,lon:double>", "tags": "map<string,string>",
}  # fmt: skip
ROOT = Path(__file__).resolve().parents[3]
SQL_BLOCKS = re.findall(r"```sql\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
# The README's two example Athena queries, read from the README itself so that they run exactly as printed.
README_WEB_QUERY = next(block for block in SQL_BLOCKS if '"access_logs"' in block)
README_IOT_QUERY = next(block for block in SQL_BLOCKS if '"telemetry"' in block)


def table_resource(database: str, name: str, columns: dict[str, str], fmt: str, **extra: Any) -> dict[str, Any]:
    serdes = {
        "json": ("org.openx.data.jsonserde.JsonSerDe", "org.apache.hadoop.mapred.TextInputFormat"),
        "parquet": (
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        ),
        "orc": ("org.apache.hadoop.hive.ql.io.orc.OrcSerde", "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat"),
    }
    serde, input_format = serdes[fmt]
    location = extra.pop("location", "data/")
    return {
        "Type": "AWS::Glue::Table",
        "Properties": {
            "DatabaseName": database,
            "TableInput": {
                "Name": name,
                "Parameters": extra.pop("parameters", {}),
                "PartitionKeys": extra.pop("partition_keys", []),
                "StorageDescriptor": {
                    "Columns": [{"Name": k, "Type": v} for k, v in columns.items()],
                    "InputFormat": input_format,
                    "Location": {"Fn::Join": ["", ["s3://", {"Ref": BUCKET}, f"/{location}"]]},
                    "SerdeInfo": {"SerializationLibrary": serde, "Parameters": extra.pop("serde_parameters", {})},
                },
            },
        },
    }


def template_location(path: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["s3://", {"Ref": BUCKET}, path]]}


WEB_TABLE = table_resource(
    "firehoses3weblogs_pipeline",
    "access_logs",
    WEB_COLUMNS,
    "json",
    partition_keys=[{"Name": n, "Type": "int"} for n in ("year", "month", "day", "hour")],
    parameters={
        "projection.enabled": "true",
        "storage.location.template": template_location("/data/year=${year}/month=${month}/day=${day}/hour=${hour}/"),
        "projection.year.type": "integer",
        "projection.year.range": "2024,2099",
        "projection.month.type": "integer",
        "projection.month.range": "1,12",
        "projection.month.digits": "2",
        "projection.day.type": "integer",
        "projection.day.range": "1,31",
        "projection.day.digits": "2",
        "projection.hour.type": "integer",
        "projection.hour.range": "0,23",
        "projection.hour.digits": "2",
    },
)
IOT_TABLE = table_resource(
    "firehoses3iottelemetry_pipeline",
    "telemetry",
    IOT_COLUMNS,
    "parquet",
    location="iot/",
    partition_keys=[{"Name": "device_type", "Type": "string"}, {"Name": "dt", "Type": "string"}],
    parameters={
        "projection.enabled": "true",
        "storage.location.template": template_location("/iot/device_type=${device_type}/dt=${dt}/"),
        "projection.device_type.type": "injected",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2024-01-01,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
    },
)
CONVERSION = {
    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {"CaseInsensitive": True}}},
    "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {"Compression": "SNAPPY"}}},
    "SchemaConfiguration": {"DatabaseName": "firehoses3iottelemetry_pipeline", "TableName": {"Ref": "Iot"}},
}


def assembly(root: Path, tables: dict[str, dict[str, Any]]) -> StackTemplate:
    root.mkdir(parents=True, exist_ok=True)
    resources = {BUCKET: {"Type": "AWS::S3::Bucket"}, **tables}
    (root / "S.template.json").write_text(json.dumps({"Resources": resources}))
    artifact = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}
    (root / "manifest.json").write_text(json.dumps({"artifacts": {"S": artifact}}))
    return load_stack(root, "S")


def put(data_dir: Path, key: str, body: bytes) -> None:
    path = data_dir / BUCKET / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def web_record(rng: random.Random, hour: int) -> dict[str, Any]:
    minute, second = rng.randrange(60), rng.randrange(60)
    status = rng.choice([200, 200, 200, 404, 500, 503])
    return {
        "ts": f"2026-11-26T{hour:02d}:{minute:02d}:{second:02d}Z", "ip": "10.0.0.1", "method": "GET",
        "path": rng.choice(["/", "/a", "/b"]), "status": status, "bytes": rng.randrange(100, 5000),
    }  # fmt: skip


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackTemplate, Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("web")
    stack = assembly(root / "cdk.out", {"Web": WEB_TABLE})
    data = root / "local-s3"
    rng = random.Random(13)
    records: list[dict[str, Any]] = []
    for hour in (9, 10):
        batch = [web_record(rng, hour) for _ in range(150)]
        records += batch
        key = f"data/year=2026/month=11/day=26/hour={hour:02d}/s-1-2026-11-26-{hour:02d}-00-00-u{hour}.json.gz"
        put(data, key, compress(jsonl(batch), "GZIP", entry_name="x"))
    # Objects Athena never reads: another day is filtered out by the WHERE clause, the rest by projection.
    put(
        data,
        "data/year=2026/month=11/day=27/hour=00/s-1-other-day.gz",
        compress(jsonl([web_record(rng, 0)]), "GZIP", entry_name="x"),
    )
    put(
        data,
        "data/year=2026/month=11/day=26/hour=9/s-1-unpadded.gz",
        compress(jsonl([web_record(rng, 9)]), "GZIP", entry_name="x"),
    )
    put(data, "data/year=2026/month=11/day=26/hour=09/_SUCCESS", b"not a record")
    put(data, "errors/processing-failed/year=2026/month=11/day=26/hour=09/e-1", b'{"errorCode": "x"}\n')
    return stack, data, records


def test_the_readmes_web_log_query(web: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, records = web
    result = run_query(stack, data, README_WEB_QUERY)
    assert result.columns == ["event_hour", "requests", "server_errors"]
    expected = [
        (datetime(2026, 11, 26, hour, tzinfo=UTC), len(rows), sum(r["status"] >= 500 for r in rows))
        for hour in (9, 10)
        for rows in [[r for r in records if r["ts"].startswith(f"2026-11-26T{hour:02d}")]]
    ]
    assert [(row[0].astimezone(UTC), row[1], row[2]) for row in result.rows] == expected


def test_the_analytics_guides_web_log_queries(web: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, records = web
    percentile = run_query(
        stack,
        data,
        'SELECT approx_percentile(bytes, 0.95) AS p95 FROM "firehoses3weblogs_pipeline"."access_logs" '
        "WHERE year = 2026 AND month = 11 AND day = 26",
    )
    sizes = sorted(r["bytes"] for r in records)
    assert abs(percentile.rows[0][0] - sizes[int(0.95 * len(sizes))]) <= 60  # an approximation, like Athena's
    top = run_query(
        stack,
        data,
        """SELECT path, count(*) AS hits FROM "firehoses3weblogs_pipeline"."access_logs"
        WHERE year = 2026 AND month = 11 AND day = 26 AND hour = 9 AND status = 404
        GROUP BY path ORDER BY hits DESC, path LIMIT 20""",
    )
    hour_9 = [r for r in records if r["ts"].startswith("2026-11-26T09") and r["status"] == 404]
    expected = sorted(
        {p: sum(r["path"] == p for r in hour_9) for p in {r["path"] for r in hour_9}}.items(),
        key=lambda kv: (-kv[1], kv[0]),
    )
    assert result_rows(top) == [tuple(kv) for kv in expected]


def result_rows(result: QueryResult) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result.rows]


def test_partition_projection_reads_only_what_athena_generates(
    web: tuple[StackTemplate, Path, list[dict[str, Any]]],
) -> None:
    stack, data, records = web
    everything = run_query(stack, data, 'SELECT count(*) FROM "firehoses3weblogs_pipeline"."access_logs"')
    assert everything.rows == [(len(records) + 1,)]  # + the other day; not hour=9 (unpadded), _SUCCESS or errors/
    partitions = run_query(
        stack,
        data,
        'SELECT DISTINCT year, month, day, hour FROM "firehoses3weblogs_pipeline"."access_logs" ORDER BY hour',
    )
    assert sorted(partitions.rows) == [(2026, 11, 26, 9), (2026, 11, 26, 10), (2026, 11, 27, 0)]


@pytest.fixture(scope="module")
def iot(tmp_path_factory: pytest.TempPathFactory) -> tuple[StackTemplate, Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("iot")
    stack = assembly(root / "cdk.out", {"Iot": IOT_TABLE})
    converter = converter_for(stack, CONVERSION)
    data = root / "local-s3"
    rng = random.Random(7)
    today = datetime.now(UTC).date()
    readings: list[dict[str, Any]] = []
    days = [date(2026, 11, 20), date(2026, 11, 26), today - timedelta(days=3), date(2023, 1, 1)]
    for kind in ("thermostat", "air_quality", "camera"):
        for day in days:
            batch = [
                {
                    "device_id": f"dev-{rng.randrange(3)}",
                    "device_type": kind,
                    "ts": f"{day}T09:00:00Z",
                    "temperature": round(rng.uniform(15, 25), 2),
                    "humidity": rng.randrange(30, 60),
                    "battery": rng.randrange(5, 100),
                }
                for _ in range(20)
            ]
            readings += [dict(r, dt=str(day)) for r in batch]
            rows = [row for r in batch for row in converter.convert(json.dumps(r).encode())]
            put(data, f"iot/device_type={kind}/dt={day}/s-1-{kind}-{day}.parquet", converter.write(rows))
    return stack, data, readings


def test_the_readmes_iot_query(iot: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, readings = iot
    result = run_query(stack, data, README_IOT_QUERY)
    chosen = [r for r in readings if r["device_type"] == "thermostat" and r["dt"] >= "2026-11-20"]
    expected = {
        device: (mean(r["temperature"] for r in group), min(r["battery"] for r in group))
        for device in {r["device_id"] for r in chosen}
        for group in [[r for r in chosen if r["device_id"] == device]]
    }
    keys = [(row[0], row[1]) for row in result.rows]
    assert keys == sorted(("thermostat", device) for device in expected)  # ORDER BY 1, 2
    for _, device, average, battery in result.rows:
        assert average == pytest.approx(expected[device][0], abs=0.005 + 1e-9)  # round(avg(temperature), 2)
        assert average == round(average, 2)
        assert battery == expected[device][1]


def test_the_analytics_guides_low_battery_query(iot: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, readings = iot
    sql = """SELECT device_type, device_id, min(battery) AS min_battery, avg(temperature) AS avg_temperature,
       max(ts) AS last_seen
FROM "firehoses3iottelemetry_pipeline"."telemetry"
WHERE dt >= cast(current_date - interval '7' day AS varchar)
  AND device_type IN ('thermostat', 'air_quality')
GROUP BY device_type, device_id
HAVING min(battery) < 20
ORDER BY min_battery"""
    since = str(datetime.now(UTC).date() - timedelta(days=7))
    chosen = [r for r in readings if r["dt"] >= since and r["device_type"] in ("thermostat", "air_quality")]
    groups = {(r["device_type"], r["device_id"]) for r in chosen}
    expected = sorted((min(r["battery"] for r in chosen if (r["device_type"], r["device_id"]) == g), g) for g in groups)
    result = run_query(stack, data, sql)
    assert [(row[2], (row[0], row[1])) for row in result.rows] == [e for e in expected if e[0] < 20]


def test_an_injected_partition_column_must_be_filtered(iot: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, _ = iot
    with pytest.raises(
        QueryError, match="CONSTRAINT_VIOLATION: For the injected projected partition column device_type"
    ):
        run_query(stack, data, 'SELECT count(*) FROM "firehoses3iottelemetry_pipeline"."telemetry"')


def test_date_projection_skips_days_before_its_range(iot: tuple[StackTemplate, Path, list[dict[str, Any]]]) -> None:
    stack, data, _ = iot
    result = run_query(
        stack, data, "SELECT min(dt) FROM firehoses3iottelemetry_pipeline.telemetry WHERE device_type = 'camera'"
    )
    assert result.rows == [("2026-11-20",)]


def test_trino_functions_and_dialect(tmp_path: Path) -> None:
    stack = assembly(tmp_path / "cdk.out", {})
    sql = """SELECT from_iso8601_timestamp('2026-11-26T09:30:00Z') AS a, from_iso8601_date('2026-11-26') AS b,
    from_unixtime(0) AS c, to_unixtime(from_iso8601_timestamp('1970-01-02T00:00:00Z')) AS d, 7 / 2 AS e,
    regexp_like('abc', 'b') AS f, json_extract_scalar('{"a": {"b": "x"}}', '$.a.b') AS g, cardinality([1, 2, 3]) AS h,
    approx_distinct(1) AS i, current_date - interval '1' day < current_date AS j,
    typeof(current_date - interval '1' day) AS k"""
    row = run_query(stack, tmp_path, sql).rows[0]
    assert row[0] == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    assert row[1:] == (date(2026, 11, 26), datetime(1970, 1, 1, tzinfo=UTC), 86400.0, 3, True, "x", 3, 1, True, "DATE")


def test_json_tables_read_by_the_openx_serde(tmp_path: Path) -> None:
    table = table_resource(
        "db", "events", {"id": "string", "n": "int", "nested": "string"}, "json",
        serde_parameters={"mapping.id": "EventId"},
    )  # fmt: skip
    stack = assembly(tmp_path / "cdk.out", {"T": table})
    put(
        tmp_path / "data",
        "data/2026/11/26/09/o.snappy",
        compress(b'{"EVENTID": "e1", "N": "5", "Nested": {"A": 1}}\n', "HADOOP_SNAPPY", entry_name="x"),
    )
    put(tmp_path / "data", "data/2026/11/26/10/o", b'{"EventId": "e2", "n": 6}{"EventId": "e3"}\n')
    result = run_query(stack, tmp_path / "data", "SELECT id, n, nested FROM db.events ORDER BY id")
    assert result.rows == [("e1", 5, '{"a":1}'), ("e2", 6, None), ("e3", None, None)]


def test_bad_data_fails_like_athena_unless_malformed_json_is_ignored(tmp_path: Path) -> None:
    strict = table_resource("db", "strict", {"n": "int"}, "json")
    lenient = table_resource(
        "db", "lenient", {"n": "int"}, "json", location="data/", serde_parameters={"ignore.malformed.json": "true"}
    )
    stack = assembly(tmp_path / "cdk.out", {"A": strict, "B": lenient})
    put(tmp_path / "data", "data/o.gz", compress(b'{"n": 1}\n{"n": "x"}\nnot json\n', "GZIP", entry_name="x"))
    with pytest.raises(
        QueryError, match=r'HIVE_BAD_DATA: data/o\.gz line 2: Data does not match the schema\. For input string: "x"'
    ):
        run_query(stack, tmp_path / "data", "SELECT count(*) FROM db.strict")
    assert run_query(stack, tmp_path / "data", "SELECT count(*), count(n) FROM db.lenient").rows == [(3, 1)]


def test_zip_objects_are_refused_as_athena_cannot_read_them(tmp_path: Path) -> None:
    stack = assembly(tmp_path / "cdk.out", {"T": table_resource("db", "t", {"n": "int"}, "json")})
    put(tmp_path / "data", "data/o.zip", compress(b'{"n": 1}\n', "ZIP", entry_name="e"))
    with pytest.raises(QueryError, match="Athena does not read ZIP objects"):
        run_query(stack, tmp_path / "data", "SELECT * FROM db.t")


def test_hive_style_partitions_without_projection_and_orc(tmp_path: Path) -> None:
    table = table_resource(
        "db", "readings", {"v": "double", "ts": "timestamp"}, "orc", partition_keys=[{"Name": "site", "Type": "string"}]
    )
    stack = assembly(tmp_path / "cdk.out", {"T": table})
    conversion = json.loads(json.dumps(CONVERSION))
    conversion["SchemaConfiguration"] = {"DatabaseName": "db", "TableName": "readings"}
    conversion["OutputFormatConfiguration"]["Serializer"] = {"OrcSerDe": {"Compression": "ZLIB"}}
    converter = converter_for(stack, conversion)
    for site, value in (("a", 1.5), ("b", 2.5)):
        body = converter.write(converter.convert(json.dumps({"v": value, "ts": 1764147600}).encode()))
        put(tmp_path / "data", f"data/site={site}/part.orc", body)
    put(tmp_path / "data", "data/loose.orc", body)  # not in a site= folder: not a partition
    result = run_query(stack, tmp_path / "data", "SELECT site, v, ts FROM db.readings ORDER BY site")
    assert result.rows == [("a", 1.5, datetime(2025, 11, 26, 9, 0)), ("b", 2.5, datetime(2025, 11, 26, 9, 0))]


def test_an_empty_table_is_noted(tmp_path: Path) -> None:
    stack = assembly(tmp_path / "cdk.out", {"Web": WEB_TABLE})
    notices: list[str] = []
    assert run_query(stack, tmp_path, README_WEB_QUERY, notices).rows == []
    assert notices == [f"no objects of firehoses3weblogs_pipeline.access_logs under {tmp_path / BUCKET / 'data'}"]


def test_sql_errors_are_query_errors(tmp_path: Path) -> None:
    stack = assembly(tmp_path / "cdk.out", {"Web": WEB_TABLE})
    with pytest.raises(QueryError, match='Referenced column "nope" not found'):
        run_query(stack, tmp_path, 'SELECT nope FROM "firehoses3weblogs_pipeline"."access_logs"')
    with pytest.raises(QueryError, match="does not exist"):
        run_query(stack, tmp_path, "SELECT * FROM db.missing")


def test_results_render_as_athena_shows_them() -> None:
    result = QueryResult(
        ["t", "z", "n", "s"],
        ["TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "BIGINT", "VARCHAR"],
        [
            (datetime(2026, 11, 26, 9, 0, 1, 234567), datetime(2026, 11, 26, 9, tzinfo=UTC), 5, 'a "b"'),
            (None, None, None, None),
        ],
    )
    table = format_result(result, "table").splitlines()
    assert table[2].split(" | ")[:3] == ["2026-11-26 09:00:01.234", "2026-11-26 09:00:00.000 UTC", "5   "]
    assert table[3].split(" | ")[0].strip() == "NULL"
    assert table[-1] == "(2 rows)"
    assert format_result(result, "csv").splitlines() == [
        '"t","z","n","s"',
        '"2026-11-26 09:00:01.234","2026-11-26 09:00:00.000 UTC","5","a ""b"""',
        '"","","",""',
    ]
    lines = [json.loads(line) for line in format_result(result, "json").splitlines()]
    assert lines == [
        {"t": "2026-11-26 09:00:01.234", "z": "2026-11-26 09:00:00.000 UTC", "n": 5, "s": 'a "b"'},
        {"t": None, "z": None, "n": None, "s": None},
    ]


@pytest.mark.parametrize(("index_access", "expected"), [(None, [("x", "y")]), ("false", [("y", "x")])])
def test_orc_columns_are_read_by_position_unless_told_otherwise(
    tmp_path: Path, index_access: str | None, expected: list[tuple[str, str]]
) -> None:
    import pyarrow as pa
    from pyarrow import orc

    parameters = {"orc.column.index.access": index_access} if index_access else {}
    table = table_resource("db", "t", {"a": "string", "b": "string"}, "orc", serde_parameters=parameters)
    stack = assembly(tmp_path / "cdk.out", {"T": table})
    buffer = pa.BufferOutputStream()
    orc.write_table(pa.table({"b": ["x"], "a": ["y"]}), buffer)  # the file's order differs from the table's
    put(tmp_path / "data", "data/o.orc", buffer.getvalue().to_pybytes())
    assert run_query(stack, tmp_path / "data", "SELECT a, b FROM db.t").rows == expected

"""``firehose-s3 query``: Athena SQL over simulated output, with DuckDB, through the stack's own Glue tables.

Each ``AWS::Glue::Table`` of the stack becomes the DuckDB view ``"<database>"."<table>"``: its data columns
with their Glue types, then its partition columns (typed by ``PartitionKeys``), over the objects Athena would
read (:mod:`.query_sources`). Rows are read the way the table's SerDe reads them: JSON through the OpenX (or
Hive) JSON SerDe rules of :mod:`.json_serde` (``case.insensitive``, ``mapping.<column>``, ``dots.in.keys``,
``ignore.malformed.json``), compressed objects by their extension or first bytes; Parquet by column name and
ORC by column index, Athena's defaults. A value that does not fit its column fails the query with Athena's
``HIVE_BAD_DATA``, naming the object.

The session follows Athena's dialect where DuckDB differs and it can be made to: time zone UTC, integer
division (``7 / 2`` is 3), ``current_date - interval 'N' day`` is a date, and macros for the Trino functions
``from_iso8601_timestamp``, ``from_iso8601_date``, ``from_unixtime``, ``to_unixtime``, ``approx_percentile``,
``approx_distinct``, ``regexp_like``, ``json_extract_scalar`` and ``cardinality`` (DuckDB already has
``date_trunc``, ``count_if``, ``date_diff``). A query on a table with an ``injected`` partition column must
filter it with ``=`` or ``IN``, as Athena requires. Remaining differences: docs/query.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from firehose_s3_client.verify import UnreadableObjectError, decode_object

from .assembly import StackTemplate
from .conversion import arrow_type
from .glue_table import GlueTable, GlueType, glue_tables
from .json_serde import RecordError, SerDeOptions, parse_records, to_row
from .query_sources import TableObject, injected_columns, table_objects

__all__ = ["FORMATS", "QueryError", "QueryResult", "format_result", "run_query"]

FORMATS: Final = ("table", "csv", "json")
#: Trino functions the README's queries (and common Firehose queries) use, as DuckDB macros.
MACROS: Final = (
    "CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
    "CREATE MACRO from_iso8601_date(s) AS CAST(s AS DATE)",
    "CREATE MACRO from_unixtime(x) AS to_timestamp(x)",
    "CREATE MACRO to_unixtime(t) AS epoch(t)",
    "CREATE MACRO approx_percentile(x, p) AS approx_quantile(x, p)",
    "CREATE MACRO approx_distinct(x) AS approx_count_distinct(x)",
    "CREATE MACRO regexp_like(s, p) AS regexp_matches(s, p)",
    "CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    "CREATE MACRO cardinality(x) AS len(x)",
)
_DATE_MINUS_DAYS = re.compile(r"\bcurrent_date\s*([-+])\s*interval\s*'(\d+)'\s*day\b", re.IGNORECASE)


class QueryError(Exception):
    """The query cannot run (the message is one line, Athena's error name first where there is one)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


def _serde_options(table: GlueTable) -> tuple[SerDeOptions, bool]:
    parameters = {k.lower(): v for k, v in table.serde_parameters.items()}
    ignore_malformed = parameters.get("ignore.malformed.json", "false").lower() == "true"
    if "hcatalog" in table.serde.lower() or "hive.serde2.jsonserde" in table.serde.lower():
        formats = tuple(f for f in parameters.get("timestamp.formats", "").split(",") if f)
        return SerDeOptions(kind="hive", timestamp_formats=formats), ignore_malformed
    mappings = {k.removeprefix("mapping."): v for k, v in parameters.items() if k.startswith("mapping.")}
    return (
        SerDeOptions(
            case_insensitive=parameters.get("case.insensitive", "true").lower() != "false",
            dots_to_underscores=parameters.get("dots.in.keys", "false").lower() == "true",
            key_mappings=mappings,
        ),
        ignore_malformed,
    )


def _json_rows(table: GlueTable, item: TableObject) -> list[dict[str, Any]]:
    options, ignore_malformed = _serde_options(table)
    try:
        decoded = decode_object(item.key, item.path.read_bytes())
    except UnreadableObjectError as error:
        raise QueryError(f"HIVE_CURSOR_ERROR: {error}") from None
    if decoded.format == "zip":
        raise QueryError(f"HIVE_CURSOR_ERROR: {item.key}: Athena does not read ZIP objects (CompressionFormat ZIP)")
    if decoded.data is None:
        raise QueryError(f"HIVE_BAD_DATA: {item.key} is a {decoded.format} object in a JSON table")
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(decoded.data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.extend(to_row(value, table.columns, options) for value in parse_records(line))
        except RecordError as error:
            if ignore_malformed:
                rows.append(dict.fromkeys(name for name, _ in table.columns))
                continue
            raise QueryError(f"HIVE_BAD_DATA: {item.key} line {number}: {error.error_message}") from None
    return rows


def _by_index(table: GlueTable, fmt: str) -> bool:
    """Athena reads Parquet columns by name and ORC columns by index (ordinal), unless the SerDe parameter
    ``parquet.column.index.access`` / ``orc.column.index.access`` says otherwise
    (https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html)."""
    parameters = {k.lower(): v.lower() for k, v in table.serde_parameters.items()}
    return parameters.get(f"{fmt}.column.index.access", "true" if fmt == "orc" else "false") == "true"


def _columnar(table: GlueTable, item: TableObject, fmt: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import orc

    data = pq.read_table(item.path) if fmt == "parquet" else orc.read_table(item.path)
    if _by_index(table, fmt):  # table column i reads file column i
        sources: list[str | None] = [
            data.column_names[i] if i < data.num_columns else None for i in range(len(table.columns))
        ]
    else:
        by_name = {name.lower(): name for name in data.column_names}
        sources = [by_name.get(name) for name, _ in table.columns]
    arrays = []
    for source, (name, kind) in zip(sources, table.columns, strict=True):
        wanted = arrow_type(kind)
        if source is None:
            arrays.append(pa.nulls(data.num_rows, wanted))
            continue
        try:
            arrays.append(data[source].cast(wanted))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise QueryError(
                f"HIVE_BAD_DATA: {item.key}: column {source} of type {data.schema.field(source).type} does not "
                f"fit the table's {name} {kind}: {error}"
            ) from None
    return pa.table(arrays, names=[name for name, _ in table.columns])


def _partition_value(text: str, kind: GlueType, table: GlueTable, column: str) -> Any:
    try:
        if kind.kind in ("tinyint", "smallint", "int", "bigint"):
            return int(text)
        if kind.kind == "date":
            return date.fromisoformat(text)
    except ValueError:
        raise QueryError(
            f"HIVE_BAD_DATA: partition {column}={text} of {table.qualified_name} is not a {kind}"
        ) from None
    return text


def _duck_safe(kind: GlueType) -> Any:
    """Arrow types DuckDB reads the way Athena shows them (nanosecond timestamps as microseconds)."""
    import pyarrow as pa

    return pa.timestamp("us") if kind.kind == "timestamp" else arrow_type(kind)


def _arrow_table(table: GlueTable, data_dir: Path, notices: list[str]) -> Any:
    import pyarrow as pa

    fmt = table.storage_format
    objects, searched = table_objects(table, data_dir)
    if not objects:
        notices.append(f"no objects of {table.qualified_name} under {searched}")
    columns = [*table.columns, *table.partition_keys]
    schema = pa.schema([(name, _duck_safe(kind)) for name, kind in columns])
    data_schema = pa.schema([(name, arrow_type(kind)) for name, kind in table.columns])
    pieces = []
    for item in objects:
        if fmt == "json":
            piece = pa.Table.from_pylist(_json_rows(table, item), schema=data_schema)
        else:
            piece = _columnar(table, item, fmt)
        for column, kind in table.partition_keys:
            value = _partition_value(item.partition[column], kind, table, column)
            piece = piece.append_column(column, pa.array([value] * piece.num_rows, arrow_type(kind)))
        pieces.append(piece.cast(schema))
    return pa.concat_tables(pieces) if pieces else schema.empty_table()


def _referenced(sql: str, tables: Iterable[GlueTable]) -> list[GlueTable]:
    text = sql.lower()
    return [t for t in tables if re.search(rf"\b{re.escape(t.name.lower())}\b", text)]


def _check_injected(sql: str, table: GlueTable) -> None:
    for column in injected_columns(table):
        if not re.search(rf"\b{re.escape(column)}\b\s*(=|in\s*\()", sql, re.IGNORECASE):
            raise QueryError(
                f"CONSTRAINT_VIOLATION: For the injected projected partition column {column}, the WHERE clause must "
                "contain only static equality conditions, and at least one such condition must be present."
            )


def _session() -> Any:
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET integer_division = true")
    for macro in MACROS:
        connection.execute(macro)
    return connection


def run_query(stack: StackTemplate, data_dir: Path, sql: str, notices: list[str] | None = None) -> QueryResult:
    """Run ``sql`` over ``data_dir`` through ``stack``'s Glue tables (see the module doc).

    ``notices`` receives one line per referenced table that has no objects. Raises QueryError (SQL errors
    included, as DuckDB words them) and SchemaError (a table this engine cannot read, named).
    """
    import duckdb

    notices = [] if notices is None else notices
    connection = _session()
    tables = glue_tables(stack)
    for index, table in enumerate(_referenced(sql, tables)):
        _check_injected(sql, table)
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{table.database}"')
        view = f"glue_table_{index}"
        connection.register(view, _arrow_table(table, data_dir, notices))
        connection.execute(f'CREATE VIEW "{table.database}"."{table.name}" AS SELECT * FROM "{view}"')
    try:
        relation = connection.execute(_DATE_MINUS_DAYS.sub(r"(current_date \1 \2)", sql))
        rows = relation.fetchall()
    except duckdb.Error as error:
        raise QueryError(str(error).splitlines()[0]) from None
    description = relation.description or []
    return QueryResult([d[0] for d in description], [str(d[1]) for d in description], rows)


def _text(value: Any) -> str:
    """A value as Athena's console shows it (timestamps to the millisecond; with a zone, `UTC`)."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        shown = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        return f"{shown} UTC" if value.tzinfo is not None else shown
    if isinstance(value, date | time | Decimal):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time | Decimal):
        return _text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _table(columns: Sequence[str], cells: list[list[str]]) -> str:
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines.extend(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells)
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def format_result(result: QueryResult, fmt: str) -> str:
    """``table`` (aligned, NULL shown), ``csv`` (header, every field quoted, as Athena's result files) or
    ``json`` (one object per line; timestamps and decimals as text)."""
    if fmt == "json":
        return "".join(
            json.dumps({c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}) + "\n"
            for row in result.rows
        )
    cells = [[_text(v) for v in row] for row in result.rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(
            [
                ["" if v is None else text for v, text in zip(row, shown, strict=True)]
                for row, shown in zip(result.rows, cells, strict=True)
            ]
        )
        return buffer.getvalue()
    return _table(result.columns, cells)

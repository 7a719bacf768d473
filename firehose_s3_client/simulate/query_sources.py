"""The objects and partition values Athena would read for a Glue table, found in a local data directory.

The simulator writes ``DIR/<bucket logical ID>/<key>``; a table's ``s3://<bucket>/<prefix>`` (bucket Refs resolve
to logical IDs, see :mod:`.glue_table`) is ``DIR/<bucket>/<prefix>``. Which objects belong to the table follows
Athena:

* with partition projection (``projection.enabled`` = ``true``), partitions come from
  ``storage.location.template`` and each column's projection
  (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html): ``integer`` values
  inside ``range``, on the ``interval``, written with ``digits`` zero-padding (``05`` with digits 2, ``5``
  without); ``enum`` values of ``values``; ``date`` values in ``format`` inside ``range`` (``NOW``, ``NOW-3DAYS``
  ...), and ``injected`` values of any kind. A folder Athena would never generate is never read;
* without projection but with partition keys, Athena reads the partitions of the catalog; this engine acts as
  if ``MSCK REPAIR TABLE`` had loaded the Hive-style ``name=value`` folders under the table's location;
* without partition keys, every object under the location, at any depth.

Objects whose name starts with ``_`` or ``.`` are skipped, as Athena skips them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from .glue_table import GlueTable, SchemaError

__all__ = ["TableObject", "injected_columns", "table_objects"]

_UNITS: Final = {
    "YEARS": timedelta(days=366), "MONTHS": timedelta(days=31), "WEEKS": timedelta(weeks=1),
    "DAYS": timedelta(days=1), "HOURS": timedelta(hours=1), "MINUTES": timedelta(minutes=1),
    "SECONDS": timedelta(seconds=1), "MILLISECONDS": timedelta(milliseconds=1),
}  # fmt: skip
_DATE_LETTERS: Final = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S"))
_NOW = re.compile(r"NOW(?:([+-])(\d+)(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?))?", re.IGNORECASE)


@dataclass(frozen=True)
class TableObject:
    """One object of a table, with the text of its partition values (column -> value)."""

    path: Path
    key: str
    partition: Mapping[str, str]


def _local(data_dir: Path, url: str, table: GlueTable) -> tuple[Path, str]:
    match = re.fullmatch(r"s3a?://([^/]+)/?(.*)", url)
    if match is None:
        raise SchemaError(f"Glue table {table.qualified_name}: location {url!r} is not an s3:// URL")
    return data_dir / match.group(1), match.group(2)


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(("_", ".")):
            yield path


def _projected(table: GlueTable) -> bool:
    return table.parameters.get("projection.enabled", "").lower() == "true"


def injected_columns(table: GlueTable) -> list[str]:
    """Partition columns with ``injected`` projection (queries must filter them with ``=`` or ``IN``)."""
    if not _projected(table):
        return []
    return [c for c, _ in table.partition_keys if table.parameters.get(f"projection.{c}.type") == "injected"]


def _now_bound(text: str) -> datetime:
    match = _NOW.fullmatch(text.strip())
    if match is None:
        raise ValueError(text)
    moment = datetime.now(UTC)
    if match.group(1):
        unit = match.group(3).upper().rstrip("S") + "S"
        step = _UNITS[unit] * int(match.group(2))
        moment = moment + step if match.group(1) == "+" else moment - step
    return moment


def _date_strptime(pattern: str) -> str | None:
    """A strptime format for a projection ``format`` of the usual letters, None for anything else."""
    out, rest = [], pattern
    while rest:
        for letters, code in _DATE_LETTERS:
            if rest.startswith(letters):
                out.append(code)
                rest = rest[len(letters) :]
                break
        else:
            if rest[0].isalpha() or rest[0] in "'%":
                return None
            out.append(rest[0])
            rest = rest[1:]
    return "".join(out)


class _Projection:
    """Which values Athena generates for one projected partition column."""

    def __init__(self, table: GlueTable, column: str) -> None:
        self.column = column
        parameter = table.parameters.get
        self.kind = parameter(f"projection.{column}.type", "")
        where = f"Glue table {table.qualified_name} partition column {column!r}"
        if self.kind not in ("integer", "enum", "date", "injected"):
            raise SchemaError(f"{where}: projection type {self.kind!r} is not integer, enum, date or injected")
        self.values = set(parameter(f"projection.{column}.values", "").split(","))
        self.range = [part.strip() for part in parameter(f"projection.{column}.range", "").split(",")]
        self.interval = int(parameter(f"projection.{column}.interval", "1") or 1)
        self.digits = int(parameter(f"projection.{column}.digits", "0") or 0)
        self.format = parameter(f"projection.{column}.format", "")
        if self.kind in ("integer", "date") and len(self.range) != 2:
            raise SchemaError(f"{where}: projection range {parameter(f'projection.{column}.range')!r} is not low,high")

    def accepts(self, value: str) -> bool:
        if self.kind == "injected":
            return True
        if self.kind == "enum":
            return value in self.values
        if self.kind == "integer":
            return self._integer(value)
        return self._date(value)

    def _integer(self, value: str) -> bool:
        if not re.fullmatch(r"-?\d+", value):
            return False
        number, (low, high) = int(value), (int(self.range[0]), int(self.range[1]))
        return low <= number <= high and (number - low) % self.interval == 0 and value == str(number).zfill(self.digits)

    def _date(self, value: str) -> bool:
        strptime = _date_strptime(self.format)
        if strptime is None:  # a format of other letters: every folder is taken (documented)
            return True
        try:
            moment = datetime.strptime(value, strptime).replace(tzinfo=UTC)
            bounds = [
                _now_bound(b) if b.upper().startswith("NOW") else datetime.strptime(b, strptime).replace(tzinfo=UTC)
                for b in self.range
            ]
        except ValueError:
            return False
        return moment.strftime(strptime) == value and bounds[0] <= moment <= bounds[1]


def _template_regex(template_path: str, columns: list[str], table: GlueTable) -> re.Pattern[str]:
    pieces = re.split(r"\$\{([^}]+)\}", template_path)
    named = pieces[1::2]
    missing = sorted(set(columns) - set(named))
    if missing:
        raise SchemaError(
            f"Glue table {table.qualified_name}: storage.location.template does not use partition column(s) "
            f"{', '.join(missing)}"
        )
    regex = "".join(re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>[^/]+)" for index, piece in enumerate(pieces))
    return re.compile(regex + ("" if template_path.endswith("/") or not template_path else "/") + r"(?P<_object>.+)")


def table_objects(table: GlueTable, data_dir: Path) -> tuple[list[TableObject], Path]:
    """The objects of ``table`` under ``data_dir`` (see the module doc), and the folder that was searched."""
    columns = [name for name, _ in table.partition_keys]
    if columns and _projected(table):
        template = table.parameters.get("storage.location.template") or table.location
        root, template_path = _local(data_dir, template, table)
        pattern = _template_regex(template_path, columns, table)
        projections = [_Projection(table, column) for column in columns]
        found = []
        for path in _files(root):
            key = path.relative_to(root).as_posix()
            match = pattern.fullmatch(key)
            if match is None:
                continue
            values = {column: match.group(column) for column in columns}
            if all(p.accepts(values[p.column]) for p in projections):
                found.append(TableObject(path, key, values))
        return found, root / template_path.split("${", 1)[0].rpartition("/")[0]
    root, prefix = _local(data_dir, table.location, table)
    base = root / prefix
    objects = []
    for path in _files(base):
        relative = path.relative_to(base).as_posix()
        folders = dict(part.split("=", 1) for part in relative.split("/")[:-1] if "=" in part)
        if columns and not all(column in folders for column in columns):
            continue
        objects.append(TableObject(path, path.relative_to(root).as_posix(), {c: folders[c] for c in columns}))
    return objects, base

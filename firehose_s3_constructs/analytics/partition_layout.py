"""Athena partition projection from a Firehose data prefix: :func:`partition_layout` and :class:`Projection`.

:func:`partition_layout` turns a data prefix into Athena partition columns with partition projection
(https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html) whose ``storage.location.template``
is the prefix itself, with one ``${column}`` per ``name=!{...}`` segment.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..validation import ConfigurationError, parse_prefix
from .glue_types import NAME_PATTERN

__all__ = ["PartitionColumn", "PartitionLayout", "Projection", "partition_layout", "projectable"]


# --- partition projection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """The partition projection of one partition column (Athena ``projection.<column>.*`` properties).

    Build one with :meth:`integer`, :meth:`enum`, :meth:`date` or :meth:`injected`.
    """

    type: Literal["integer", "enum", "date", "injected"]
    parameters: tuple[tuple[str, str], ...] = ()
    column_type: str = "string"

    @staticmethod
    def integer(low: int, high: int, *, digits: int | None = None) -> Projection:
        """Values ``low..high``; ``digits`` zero-pads (2 -> ``05``) to match a zero-padded path."""
        if low > high:
            raise ConfigurationError(f"integer projection range must have low <= high, got {low},{high}")
        parameters = [("range", f"{low},{high}")]
        if digits is not None:
            parameters.append(("digits", str(digits)))
        return Projection("integer", tuple(parameters), column_type="int")

    @staticmethod
    def enum(values: Sequence[str]) -> Projection:
        """A fixed list of values (queries without a filter read every value's partition)."""
        if isinstance(values, str) or not values:
            raise ConfigurationError(f"enum projection needs a non-empty list of values, got {values!r}")
        for value in values:
            if not value or "," in value or "/" in value:
                raise ConfigurationError(
                    f"enum projection values must be non-empty and contain no ',' or '/', got {value!r}"
                )
        return Projection("enum", (("values", ",".join(values)),))

    @staticmethod
    def date(
        format: str, start: str, unit: Literal["YEARS", "MONTHS", "DAYS", "HOURS"], *, interval: int = 1
    ) -> Projection:
        """Dates in Java ``DateTimeFormatter`` ``format`` from ``start`` (formatted the same way) to NOW."""
        return Projection(
            "date",
            (
                ("format", format),
                ("range", f"{start},NOW"),
                ("interval", str(interval)),
                ("interval.unit", unit),
            ),
        )

    @staticmethod
    def injected() -> Projection:
        """Values taken from the query's WHERE clause: queries must filter the column with ``=`` or ``IN``."""
        return Projection("injected")

    def table_parameters(self, column: str) -> dict[str, str]:
        result: dict[str, str] = {f"projection.{column}.type": self.type}
        result.update({f"projection.{column}.{name}": value for name, value in self.parameters})
        return result


@dataclass(frozen=True)
class PartitionColumn:
    """One ``name=!{namespace:value}`` segment of a data prefix, as an Athena partition column."""

    name: str
    namespace: str
    value: str
    projection: Projection

    @property
    def column_type(self) -> str:
        return self.projection.column_type


@dataclass(frozen=True)
class PartitionLayout:
    """A data prefix split into static segments and partition columns."""

    prefix: str
    segments: tuple[str | PartitionColumn, ...]

    @property
    def columns(self) -> tuple[PartitionColumn, ...]:
        return tuple(s for s in self.segments if isinstance(s, PartitionColumn))

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def location_template(self, bucket_name: str) -> str:
        """``s3://BUCKET/<prefix with ${column} for each partition value>`` (ends with '/')."""
        parts = [f"{s.name}=${{{s.name}}}" if isinstance(s, PartitionColumn) else s for s in self.segments]
        return f"s3://{bucket_name}/" + "".join(f"{p}/" for p in parts)

    def table_location(self, bucket_name: str) -> str:
        """The table LOCATION: the static segments before the first partition column."""
        leading: list[str] = []
        for segment in self.segments:
            if isinstance(segment, PartitionColumn):
                break
            leading.append(segment)
        return f"s3://{bucket_name}/" + "".join(f"{p}/" for p in leading)

    def table_parameters(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for column in self.columns:
            result.update(column.projection.table_parameters(column.name))
        return result


# Single-field timestamp formats -> integer projection (low, high, digits); the year range is configurable.
_INTEGER_FORMATS: Mapping[str, tuple[int, int, int | None]] = {
    "MM": (1, 12, 2),
    "dd": (1, 31, 2),
    "HH": (0, 23, 2),
}
# Fields a combined (date-projected) format may use, with their strftime code and interval unit.
_DATE_FIELDS: Mapping[str, tuple[str, str]] = {
    "yyyy": ("%Y", "YEARS"),
    "MM": ("%m", "MONTHS"),
    "dd": ("%d", "DAYS"),
    "HH": ("%H", "HOURS"),
}
_DATE_FIELD = re.compile(r"yyyy|MM|dd|HH|[-_.]")
_UNIT_ORDER = ("YEARS", "MONTHS", "DAYS", "HOURS")
_EXPRESSION = re.compile(r"!\{[^}:]*:[^}]*\}")
_PLACEHOLDER = "\x00{}\x00"
_PIECE = re.compile(r"\x00(\d+)\x00")


def _timestamp_projection(
    column: str, fmt: str, start: datetime.date, end_year: int
) -> Projection:  # pragma: no branch - every path returns or raises
    if fmt == "yyyy":
        return Projection.integer(start.year, end_year)
    if fmt in _INTEGER_FORMATS:
        low, high, digits = _INTEGER_FORMATS[fmt]
        return Projection.integer(low, high, digits=digits)
    pieces = _DATE_FIELD.findall(fmt)
    fields = [p for p in pieces if p in _DATE_FIELDS]
    if "".join(pieces) != fmt or not fields or len(set(fields)) != len(fields) or "yyyy" not in fields:
        raise ConfigurationError(
            f"partition column {column!r}: timestamp format {fmt!r} cannot be projected; use one field per segment "
            "(yyyy, MM, dd or HH, projected as integers) or a combined date of yyyy, MM, dd, HH joined by '-', "
            "'_' or '.' (for example dt=!{timestamp:yyyy-MM-dd}/, projected as a date)"
        )
    strftime = "".join(_DATE_FIELDS[p][0] if p in _DATE_FIELDS else p for p in pieces)
    unit = max((_DATE_FIELDS[f][1] for f in fields), key=_UNIT_ORDER.index)
    first = datetime.datetime(start.year, start.month, start.day)
    return Projection.date(fmt, first.strftime(strftime), unit)  # type: ignore[arg-type]


def partition_layout(
    prefix: str,
    *,
    partition_values: Mapping[str, Sequence[str]] | None = None,
    projections: Mapping[str, Projection] | None = None,
    projection_start: datetime.date = datetime.date(2024, 1, 1),
    projection_end_year: int = 2099,
) -> PartitionLayout:
    """Parse a Firehose data prefix into partition columns with projection, or raise why it cannot be queried.

    Each ``/``-separated segment must be static text or exactly ``name=!{namespace:value}``. Projection per
    column: ``projections[name]`` if given; else ``enum`` of ``partition_values[name]`` if given; else
    ``!{timestamp:yyyy}`` -> integer ``projection_start.year..projection_end_year``, ``MM``/``dd``/``HH`` ->
    integers 1-12/1-31/0-23 with 2 digits, a combined format such as ``yyyy-MM-dd`` -> ``date`` from
    ``projection_start`` to NOW; ``partitionKeyFromQuery``/``partitionKeyFromLambda`` -> ``injected``.
    """
    partition_values = partition_values or {}
    projections = projections or {}
    expressions = parse_prefix("data_output_prefix", prefix)
    for expression in expressions:
        if expression.namespace == "firehose":
            raise ConfigurationError(
                f"data_output_prefix uses {expression.text}, which makes partition projection impossible (its value "
                f"is random or not a partition); remove it to get a query table, got {prefix!r}"
            )
        if "/" in expression.value:
            raise ConfigurationError(
                f"data_output_prefix expression {expression.text} spans several path segments; partition "
                f"projection needs one key per segment in Hive style, e.g. "
                f"year=!{{timestamp:yyyy}}/month=!{{timestamp:MM}}/day=!{{timestamp:dd}}/, got {prefix!r}"
            )
    if not prefix:
        return PartitionLayout(prefix, ())
    if not prefix.endswith("/"):
        raise ConfigurationError(
            "data_output_prefix must end with '/' for a query table: Firehose appends the object name directly "
            f"to the prefix, so the last segment would run into the file name, got {prefix!r}"
        )
    found = [m.group(0) for m in _EXPRESSION.finditer(prefix)]
    counter = iter(range(len(found)))
    text = _EXPRESSION.sub(lambda _: _PLACEHOLDER.format(next(counter)), prefix)
    segments: list[str | PartitionColumn] = []
    seen: set[str] = set()
    for raw in text[:-1].split("/"):
        shown = _PIECE.sub(lambda m: found[int(m.group(1))], raw)
        if raw == "":
            raise ConfigurationError(f"data_output_prefix has an empty path segment ('//'), got {prefix!r}")
        pieces = _PIECE.findall(raw)
        if not pieces:
            segments.append(raw)
            continue
        name, equals, rest = raw.partition("=")
        if len(pieces) != 1 or not equals or _PIECE.fullmatch(rest) is None or _PIECE.search(name):
            raise ConfigurationError(
                f"data_output_prefix segment {shown!r} cannot be projected: partition projection needs each "
                "segment to be static text or exactly one Hive-style key 'name=!{namespace:value}' (one key per "
                f"segment, nothing else in it), got {prefix!r}"
            )
        if not NAME_PATTERN.fullmatch(name):
            raise ConfigurationError(
                f"partition column {name!r} in data_output_prefix must be lowercase letters, digits or '_', "
                f"got {prefix!r}"
            )
        if name in seen:
            raise ConfigurationError(f"partition column {name!r} appears twice in data_output_prefix {prefix!r}")
        seen.add(name)
        expression = expressions[int(pieces[0])]
        if name in projections:
            projection = projections[name]
        elif name in partition_values:
            projection = Projection.enum(partition_values[name])
        elif expression.namespace == "timestamp":
            projection = _timestamp_projection(name, expression.value, projection_start, projection_end_year)
        else:
            projection = Projection.injected()
        segments.append(PartitionColumn(name, expression.namespace, expression.value, projection))
    for option, names in (("partition_values", partition_values), ("projections", projections)):
        unknown = sorted(set(names) - seen)
        if unknown:
            raise ConfigurationError(
                f"{option} names {', '.join(unknown)}, which the data prefix does not use as partition columns "
                f"(columns: {', '.join(sorted(seen)) or 'none'})"
            )
    return PartitionLayout(prefix, tuple(segments))


def projectable(prefix: str) -> bool:
    """Whether :func:`partition_layout` can project ``prefix`` (each segment static or ``name=!{...}``)."""
    try:
        partition_layout(prefix)
    except ConfigurationError:
        return False
    return True

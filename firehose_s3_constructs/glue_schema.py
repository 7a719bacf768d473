"""Glue Data Catalog pieces that need no construct: column types, table formats and partition projection.

* :func:`parse_glue_type` checks a Glue/Hive column type with a small recursive-descent parser and returns
  its canonical spelling (``STRUCT< a : INT >`` -> ``struct<a:int>``). ``set<...>`` is refused: Glue
  ``SET`` types (from DynamoDB crawlers) break Firehose's Parquet/ORC conversion
  (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html).
* :data:`TABLE_FORMATS` holds the SerDe, input and output format of the three formats Firehose writes.
* :func:`partition_layout` turns a Firehose data prefix into Athena partition columns with partition
  projection (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html) whose
  ``storage.location.template`` is the prefix itself, with one ``${column}`` per ``name=!{...}`` segment.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Token

from .validation import ConfigurationError, parse_prefix

__all__ = [
    "PRIMITIVE_TYPES",
    "TABLE_FORMATS",
    "PartitionColumn",
    "PartitionLayout",
    "Projection",
    "TableFormat",
    "check_column_name",
    "check_glue_name",
    "check_schema",
    "parse_glue_type",
    "partition_layout",
]

# --- column types ------------------------------------------------------------------------------------

#: Glue/Hive primitive types without parameters (Athena DDL spelling: ``int``, not ``integer``).
PRIMITIVE_TYPES = frozenset(
    {"boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "string", "binary", "date", "timestamp"}
)
# Spellings people reach for that the Hive DDL grammar does not know, with what to write instead.
_HINTS = {
    "integer": "int",
    "long": "bigint",
    "short": "smallint",
    "byte": "tinyint",
    "real": "float",
    "bool": "boolean",
    "text": "string",
    "datetime": "timestamp",
    "list": "array<...>",
    "object": "struct<...>",
}
_NAME = re.compile(r"[a-z0-9_]+")
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(\d+)|([<>(),:]))")
_MAX_NAME = 255


class _TypeError(Exception):
    """Internal: a parse failure with its position, turned into a ConfigurationError by parse_glue_type."""


class _Parser:
    """Recursive descent over ``type := primitive | array<type> | map<primitive,type> | struct<f:type,...>``."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str, int]] = []  # (kind, value, position)
        position = 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if match is None:
                start = position + len(text[position:]) - len(text[position:].lstrip())
                raise _TypeError(f"unexpected character {text[start]!r} at position {start}")
            group = next(g for g in (1, 2, 3) if match.group(g) is not None)
            kind = ("word", "number", "punct")[group - 1]
            self.tokens.append((kind, match.group(group), match.start(group)))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next_is(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == value

    def take(self, what: str) -> tuple[str, str, int]:
        """The next token, whatever it is (``what`` describes the expectation for the error)."""
        token = self.peek()
        if token is None:
            raise _TypeError(f"unexpected end of type, expected {what}")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take(repr(value))
        if token[1] != value:
            raise _TypeError(f"expected {value!r} at position {token[2]}, got {token[1]!r}")

    def number(self, what: str) -> int:
        token = self.take(what)
        if token[0] != "number":
            raise _TypeError(f"expected {what} (a number) at position {token[2]}, got {token[1]!r}")
        return int(token[1])

    def parse(self) -> str:
        result = self.type_()
        rest = self.peek()
        if rest is not None:
            raise _TypeError(f"unexpected {rest[1]!r} at position {rest[2]} after a complete type")
        return result

    def type_(self) -> str:
        kind, value, position = self.take("a type")
        if kind != "word":
            raise _TypeError(f"expected a type name at position {position}, got {value!r}")
        name = value.lower()
        if name in PRIMITIVE_TYPES:
            return name
        if name == "decimal":
            return self.decimal()
        if name in ("char", "varchar"):
            return self.sized_string(name, position)
        if name == "array":
            self.expect("<")
            element = self.type_()
            self.expect(">")
            return f"array<{element}>"
        if name == "map":
            self.expect("<")
            key = self.type_()
            if not _is_primitive(key):
                raise _TypeError(f"map keys must be a primitive type, got {key!r}")
            self.expect(",")
            value_type = self.type_()
            self.expect(">")
            return f"map<{key},{value_type}>"
        if name == "struct":
            return self.struct()
        if name == "set":
            raise _TypeError(
                "set<...> is not supported: Glue SET types (for example from a DynamoDB crawler) break Parquet "
                "and ORC conversion; use array<...> instead"
            )
        if name == "uniontype":
            raise _TypeError("uniontype is not supported by the Hive JSON SerDe, Parquet conversion or this library")
        hint = _HINTS.get(name)
        suggestion = f" (did you mean {hint!r}?)" if hint else ""
        raise _TypeError(f"unknown type {value!r} at position {position}{suggestion}")

    def decimal(self) -> str:
        if not self.next_is("("):
            return "decimal(10,0)"
        self.expect("(")
        precision = self.number("precision")
        scale = 0
        if self.next_is(","):
            self.expect(",")
            scale = self.number("scale")
        self.expect(")")
        if not 1 <= precision <= 38:
            raise _TypeError(f"decimal precision must be between 1 and 38, got {precision}")
        if not 0 <= scale <= precision:
            raise _TypeError(f"decimal scale must be between 0 and the precision {precision}, got {scale}")
        return f"decimal({precision},{scale})"

    def sized_string(self, name: str, position: int) -> str:
        if not self.next_is("("):
            raise _TypeError(f"{name} needs a length, e.g. {name}(64), at position {position}")
        self.expect("(")
        length = self.number("length")
        self.expect(")")
        limit = 255 if name == "char" else 65535
        if not 1 <= length <= limit:
            raise _TypeError(f"{name} length must be between 1 and {limit}, got {length}")
        return f"{name}({length})"

    def struct(self) -> str:
        self.expect("<")
        fields: list[str] = []
        seen: set[str] = set()
        while True:
            kind, value, position = self.take("a field name")
            if kind != "word":
                raise _TypeError(f"expected a struct field name at position {position}, got {value!r}")
            if not _NAME.fullmatch(value):
                raise _TypeError(
                    f"struct field {value!r} must be lowercase letters, digits and '_' (Glue and Athena store "
                    "names in lowercase; map differently-spelled JSON keys with column_to_json_key_mappings)"
                )
            if value in seen:
                raise _TypeError(f"struct field {value!r} appears twice")
            seen.add(value)
            self.expect(":")
            fields.append(f"{value}:{self.type_()}")
            separator = self.take("',' or '>'")
            if separator[1] == ">":
                return f"struct<{','.join(fields)}>"
            if separator[1] != ",":
                raise _TypeError(f"expected ',' or '>' at position {separator[2]}, got {separator[1]!r}")


def _is_primitive(canonical: str) -> bool:
    return canonical in PRIMITIVE_TYPES or canonical.startswith(("decimal(", "char(", "varchar("))


def parse_glue_type(column: str, type_text: str) -> str:
    """Check a Glue column type and return its canonical (lowercase, no spaces) spelling.

    Raises :class:`ConfigurationError` naming the column and the type, e.g.
    ``column 'tags': invalid Glue type 'set<string>': set<...> is not supported ...``.
    """
    if not isinstance(type_text, str) or not type_text.strip():
        raise ConfigurationError(f"column {column!r}: the Glue type must be a non-empty string, got {type_text!r}")
    try:
        return _Parser(type_text).parse()
    except _TypeError as error:
        raise ConfigurationError(f"column {column!r}: invalid Glue type {type_text!r}: {error}") from None


def check_column_name(column: str) -> None:
    if not _NAME.fullmatch(column) or len(column) > _MAX_NAME:
        raise ConfigurationError(
            f"column name {column!r} must be 1-{_MAX_NAME} lowercase letters, digits or '_' (Glue and Athena store "
            "names in lowercase and the OpenX JSON SerDe lowercases JSON keys by default; map other JSON keys with "
            "openx_column_to_json_key_mappings / json_key_mappings)"
        )


def check_schema(schema: Mapping[str, str]) -> dict[str, str]:
    """Validate every column name and type; return the columns with canonical types, in the given order."""
    if not schema:
        raise ConfigurationError("schema must have at least one column (name -> Glue type)")
    result: dict[str, str] = {}
    for column, type_text in schema.items():
        check_column_name(column)
        result[column] = parse_glue_type(column, type_text)
    return result


def check_glue_name(option: str, name: str) -> None:
    """Glue database and table names: lowercase letters, digits and '_' (queryable in Athena unquoted)."""
    if Token.is_unresolved(name):
        return
    if not _NAME.fullmatch(name) or len(name) > _MAX_NAME:
        raise ConfigurationError(
            f"{option} must be 1-{_MAX_NAME} lowercase letters, digits or '_' (Athena and Glue names), got {name!r}"
        )


# --- table formats -------------------------------------------------------------------------------------

FormatName = Literal["json", "parquet", "orc"]


@dataclass(frozen=True)
class TableFormat:
    """How Athena/Glue read one file format."""

    classification: str
    serde: str
    input_format: str
    output_format: str


#: The three formats Firehose writes to S3: JSON lines (optionally GZIP), Parquet and ORC.
TABLE_FORMATS: Mapping[str, TableFormat] = {
    "json": TableFormat(
        classification="json",
        serde="org.openx.data.jsonserde.JsonSerDe",
        input_format="org.apache.hadoop.mapred.TextInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    ),
    "parquet": TableFormat(
        classification="parquet",
        serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    ),
    "orc": TableFormat(
        classification="orc",
        serde="org.apache.hadoop.hive.ql.io.orc.OrcSerde",
        input_format="org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
    ),
}


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
        if not _NAME.fullmatch(name):
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

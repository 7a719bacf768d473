"""Glue Data Catalog pieces that need no construct: column types and the table formats Firehose writes.

* :func:`parse_glue_type` checks a Glue/Hive column type with a small recursive-descent parser and returns
  its canonical spelling (``STRUCT< a : INT >`` -> ``struct<a:int>``). ``set<...>`` is refused: Glue
  ``SET`` types (from DynamoDB crawlers) break Firehose's Parquet/ORC conversion
  (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html).
* :data:`TABLE_FORMATS` holds the SerDe, input and output format of the three formats Firehose writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Token

from ..validation import ConfigurationError

__all__ = [
    "PRIMITIVE_TYPES",
    "TABLE_FORMATS",
    "TableFormat",
    "check_column_name",
    "check_glue_name",
    "check_schema",
    "parse_glue_type",
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
#: Glue database, table and column names: lowercase letters, digits and underscores.
NAME_PATTERN = re.compile(r"[a-z0-9_]+")
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
            if not NAME_PATTERN.fullmatch(value):
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
    if not NAME_PATTERN.fullmatch(column) or len(column) > _MAX_NAME:
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
    if not NAME_PATTERN.fullmatch(name) or len(name) > _MAX_NAME:
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

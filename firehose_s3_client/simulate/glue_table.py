"""The ``AWS::Glue::Table`` resources of a synthesized stack: names, column types, SerDe and partition projection.

Both record format conversion (the table a delivery stream's ``SchemaConfiguration`` names) and
``firehose-s3 query`` (every table of the stack) read tables from the template, never from a live Glue
catalog. Values are resolved the way CloudFormation would for the parts these tools need:

* ``Ref`` to an ``AWS::Glue::Database`` is its ``DatabaseInput.Name``; to an ``AWS::Glue::Table`` its
  ``TableInput.Name`` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-glue-table.html);
* ``Ref`` / ``Fn::GetAtt`` to an ``AWS::S3::Bucket`` is the bucket's *logical ID*: the simulator stores a
  bucket's objects under ``<out>/<bucket logical ID>/``, so ``s3://<logical ID>/data/`` names a local folder;
* pseudo parameters resolve to the simulated account (``123456789012``, ``us-east-1``, ``aws``) and
  ``Fn::Join`` / ``Fn::Sub`` (without variables other than those) are evaluated. Anything else raises
  :class:`SchemaError` naming where it is.

Column types are Hive/Glue types (https://docs.aws.amazon.com/athena/latest/ug/data-types.html): the
primitives, ``decimal(p,s)``, ``char(n)``, ``varchar(n)``, ``array<T>``, ``map<K,V>`` and ``struct<name:T,...>``;
``set`` and ``uniontype`` are refused by name (Firehose's conversion cannot write them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from .assembly import StackTemplate

__all__ = ["GlueTable", "GlueType", "SchemaError", "find_table", "glue_tables", "parse_glue_type", "resolve"]

PRIMITIVES: Final = frozenset(
    {"boolean", "tinyint", "smallint", "int", "bigint", "float", "double", "string", "binary", "date", "timestamp"}
)
_ALIASES: Final = {"integer": "int"}  # Hive accepts INTEGER for INT
_PSEUDO: Final = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_TOKEN = re.compile(r"\s*(?:(`(?:[^`]|``)*`)|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|([<>(),:]))")


class SchemaError(ValueError):
    """A Glue table, type or SerDe setting this engine cannot find or reproduce (the message names it)."""


@dataclass(frozen=True)
class GlueType:
    """One parsed Glue type. ``kind`` is a primitive name, ``decimal``, ``char``, ``varchar``, ``array``, ``map``
    or ``struct``; ``args`` holds precision and scale or the length; ``children`` the element, the key and value,
    or the struct fields (name, type) in order."""

    kind: str
    args: tuple[int, ...] = ()
    children: tuple[tuple[str, GlueType], ...] = ()

    @property
    def element(self) -> GlueType:
        return self.children[0][1]

    def __str__(self) -> str:
        if self.kind in ("decimal", "char", "varchar"):
            return f"{self.kind}({','.join(map(str, self.args))})"
        if self.kind == "array":
            return f"array<{self.element}>"
        if self.kind == "map":
            return f"map<{self.children[0][1]},{self.children[1][1]}>"
        if self.kind == "struct":
            return "struct<" + ",".join(f"{name}:{kind}" for name, kind in self.children) + ">"
        return self.kind


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[str] = []
        position = 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if match is None:
                raise SchemaError(f"invalid Glue type {text!r}: unexpected {text[position:].strip()[0]!r}")
            self.tokens.append(next(g for g in match.groups() if g is not None))
            position = match.end()
        self.index = 0

    def take(self) -> str:
        if self.index >= len(self.tokens):
            raise SchemaError(f"invalid Glue type {self.text!r}: it ends too early")
        self.index += 1
        return self.tokens[self.index - 1]

    def expect(self, token: str) -> None:
        got = self.take()
        if got != token:
            raise SchemaError(f"invalid Glue type {self.text!r}: expected {token!r}, got {got!r}")

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def numbers(self) -> tuple[int, ...]:
        self.expect("(")
        values = [self.take()]
        while self.peek() == ",":
            self.take()
            values.append(self.take())
        self.expect(")")
        if not all(v.isdigit() for v in values):
            raise SchemaError(f"invalid Glue type {self.text!r}: expected numbers in parentheses")
        return tuple(int(v) for v in values)

    def parse(self) -> GlueType:
        result = self.type_()
        if self.peek() is not None:
            raise SchemaError(f"invalid Glue type {self.text!r}: unexpected {self.peek()!r} after the type")
        return result

    def type_(self) -> GlueType:
        name = self.take().lower()
        name = _ALIASES.get(name, name)
        if name in PRIMITIVES:
            return GlueType(name)
        if name == "decimal":
            args = self.numbers() if self.peek() == "(" else (10, 0)
            precision, scale = (*args, 0)[:2]
            if len(args) > 2 or not 1 <= precision <= 38 or not 0 <= scale <= precision:
                raise SchemaError(f"invalid Glue type {self.text!r}: decimal(precision 1-38, scale 0-precision)")
            return GlueType("decimal", (precision, scale))
        if name in ("char", "varchar"):
            (length,) = self.numbers()
            if not 1 <= length <= (255 if name == "char" else 65535):
                raise SchemaError(f"invalid Glue type {self.text!r}: {name} length out of range")
            return GlueType(name, (length,))
        if name in ("array", "map", "struct"):
            return self.container(name)
        if name in ("set", "uniontype"):
            raise SchemaError(
                f"Glue type {self.text!r} uses {name}, which Firehose's format conversion cannot write "
                "(https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html)"
            )
        raise SchemaError(f"invalid Glue type {self.text!r}: unknown type {name!r}")

    def container(self, name: str) -> GlueType:
        self.expect("<")
        if name == "array":
            children: tuple[tuple[str, GlueType], ...] = (("element", self.type_()),)
        elif name == "map":
            key = self.type_()
            if key.kind not in PRIMITIVES and key.kind not in ("decimal", "char", "varchar"):
                raise SchemaError(f"invalid Glue type {self.text!r}: map keys must be primitive")
            self.expect(",")
            children = (("key", key), ("value", self.type_()))
        else:
            fields: list[tuple[str, GlueType]] = []
            while True:
                token = self.take()
                member = token[1:-1].replace("``", "`") if token.startswith("`") else token
                self.expect(":")
                fields.append((member.lower(), self.type_()))
                if self.peek() != ",":
                    break
                self.take()
            if len({f for f, _ in fields}) != len(fields):
                raise SchemaError(f"invalid Glue type {self.text!r}: a struct field appears twice")
            children = tuple(fields)
        self.expect(">")
        return GlueType(name, children=children)


def parse_glue_type(text: str) -> GlueType:
    """Parse a Glue column type (case-insensitive; struct field names are lowercased, as Glue stores them)."""
    if not isinstance(text, str) or not text.strip():
        raise SchemaError(f"a Glue column type must be a non-empty string, got {text!r}")
    return _Parser(text).parse()


@dataclass(frozen=True)
class GlueTable:
    """One ``AWS::Glue::Table`` of the template, its values resolved (see the module doc)."""

    logical_id: str
    database: str
    name: str
    columns: tuple[tuple[str, GlueType], ...]
    partition_keys: tuple[tuple[str, GlueType], ...]
    parameters: dict[str, str] = field(default_factory=dict)
    serde: str = ""
    serde_parameters: dict[str, str] = field(default_factory=dict)
    input_format: str = ""
    location: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def storage_format(self) -> str:
        """``json``, ``parquet`` or ``orc``, from the SerDe library and input format; SchemaError otherwise."""
        names = f"{self.serde} {self.input_format}".lower()
        for fmt in ("parquet", "orc", "json"):
            if fmt in names:
                return fmt
        raise SchemaError(
            f"Glue table {self.qualified_name}: SerDe {self.serde!r} / input format {self.input_format!r} is not "
            "JSON, Parquet or ORC, the formats Firehose writes"
        )


def resolve(stack: StackTemplate, value: Any, where: str) -> str:
    """A template value as the string these tools need (see the module doc); SchemaError naming ``where``."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return _ref(stack, argument, where)
        if function == "Fn::GetAtt":
            target = argument[0] if isinstance(argument, list) else str(argument).split(".", 1)[0]
            if stack.resources.get(target, {}).get("Type") == "AWS::S3::Bucket":
                return target
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            if isinstance(separator, str) and isinstance(parts, list):
                return separator.join(resolve(stack, part, where) for part in parts)
        if function == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}!]+)\}", lambda m: _ref(stack, m.group(1), where), argument)
    raise SchemaError(f"{where}: cannot resolve {value!r} from the template (unsupported intrinsic)")


def _ref(stack: StackTemplate, name: str, where: str) -> str:
    if name in _PSEUDO:
        return _PSEUDO[name]
    if name == "AWS::StackName":
        return stack.stack_name
    resource = stack.resources.get(name)
    if resource is None:
        raise SchemaError(f"{where}: Ref {name!r} is not a resource of stack {stack.stack_name}")
    properties = resource.get("Properties", {})
    kind = resource.get("Type")
    if kind == "AWS::Glue::Database":
        return resolve(stack, properties.get("DatabaseInput", {}).get("Name"), f"{name}.DatabaseInput.Name")
    if kind == "AWS::Glue::Table":
        return resolve(stack, properties.get("TableInput", {}).get("Name"), f"{name}.TableInput.Name")
    if kind == "AWS::S3::Bucket":
        return name
    raise SchemaError(f"{where}: Ref to {name} ({kind}) is not a value this engine resolves")


def _columns(stack: StackTemplate, columns: Any, where: str) -> tuple[tuple[str, GlueType], ...]:
    result: list[tuple[str, GlueType]] = []
    for index, column in enumerate(columns or []):
        name = resolve(stack, column.get("Name"), f"{where}[{index}].Name").lower()
        type_text = resolve(stack, column.get("Type"), f"{where}[{index}].Type")
        try:
            result.append((name, parse_glue_type(type_text)))
        except SchemaError as error:
            raise SchemaError(f"{where} column {name!r}: {error}") from None
    return tuple(result)


def _strings(stack: StackTemplate, values: Any, where: str) -> dict[str, str]:
    return {str(k): resolve(stack, v, f"{where}.{k}") for k, v in (values or {}).items()}


def _table(stack: StackTemplate, logical_id: str, resource: dict[str, Any]) -> GlueTable:
    properties = resource.get("Properties", {})
    table_input = properties.get("TableInput", {})
    storage = table_input.get("StorageDescriptor", {})
    serde = storage.get("SerdeInfo", {})
    where = f"{logical_id}.TableInput"
    return GlueTable(
        logical_id=logical_id,
        database=resolve(stack, properties.get("DatabaseName"), f"{logical_id}.DatabaseName"),
        name=resolve(stack, table_input.get("Name"), f"{where}.Name"),
        columns=_columns(stack, storage.get("Columns"), f"{where}.StorageDescriptor.Columns"),
        partition_keys=_columns(stack, table_input.get("PartitionKeys"), f"{where}.PartitionKeys"),
        parameters=_strings(stack, table_input.get("Parameters"), f"{where}.Parameters"),
        serde=resolve(stack, serde.get("SerializationLibrary", ""), f"{where}.SerdeInfo.SerializationLibrary"),
        serde_parameters=_strings(stack, serde.get("Parameters"), f"{where}.SerdeInfo.Parameters"),
        input_format=resolve(stack, storage.get("InputFormat", ""), f"{where}.StorageDescriptor.InputFormat"),
        location=resolve(stack, storage.get("Location", ""), f"{where}.StorageDescriptor.Location"),
    )


def glue_tables(stack: StackTemplate) -> list[GlueTable]:
    """Every ``AWS::Glue::Table`` of the stack, in template order."""
    return [_table(stack, lid, r) for lid, r in stack.resources_of_type("AWS::Glue::Table").items()]


def find_table(stack: StackTemplate, database: str, table: str) -> GlueTable:
    """The table ``database.table`` of the template (Glue names are case-insensitive), or SchemaError naming it
    and the tables the template has."""
    tables = glue_tables(stack)
    for candidate in tables:
        if candidate.database.lower() == database.lower() and candidate.name.lower() == table.lower():
            return candidate
    known = ", ".join(t.qualified_name for t in tables) or "none"
    raise SchemaError(
        f"Glue table {database}.{table} is not in stack {stack.stack_name}'s template (tables: {known}); this "
        "engine reads the schema from the template, not from a live Glue catalog"
    )

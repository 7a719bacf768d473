"""Record format conversion: JSON records to the Parquet or ORC objects Firehose writes, by the Glue table's schema.

``converter_for`` reads the stream's ``DataFormatConversionConfiguration``
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_DataFormatConversionConfiguration.html) and the
``AWS::Glue::Table`` its ``SchemaConfiguration`` names in the template (:mod:`.glue_table`). Records are read by
the OpenX or Hive JSON SerDe rules (:mod:`.json_serde`); each object is written by pyarrow with the
serializer's settings:

===========================  ===========================================================================
ParquetSerDe                 this engine
===========================  ===========================================================================
Compression                  SNAPPY (default), GZIP, UNCOMPRESSED: honoured
PageSizeBytes                ``data_page_size`` (default 1 MiB): honoured
EnableDictionaryCompression  ``use_dictionary`` (default true): honoured
WriterVersion                V1 (default) -> data page v1, V2 -> data page v2: honoured
BlockSizeBytes               row group size (default 256 MiB): pyarrow cuts row groups by rows, so the rows per
                             group are the block size over the rows' in-memory size (approximate)
MaxPaddingBytes              padding for HDFS block alignment (default 0): pyarrow never pads; 0 is exact,
                             anything else is written unpadded (readers see the same data) and reported
===========================  ===========================================================================

===================================  ================================================================
OrcSerDe                             this engine
===================================  ================================================================
Compression                          SNAPPY (default), ZLIB, NONE: honoured
StripeSizeBytes, RowIndexStride      honoured (defaults 64 MiB, 10,000)
PaddingTolerance                     honoured (default 0.05)
BloomFilterColumns, ...Probability   honoured (default probability 0.05)
DictionaryKeyThreshold               honoured (pyarrow's default when unset)
FormatVersion                        V0_11 / V0_12 (default): honoured
BlockSizeBytes, EnablePadding        HDFS block alignment: pyarrow does not pad; written unpadded, reported
===================================  ================================================================

Timestamps are written as Parquet INT96, as Hive's Parquet writer does; ORC timestamps as ORC TIMESTAMP.
What pyarrow cannot reproduce (listed in docs/simulate.md): Hive's Parquet list and map group names
(``bag``/``array_element``; pyarrow writes the standard ``list``/``element``), the ``created_by`` and key-value
metadata, page and row-group boundaries and encodings, ORC ``char``/``varchar`` (written as ORC ``string``).
Readers (Athena, DuckDB, pyarrow) see the same rows, columns and types. Settings outside both tables, and a
deserializer or serializer this engine does not know, raise :class:`SchemaError` naming them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .assembly import StackTemplate
from .glue_table import GlueTable, GlueType, SchemaError, find_table, resolve
from .json_serde import MALFORMED_DATA, PARSE_ERROR, RecordError, SerDeOptions, parse_records, to_row
from .serde_timestamps import joda_regex

__all__ = [
    "MALFORMED_DATA",
    "PARSE_ERROR",
    "ConversionFailure",
    "RecordConverter",
    "SchemaError",
    "arrow_type",
    "converter_for",
]

_PARQUET_CODECS: Final = {"SNAPPY": "snappy", "GZIP": "gzip", "UNCOMPRESSED": "none"}
_ORC_CODECS: Final = {"SNAPPY": "snappy", "ZLIB": "zlib", "NONE": "uncompressed"}
_PARQUET_KEYS: Final = frozenset(
    {
        "Compression",
        "PageSizeBytes",
        "EnableDictionaryCompression",
        "WriterVersion",
        "BlockSizeBytes",
        "MaxPaddingBytes",
    }
)
_ORC_KEYS: Final = frozenset(
    {
        "Compression", "StripeSizeBytes", "RowIndexStride", "PaddingTolerance", "BloomFilterColumns",
        "BloomFilterFalsePositiveProbability", "DictionaryKeyThreshold", "FormatVersion", "BlockSizeBytes",
        "EnablePadding",
    }
)  # fmt: skip
_DEFAULT_BLOCK_BYTES: Final = 256 * 1024 * 1024


class ConversionFailure(Exception):  # noqa: N818 - the name engine and formats agreed on
    """A record that does not match the schema: it goes to ``format-conversion-failed``.

    Attributes:
        error_code: ``DataFormatConversion.ParseError`` (not JSON) or ``DataFormatConversion.MalformedData``.
        error_message: AWS's message where it was observed (see :mod:`.json_serde`).
    """

    def __init__(self, error_code: str, error_message: str) -> None:
        super().__init__(f"{error_code}: {error_message}")
        self.error_code = error_code
        self.error_message = error_message


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    return value is True or str(value).lower() == "true"


def arrow_type(kind: GlueType) -> Any:
    """The pyarrow type of a Glue type (timestamps in nanoseconds; char/varchar as strings)."""
    import pyarrow as pa

    simple = {
        "boolean": pa.bool_(), "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(),
        "bigint": pa.int64(), "float": pa.float32(), "double": pa.float64(), "string": pa.string(),
        "char": pa.string(), "varchar": pa.string(), "binary": pa.binary(), "date": pa.date32(),
        "timestamp": pa.timestamp("ns"),
    }  # fmt: skip
    if kind.kind in simple:
        return simple[kind.kind]
    if kind.kind == "decimal":
        return pa.decimal128(*kind.args)
    if kind.kind == "array":
        return pa.list_(arrow_type(kind.element))
    if kind.kind == "map":
        return pa.map_(arrow_type(kind.children[0][1]), arrow_type(kind.children[1][1]))
    return pa.struct([(name, arrow_type(member)) for name, member in kind.children])


@dataclass(frozen=True)
class _Serializer:
    output_format: str  # PARQUET or ORC
    settings: Mapping[str, Any]

    def notes(self) -> tuple[str, ...]:
        """Settings written approximately (see the module doc), for the run's report."""
        found = []
        if self.output_format == "PARQUET":
            if "BlockSizeBytes" in self.settings:
                found.append("ParquetSerDe.BlockSizeBytes: row groups are cut by an estimate of the rows' size")
            if int(self.settings.get("MaxPaddingBytes", 0) or 0):
                found.append("ParquetSerDe.MaxPaddingBytes: objects are written without padding")
        elif _flag(self.settings.get("EnablePadding"), False) or "BlockSizeBytes" in self.settings:
            found.append("OrcSerDe.EnablePadding/BlockSizeBytes: stripes are written without HDFS block padding")
        return tuple(found)

    def parquet(self, table: Any) -> bytes:
        import pyarrow.parquet as pq

        block = int(self.settings.get("BlockSizeBytes", _DEFAULT_BLOCK_BYTES))
        rows_per_group = max(1, int(table.num_rows * block / max(table.nbytes, 1)))
        buffer = io.BytesIO()
        pq.write_table(
            table,
            buffer,
            compression=_PARQUET_CODECS[str(self.settings.get("Compression", "SNAPPY"))],
            use_dictionary=_flag(self.settings.get("EnableDictionaryCompression"), True),
            data_page_size=int(self.settings.get("PageSizeBytes", 1024 * 1024)),
            data_page_version="2.0" if self.settings.get("WriterVersion") == "V2" else "1.0",
            row_group_size=rows_per_group,
            use_deprecated_int96_timestamps=True,
        )
        return buffer.getvalue()

    def orc(self, table: Any) -> bytes:
        from pyarrow import orc

        options: dict[str, Any] = {
            "compression": _ORC_CODECS[str(self.settings.get("Compression", "SNAPPY"))],
            "file_version": "0.11" if self.settings.get("FormatVersion") == "V0_11" else "0.12",
            "stripe_size": int(self.settings.get("StripeSizeBytes", 64 * 1024 * 1024)),
            "row_index_stride": int(self.settings.get("RowIndexStride", 10_000)),
            "padding_tolerance": float(self.settings.get("PaddingTolerance", 0.05)),
            "bloom_filter_fpp": float(self.settings.get("BloomFilterFalsePositiveProbability", 0.05)),
        }
        if "DictionaryKeyThreshold" in self.settings:
            options["dictionary_key_size_threshold"] = float(self.settings["DictionaryKeyThreshold"])
        names = [str(name).lower() for name in self.settings.get("BloomFilterColumns", [])]
        unknown = sorted(set(names) - set(table.column_names))
        if unknown:
            raise SchemaError(f"OrcSerDe.BloomFilterColumns names {', '.join(unknown)}, which are not columns")
        options["bloom_filter_columns"] = [table.column_names.index(name) for name in names]
        buffer = io.BytesIO()
        orc.write_table(table, buffer, **options)
        return buffer.getvalue()


class RecordConverter:
    """Converts one stream's records (see the module doc).

    Attributes:
        extension: ``.parquet`` or ``.orc``, Firehose's default extension for the output format.
        table: the Glue table whose columns are written.
        notes: settings written approximately, for the run's report (empty when every setting is exact).
    """

    def __init__(self, table: GlueTable, options: SerDeOptions, serializer: _Serializer) -> None:
        self.table = table
        self.options = options
        self.serializer = serializer
        self.extension = ".parquet" if serializer.output_format == "PARQUET" else ".orc"
        self.notes = serializer.notes()
        self._schema = None

    def convert(self, record: bytes) -> list[dict[str, Any]]:
        """The rows of one record: each concatenated JSON object is a row; ConversionFailure otherwise."""
        try:
            return [to_row(value, self.table.columns, self.options) for value in parse_records(record)]
        except RecordError as error:
            raise ConversionFailure(error.error_code, error.error_message) from None

    def write(self, rows: Sequence[dict[str, Any]]) -> bytes:
        """One Parquet or ORC object holding ``rows`` (from :meth:`convert`), with the serializer's settings."""
        import pyarrow as pa

        if self._schema is None:
            self._schema = pa.schema([(name, arrow_type(kind)) for name, kind in self.table.columns])
        columns = {name: [row.get(name) for row in rows] for name, _ in self.table.columns}
        table = pa.Table.from_pydict(columns, schema=self._schema)
        if self.serializer.output_format == "PARQUET":
            return self.serializer.parquet(table)
        return self.serializer.orc(table)


def _one(section: Mapping[str, Any], choices: tuple[str, str], where: str) -> tuple[str, Mapping[str, Any]]:
    present = [name for name in choices if section.get(name) is not None]
    if len(present) != 1:
        raise SchemaError(f"{where} must set exactly one of {' or '.join(choices)}, got {present or 'none'}")
    unknown = sorted(set(section) - set(choices))
    if unknown:
        raise SchemaError(f"{where}: {', '.join(unknown)} is not known to this engine")
    return present[0], section[present[0]] or {}


def _deserializer(stack: StackTemplate, config: Mapping[str, Any], table: GlueTable) -> SerDeOptions:
    where = "DataFormatConversionConfiguration.InputFormatConfiguration.Deserializer"
    name, settings = _one(
        config.get("InputFormatConfiguration", {}).get("Deserializer", {}), ("OpenXJsonSerDe", "HiveJsonSerDe"), where
    )
    if name == "HiveJsonSerDe":
        _known(settings, {"TimestampFormats"}, f"{where}.HiveJsonSerDe")
        formats = tuple(
            resolve(stack, f, f"{where}.HiveJsonSerDe.TimestampFormats") for f in settings.get("TimestampFormats", [])
        )
        for fmt in formats:
            if fmt != "millis":
                joda_regex(fmt)  # a pattern this engine cannot read is a SchemaError now, not per record
        dotted = [column for column, _ in table.columns if "." in column]
        if dotted:
            raise SchemaError(f"the Hive JSON SerDe does not allow '.' in column names: {', '.join(dotted)}")
        return SerDeOptions(kind="hive", timestamp_formats=formats)
    _known(
        settings,
        {"CaseInsensitive", "ConvertDotsInJsonKeysToUnderscores", "ColumnToJsonKeyMappings"},
        f"{where}.OpenXJsonSerDe",
    )
    mappings = {
        str(k).lower(): resolve(stack, v, f"{where}.ColumnToJsonKeyMappings.{k}")
        for k, v in (settings.get("ColumnToJsonKeyMappings") or {}).items()
    }
    unknown = sorted(set(mappings) - {column for column, _ in table.columns})
    if unknown:
        raise SchemaError(
            f"{where}.OpenXJsonSerDe.ColumnToJsonKeyMappings names {', '.join(unknown)}, "
            f"not columns of {table.qualified_name}"
        )
    return SerDeOptions(
        kind="openx",
        case_insensitive=_flag(settings.get("CaseInsensitive"), True),
        dots_to_underscores=_flag(settings.get("ConvertDotsInJsonKeysToUnderscores"), False),
        key_mappings=mappings,
    )  # fmt: skip


def _known(settings: Mapping[str, Any], allowed: set[str] | frozenset[str], where: str) -> None:
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        raise SchemaError(f"{where}: {', '.join(unknown)} is not a setting this engine reproduces")


def _setting(stack: StackTemplate, value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [resolve(stack, item, where) for item in value]
    return resolve(stack, value, where) if not isinstance(value, bool) else value


def _serializer(stack: StackTemplate, config: Mapping[str, Any]) -> _Serializer:
    where = "DataFormatConversionConfiguration.OutputFormatConfiguration.Serializer"
    name, settings = _one(
        config.get("OutputFormatConfiguration", {}).get("Serializer", {}), ("ParquetSerDe", "OrcSerDe"), where
    )
    output_format = "PARQUET" if name == "ParquetSerDe" else "ORC"
    _known(settings, _PARQUET_KEYS if output_format == "PARQUET" else _ORC_KEYS, f"{where}.{name}")
    resolved = {key: _setting(stack, value, f"{where}.{name}.{key}") for key, value in settings.items()}
    codecs = _PARQUET_CODECS if output_format == "PARQUET" else _ORC_CODECS
    codec = resolved.get("Compression", "SNAPPY")
    if codec not in codecs:
        raise SchemaError(f"{where}.{name}.Compression must be one of {', '.join(codecs)}, got {codec!r}")
    return _Serializer(output_format, resolved)


def converter_for(stack: StackTemplate, conversion_config: dict[str, Any]) -> RecordConverter:
    """The converter of a delivery stream's ``DataFormatConversionConfiguration`` (an enabled one).

    Raises :class:`SchemaError` when the Glue table it names is not in the template, when a type or a setting
    cannot be reproduced, or when the configuration is one Firehose rejects (both or neither SerDe).
    """
    schema = conversion_config.get("SchemaConfiguration") or {}
    where = "DataFormatConversionConfiguration.SchemaConfiguration"
    if schema.get("DatabaseName") is None or schema.get("TableName") is None:
        raise SchemaError(f"{where} must name a DatabaseName and a TableName")
    database = resolve(stack, schema["DatabaseName"], f"{where}.DatabaseName")
    table = find_table(stack, database, resolve(stack, schema["TableName"], f"{where}.TableName"))
    if not table.columns:
        raise SchemaError(f"Glue table {table.qualified_name} has no columns to convert records to")
    return RecordConverter(table, _deserializer(stack, conversion_config, table), _serializer(stack, conversion_config))

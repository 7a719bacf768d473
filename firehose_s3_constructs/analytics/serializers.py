"""Parquet and ORC serializer tuning of record format conversion: :class:`ParquetOptions`, :class:`OrcOptions`.

Every field defaults to None: Firehose's own default then applies. Ranges are the API's
(https://docs.aws.amazon.com/firehose/latest/APIReference/API_ParquetSerDe.html and API_OrcSerDe.html); the
byte sizes are Java integers in the API, so at most 2,147,483,647 bytes. The sizes and numbers aws-cdk-lib's
output formats check at synth (all but ``max_padding``) must be literals: given a token, aws-cdk-lib fails with
a bare error, so these classes refuse it first, naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Size, SizeRoundingBehavior
from aws_cdk import aws_kinesisfirehose as firehose

from ..validation import ConfigurationError, check_range, literal_number, unresolved
from .glue_types import check_column_name

__all__ = ["OrcOptions", "ParquetOptions", "orc_output_format", "parquet_output_format"]

_MAX_INT = 2**31 - 1
_MIB = 1024 * 1024


_LITERAL = "aws-cdk-lib's Parquet/ORC output formats check it at synth time"


def _check_bytes(option: str, size: Size | None, minimum: int, *, literal: bool = True) -> None:
    if size is None:
        return
    if unresolved(size):
        if literal:
            raise ConfigurationError(f"{option} must be a literal Size, not a token: {_LITERAL}")
        return
    check_range(option, size.to_bytes(rounding=SizeRoundingBehavior.NONE), minimum, _MAX_INT, "bytes")


def _check_number(option: str, value: float | None, low: float, high: float) -> None:
    if value is not None:
        check_range(option, literal_number(option, value, _LITERAL), low, high)


def _check_proportion(option: str, value: float | None) -> None:
    _check_number(option, value, 0, 1)


@dataclass(frozen=True, kw_only=True)
class ParquetOptions:
    """Parquet serializer settings (``FormatConversion(output_format="PARQUET", parquet=...)``).

    Attributes:
        block_size: HDFS block size, at least 64 MiB. Default None (Firehose: 256 MiB).
        page_size: page size, at least 64 KiB. Default None (Firehose: 1 MiB).
        writer_version: ``V1`` or ``V2``. Default None (Firehose: V1).
        enable_dictionary_compression: dictionary encoding. Default None (Firehose's default).
        max_padding: the most padding to add, 0 or more bytes. Default None (Firehose: 0).
    """

    block_size: Size | None = None
    page_size: Size | None = None
    writer_version: Literal["V1", "V2"] | None = None
    enable_dictionary_compression: bool | None = None
    max_padding: Size | None = None

    def __post_init__(self) -> None:
        _check_bytes("ParquetOptions.block_size", self.block_size, 64 * _MIB)
        _check_bytes("ParquetOptions.page_size", self.page_size, 64 * 1024)
        _check_bytes("ParquetOptions.max_padding", self.max_padding, 0, literal=False)
        if self.writer_version not in (None, "V1", "V2"):
            raise ConfigurationError(f"ParquetOptions.writer_version must be 'V1' or 'V2', got {self.writer_version!r}")


@dataclass(frozen=True, kw_only=True)
class OrcOptions:
    """ORC serializer settings (``FormatConversion(output_format="ORC", orc=...)``).

    Attributes:
        stripe_size: bytes per stripe, at least 8 MiB. Default None (Firehose: 64 MiB).
        block_size: HDFS block size, at least 64 MiB. Default None (Firehose: 256 MiB).
        row_index_stride: rows between index entries, at least 1,000. Default None (Firehose: 10,000).
        enable_padding: pad stripes to HDFS block boundaries. Default None (Firehose: false).
        padding_tolerance: padding tolerance as a fraction of the stripe size, 0-1. Default None (0.05).
        bloom_filter_columns: columns to build bloom filters for (schema columns). Default none.
        bloom_filter_false_positive_probability: 0-1. Default None (Firehose: 0.05).
        dictionary_key_threshold: fraction of non-null rows above which dictionary encoding is off, 0-1.
            Default None (Firehose's default).
        format_version: ``V0_11`` or ``V0_12``. Default None (Firehose: V0_12).
    """

    stripe_size: Size | None = None
    block_size: Size | None = None
    row_index_stride: int | None = None
    enable_padding: bool | None = None
    padding_tolerance: float | None = None
    bloom_filter_columns: Sequence[str] = ()
    bloom_filter_false_positive_probability: float | None = None
    dictionary_key_threshold: float | None = None
    format_version: Literal["V0_11", "V0_12"] | None = None

    def __post_init__(self) -> None:
        _check_bytes("OrcOptions.stripe_size", self.stripe_size, 8 * _MIB)
        _check_bytes("OrcOptions.block_size", self.block_size, 64 * _MIB)
        _check_number("OrcOptions.row_index_stride", self.row_index_stride, 1000, _MAX_INT)
        _check_proportion("OrcOptions.padding_tolerance", self.padding_tolerance)
        _check_proportion(
            "OrcOptions.bloom_filter_false_positive_probability", self.bloom_filter_false_positive_probability
        )
        _check_proportion("OrcOptions.dictionary_key_threshold", self.dictionary_key_threshold)
        if isinstance(self.bloom_filter_columns, str):
            raise ConfigurationError(
                f"OrcOptions.bloom_filter_columns must be a list of column names, got {self.bloom_filter_columns!r}"
            )
        for column in self.bloom_filter_columns:
            if not unresolved(column):
                check_column_name(column)
        if self.format_version not in (None, "V0_11", "V0_12"):
            raise ConfigurationError(
                f"OrcOptions.format_version must be 'V0_11' or 'V0_12', got {self.format_version!r}"
            )


_PARQUET_COMPRESSION = {
    "SNAPPY": firehose.ParquetCompression.SNAPPY,
    "GZIP": firehose.ParquetCompression.GZIP,
    "UNCOMPRESSED": firehose.ParquetCompression.UNCOMPRESSED,
}
_ORC_COMPRESSION = {
    "SNAPPY": firehose.OrcCompression.SNAPPY,
    "ZLIB": firehose.OrcCompression.ZLIB,
    "NONE": firehose.OrcCompression.NONE,
}
#: The compressions each output format allows.
COMPRESSIONS = {"PARQUET": tuple(_PARQUET_COMPRESSION), "ORC": tuple(_ORC_COMPRESSION)}


def parquet_output_format(compression: str, options: ParquetOptions | None) -> firehose.ParquetOutputFormat:
    """The L2 output format for Parquet with these settings."""
    o = options or ParquetOptions()
    return firehose.ParquetOutputFormat(
        compression=_PARQUET_COMPRESSION[compression],
        block_size=o.block_size,
        page_size=o.page_size,
        writer_version=firehose.ParquetWriterVersion[o.writer_version] if o.writer_version else None,
        enable_dictionary_compression=o.enable_dictionary_compression,
        max_padding=o.max_padding,
    )


def orc_output_format(compression: str, options: OrcOptions | None) -> firehose.OrcOutputFormat:
    """The L2 output format for ORC with these settings."""
    o = options or OrcOptions()
    return firehose.OrcOutputFormat(
        compression=_ORC_COMPRESSION[compression],
        stripe_size=o.stripe_size,
        block_size=o.block_size,
        row_index_stride=o.row_index_stride,
        enable_padding=o.enable_padding,
        padding_tolerance=o.padding_tolerance,
        bloom_filter_columns=list(o.bloom_filter_columns) or None,
        bloom_filter_false_positive_probability=o.bloom_filter_false_positive_probability,
        dictionary_key_threshold=o.dictionary_key_threshold,
        format_version=firehose.OrcFormatVersion[o.format_version] if o.format_version else None,
    )

"""Parquet and ORC serializer settings: the API's ranges, and how they are rendered."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Size
from cdk_helpers import make_app, only, template_json

from firehose_s3_constructs import ConfigurationError, FirehoseToS3, FormatConversion
from firehose_s3_constructs.analytics.serializers import OrcOptions, ParquetOptions


def _serializer(conversion: FormatConversion) -> dict[str, Any]:
    stack = cdk.Stack(make_app(), "Test")
    FirehoseToS3(stack, "P", format_conversion=conversion)
    destination = only(template_json(stack), "AWS::KinesisFirehose::DeliveryStream")["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    result: dict[str, Any] = destination["DataFormatConversionConfiguration"]["OutputFormatConfiguration"]["Serializer"]
    return result


def test_every_parquet_setting_is_rendered() -> None:
    parquet = ParquetOptions(
        block_size=Size.mebibytes(128),
        page_size=Size.kibibytes(512),
        writer_version="V2",
        enable_dictionary_compression=True,
        max_padding=Size.bytes(0),
    )
    assert _serializer(FormatConversion(schema={"a": "string"}, compression="GZIP", parquet=parquet)) == {
        "ParquetSerDe": {
            "BlockSizeBytes": 134217728,
            "Compression": "GZIP",
            "EnableDictionaryCompression": True,
            "MaxPaddingBytes": 0,
            "PageSizeBytes": 524288,
            "WriterVersion": "V2",
        }
    }


def test_every_orc_setting_is_rendered() -> None:
    orc = OrcOptions(
        stripe_size=Size.mebibytes(16),
        block_size=Size.mebibytes(64),
        row_index_stride=2000,
        enable_padding=True,
        padding_tolerance=0.1,
        bloom_filter_columns=["a"],
        bloom_filter_false_positive_probability=0.01,
        dictionary_key_threshold=0.5,
        format_version="V0_11",
    )
    conversion = FormatConversion(schema={"a": "string"}, output_format="ORC", compression="ZLIB", orc=orc)
    assert _serializer(conversion) == {
        "OrcSerDe": {
            "BlockSizeBytes": 67108864,
            "BloomFilterColumns": ["a"],
            "BloomFilterFalsePositiveProbability": 0.01,
            "Compression": "ZLIB",
            "DictionaryKeyThreshold": 0.5,
            "EnablePadding": True,
            "FormatVersion": "V0_11",
            "PaddingTolerance": 0.1,
            "RowIndexStride": 2000,
            "StripeSizeBytes": 16777216,
        }
    }


def test_defaults_render_only_the_compression() -> None:
    assert _serializer(FormatConversion(schema={"a": "string"})) == {"ParquetSerDe": {"Compression": "SNAPPY"}}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ParquetOptions(block_size=Size.mebibytes(63)),
            "ParquetOptions.block_size must be between 67108864 and 2147483647 bytes, got 66060288 bytes",
        ),
        (
            lambda: ParquetOptions(page_size=Size.kibibytes(32)),
            "ParquetOptions.page_size must be between 65536 and 2147483647 bytes, got 32768 bytes",
        ),
        (
            lambda: ParquetOptions(block_size=Size.gibibytes(2)),
            "ParquetOptions.block_size must be between 67108864 and 2147483647 bytes, got 2147483648 bytes",
        ),
        (lambda: ParquetOptions(writer_version="V3"), "ParquetOptions.writer_version must be 'V1' or 'V2', got 'V3'"),  # type: ignore[arg-type]
        (
            lambda: OrcOptions(stripe_size=Size.mebibytes(4)),
            "OrcOptions.stripe_size must be between 8388608 and 2147483647 bytes",
        ),
        (
            lambda: OrcOptions(row_index_stride=999),
            "OrcOptions.row_index_stride must be between 1000 and 2147483647, got 999",
        ),
        (lambda: OrcOptions(padding_tolerance=1.5), "OrcOptions.padding_tolerance must be between 0 and 1, got 1.5"),
        (
            lambda: OrcOptions(bloom_filter_false_positive_probability=-0.1),
            "OrcOptions.bloom_filter_false_positive_probability must be between 0 and 1, got -0.1",
        ),
        (
            lambda: OrcOptions(dictionary_key_threshold=2),
            "OrcOptions.dictionary_key_threshold must be between 0 and 1, got 2",
        ),
        (
            lambda: OrcOptions(format_version="V0_13"),  # type: ignore[arg-type]
            "OrcOptions.format_version must be 'V0_11' or 'V0_12', got 'V0_13'",
        ),
        (
            lambda: OrcOptions(bloom_filter_columns="a"),
            "OrcOptions.bloom_filter_columns must be a list of column names",
        ),
        (
            lambda: FormatConversion(schema={"a": "string"}, orc=OrcOptions()),
            "orc settings need output_format='ORC', got 'PARQUET'",
        ),
        (
            lambda: FormatConversion(
                schema={"a": "string"}, output_format="ORC", compression="ZLIB", parquet=ParquetOptions()
            ),
            "parquet settings need output_format='PARQUET', got 'ORC'",
        ),
        (
            lambda: FormatConversion(
                schema={"a": "string"},
                output_format="ORC",
                compression="ZLIB",
                orc=OrcOptions(bloom_filter_columns=["b"]),
            ),
            "OrcOptions.bloom_filter_columns names b, which are not schema columns",
        ),
    ],
)
def test_bad_settings_name_the_option_the_value_and_the_range(build: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"^{__import__('re').escape(message)}"):
        build()


def test_a_token_padding_passes_and_the_settings_aws_cdk_lib_checks_must_be_literals() -> None:
    stack = cdk.Stack(make_app(), "Test")
    number = cdk.CfnParameter(stack, "N", type="Number").value_as_number
    ParquetOptions(max_padding=Size.bytes(number))
    for build, option in (
        (lambda: ParquetOptions(block_size=Size.mebibytes(number)), "ParquetOptions.block_size must be a literal Size"),
        (lambda: ParquetOptions(page_size=Size.kibibytes(number)), "ParquetOptions.page_size must be a literal Size"),
        (lambda: OrcOptions(stripe_size=Size.mebibytes(number)), "OrcOptions.stripe_size must be a literal Size"),
        (lambda: OrcOptions(row_index_stride=number), "OrcOptions.row_index_stride must be a literal number"),  # type: ignore[arg-type]
        (lambda: OrcOptions(padding_tolerance=number), "OrcOptions.padding_tolerance must be a literal number"),
    ):
        with pytest.raises(ConfigurationError, match=f"^{option}, not a token"):
            build()

"""table_rules, through resolve: the conversion's schema table and the query table agree, their layout follows
the data prefix, and a JSON table can read what is delivered."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_kinesisfirehose as firehose
from cdk_helpers.resolve import HOURLY
from cdk_helpers.resolve import rejected as _rejected

from firehose_s3_constructs import (
    ConfigurationError,
    FormatConversion,
    PipelineOptions,
    QueryTable,
    QueryWorkgroup,
    resolve,
)


def test_query_table_rejections() -> None:
    _rejected(PipelineOptions(data_output_prefix=HOURLY, query_table=QueryTable()), r"QueryTable\.columns is required")
    _rejected(
        PipelineOptions(
            data_output_prefix=HOURLY,
            compression=firehose.Compression.ZIP,
            query_table=QueryTable(columns={"a": "string"}),
        ),
        "needs GZIP or UNCOMPRESSED",
    )
    _rejected(
        PipelineOptions(
            data_output_prefix=HOURLY, file_extension=".json", query_table=QueryTable(columns={"a": "string"})
        ),
        "hides the GZIP encoding",
    )
    uncompressed = PipelineOptions(
        file_extension=".json",
        compression=firehose.Compression.UNCOMPRESSED,
        query_table=QueryTable(columns={"a": "int"}),
    )
    assert resolve(uncompressed).analytics is True


def test_conversion_and_query_table_must_agree() -> None:
    for option in ("table_name", "database_name"):
        first: dict[str, Any] = {option: "first"}
        second: dict[str, Any] = {option: "second"}
        _rejected(
            PipelineOptions(
                format_conversion=FormatConversion(schema={"a": "string"}, **first),
                query_table=QueryTable(**second),
            ),
            rf"FormatConversion.{option} 'first' and QueryTable.{option} 'second' differ",
        )
    _rejected(
        PipelineOptions(
            format_conversion=FormatConversion(database_name="analytics", table_name="readings"),
            query_table=QueryTable(),
        ),
        "QueryTable.columns is required when the conversion reads an existing Glue table",
    )
    agreeing = PipelineOptions(
        format_conversion=FormatConversion(schema={"a": "string"}, table_name="same"),
        query_table=QueryTable(table_name="same"),
    )
    assert resolve(agreeing).analytics is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {
                "data_output_prefix": "data/!{firehose:random-string}/",
                "query_table": QueryTable(columns={"a": "string"}),
            },
            "random-string",
        ),
        (
            {
                "data_output_prefix": "out/year=!{timestamp:yyyy}/",
                "error_output_prefix": "out/errors/!{firehose:error-output-type}/",
                "query_table": QueryTable(columns={"a": "string"}),
            },
            "the table location 'out/' contains the prefix 'out/errors/!{firehose:error-output-type}/'",
        ),
        (
            {"query_table": QueryTable(columns={"a": "string"}, workgroup=QueryWorkgroup(encryption="SSE_KMS"))},
            "workgroup encryption 'SSE_KMS' needs a key",
        ),
        (
            {"query_table": QueryTable(columns={"a": "string", "year": "string"})},
            "partition column(s) year of the data prefix are also data columns",
        ),
    ],
)
def test_table_rules_are_checked_by_resolve(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=__import__("re").escape(message)):
        resolve(PipelineOptions(**options))

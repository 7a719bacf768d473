"""partition_rules, through resolve: the prefix, the key sources and the schema of dynamic partitioning agree."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Size
from cdk_helpers.resolve import ERRORS, Scratch
from cdk_helpers.resolve import rejected as _rejected

from firehose_s3_constructs import (
    DynamicPartitioning,
    FormatConversion,
    PipelineOptions,
    QueryTable,
    TransformOptions,
    resolve,
)
from firehose_transform import contract

_DP_PREFIX = "d/site=!{partitionKeyFromQuery:site}/year=!{partitionKeyFromLambda:year}/"
_YEAR_MONTH = TransformOptions(partition_key_fields=("year", "month"))


@pytest.mark.parametrize(
    ("partitioning", "overrides", "reason"),
    [
        ({}, {}, "partitionKeyFromQuery key\\(s\\) site that no JQ expression produces"),
        (
            {"jq_keys": {"site": ".host", "zone": ".zone"}},
            {},
            "jq_keys zone are never used in data_output_prefix",
        ),
        (
            {"jq_keys": {"site": ".host"}},
            {"transform": TransformOptions(partition_key_fields=("month",))},
            "year are not produced by the transform",
        ),
        ({"jq_keys": {"site": ".host"}}, {"transform": None}, "no transform Lambda runs"),
        (
            {"jq_keys": {"site": ".host"}, "lambda_keys": ["year", "month"]},
            {},
            "lambda_keys month are never used",
        ),
        ({"jq_keys": {"site": ".host"}}, {"error_output_prefix": None}, "error_output_prefix is required"),
        ({"jq_keys": {"site": ".host"}}, {"buffering_size": Size.mebibytes(16)}, "between 64 and 128 MiB"),
        ({"jq_keys": {"site": ".host"}}, {"buffering_interval": Duration.seconds(0)}, "between 60 and 900"),
        ({}, {"data_output_prefix": "d/!{timestamp:yyyy}/"}, "at least one !{partitionKeyFromQuery:key}"),
        (
            {"jq_keys": {"site": ".hots"}},
            {"query_table": QueryTable(columns={"host": "string", "ts": "string"})},
            "reads .hots, which is neither a schema column nor a partition key",
        ),
        (
            {"jq_keys": {"site": ".hots"}},
            {"format_conversion": FormatConversion(schema={"host": "string", "ts": "string"})},
            "reads .hots, which is neither a schema column nor a partition key",
        ),
        (
            {"jq_keys": {"site": ".host"}},
            {"data_output_prefix": "static/", "error_output_prefix": None},
            "error_output_prefix is required with dynamic partitioning",
        ),
        (
            {"jq_keys": {"k": ".k"}, "lambda_keys": ["year"]},
            {"data_output_prefix": "d/k=!{partitionKeyFromQuery:k}/", "transform": None},
            "lambda_keys are declared but no transform Lambda runs",
        ),
    ],
)
def test_partitioning_mismatches_fail_at_synth(
    partitioning: dict[str, Any], overrides: dict[str, Any], reason: str
) -> None:
    options: dict[str, Any] = {
        "data_output_prefix": _DP_PREFIX,
        "error_output_prefix": ERRORS,
        "transform": _YEAR_MONTH,
        "dynamic_partitioning": DynamicPartitioning(**partitioning),
        **overrides,
    }
    _rejected(PipelineOptions(**options), reason)


def test_partitioning_trusts_an_unknown_user_function_and_accepts_schema_fields(scratch: Scratch) -> None:
    config = resolve(
        PipelineOptions(
            data_output_prefix=_DP_PREFIX,
            error_output_prefix=ERRORS,
            transform=scratch.function,
            dynamic_partitioning=DynamicPartitioning(jq_keys={"site": ".host | ascii_downcase"}),
            query_table=QueryTable(columns={"host": "string"}),
        )
    )
    assert config.lambda_keys is None
    assert config.buffering_size.to_mebibytes() == 128
    assert contract.transform_partition_keys(["country"], "ts") == {"country", "year", "month", "day", "hour"}
    assert contract.transform_partition_keys(["country"], None) == {"country"}


def test_event_time_keys_of_the_librarys_transform_are_known() -> None:
    config = resolve(
        PipelineOptions(
            data_output_prefix="d/country=!{partitionKeyFromLambda:country}/year=!{partitionKeyFromLambda:year}/",
            error_output_prefix=ERRORS,
            transform=TransformOptions(partition_key_fields=("country",), event_time_field="ts"),
            dynamic_partitioning=DynamicPartitioning(lambda_keys=["country", "year"]),
        )
    )
    assert config.lambda_keys == frozenset({"country", "year", "month", "day", "hour"})

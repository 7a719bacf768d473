"""Dynamic partitioning: DynamicPartitioning's options, the L2 processors for a resolved chain, and what the
stream renders (the rules that tie partitioning to the prefix and the transform are resolve's: test_config.py).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_kinesisfirehose as firehose
from cdk_helpers.analytics import WEB_PREFIX, destination_of, flat

from firehose_s3_constructs import ConfigurationError, DynamicPartitioning
from firehose_s3_constructs.analytics import dynamic_partitioning_props, event_time_projections
from firehose_s3_constructs.analytics.partitioning import (
    PROCESSOR_APPEND_DELIMITER,
    PROCESSOR_DEAGGREGATION,
    PROCESSOR_LAMBDA,
    PROCESSOR_METADATA_EXTRACTION,
    build_processors,
)
from firehose_transform import contract


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"deaggregation": "DELIMITED"}, "needs a delimiter"),
        ({"delimiter": "##"}, "only used with deaggregation='DELIMITED'"),
        ({"deaggregation": "CSV"}, "deaggregation must be"),
        ({"jq_keys": {f"k{i}": ".a" for i in range(51)}}, "at most 50 keys"),
        ({"jq_keys": {"k": " "}}, "must be a JQ expression"),
        ({"jq_keys": {"bad key": ".a"}}, "letters, digits"),
        ({"lambda_keys": "year"}, "list of key names"),
        ({"retry_duration": Duration.hours(3)}, "between 0 and 7200 seconds"),
    ],
)
def test_dynamic_partitioning_rejects_bad_options(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        DynamicPartitioning(**kwargs)


def test_processor_names_are_firehoses() -> None:
    assert (PROCESSOR_DEAGGREGATION, PROCESSOR_LAMBDA, PROCESSOR_METADATA_EXTRACTION, PROCESSOR_APPEND_DELIMITER) == (
        "RecordDeAggregation",
        "Lambda",
        "MetadataExtraction",
        "AppendDelimiterToRecord",
    )


def test_processors_are_built_in_the_resolved_order() -> None:
    lambda_processor = firehose.AppendDelimiterToRecordProcessor()  # any IDataProcessor stands in here
    partitioning = DynamicPartitioning(jq_keys={"k": ".k"}, deaggregation="JSON", append_delimiter=True)
    chain = (PROCESSOR_DEAGGREGATION, PROCESSOR_LAMBDA, PROCESSOR_METADATA_EXTRACTION, PROCESSOR_APPEND_DELIMITER)
    processors = build_processors(chain, partitioning, lambda_processor)
    assert [type(p).__name__ for p in processors] == [
        "RecordDeAggregationProcessor",
        "AppendDelimiterToRecordProcessor",  # the stand-in Lambda
        "MetadataExtractionProcessor",
        "AppendDelimiterToRecordProcessor",
    ]
    assert processors[1] is lambda_processor
    automatic = DynamicPartitioning(jq_keys={"k": ".k"})
    assert [
        type(p).__name__
        for p in build_processors((PROCESSOR_METADATA_EXTRACTION, PROCESSOR_APPEND_DELIMITER), automatic, None)
    ] == ["MetadataExtractionProcessor", "AppendDelimiterToRecordProcessor"]
    assert build_processors((PROCESSOR_LAMBDA,), None, lambda_processor) == [lambda_processor]
    assert build_processors((), None, None) == []
    with pytest.raises(ValueError, match="unknown processor type 'Nope'"):
        build_processors(("Nope",), automatic, None)


def test_props_and_projections() -> None:
    props = dynamic_partitioning_props(DynamicPartitioning(retry_duration=Duration.seconds(60)))
    assert props.enabled is True
    assert props.retry_duration is not None
    assert props.retry_duration.to_seconds() == 60
    projections = event_time_projections(first_year=2025)
    assert tuple(projections) == contract.TIME_PARTITION_KEYS
    assert projections["year"].table_parameters("year") == {
        "projection.year.type": "integer",
        "projection.year.range": "2025,2099",
    }
    assert projections["hour"].table_parameters("hour")["projection.hour.range"] == "0,23"


# --- synthesized (the analytics stack of analytics/conftest.py) -----------------------------------------
def test_web_log_processors_and_partitioning_configuration(analytics_template: dict[str, Any]) -> None:
    destination = flat(destination_of(analytics_template, "WebLogsStream"))
    processors = destination["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["RecordDeAggregation", "Lambda", "MetadataExtraction"]
    assert processors[0]["Parameters"] == [{"ParameterName": "SubRecordType", "ParameterValue": "JSON"}]
    assert processors[2]["Parameters"] == [
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": '{"site":.host}'},
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
    ]
    assert destination["DynamicPartitioningConfiguration"] == {
        "Enabled": True,
        "RetryOptions": {"DurationInSeconds": 300},
    }
    assert destination["BufferingHints"] == {"IntervalInSeconds": 120, "SizeInMBs": 128}
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["Prefix"] == WEB_PREFIX


def test_plain_partitioning_adds_delimiter_after_extraction(analytics_template: dict[str, Any]) -> None:
    processors = destination_of(analytics_template, "PlainStream")["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["RecordDeAggregation", "MetadataExtraction", "AppendDelimiterToRecord"]
    assert processors[0]["Parameters"] == [
        {"ParameterName": "SubRecordType", "ParameterValue": "DELIMITED"},
        {"ParameterName": "Delimiter", "ParameterValue": base64.b64encode(b"####").decode()},
    ]

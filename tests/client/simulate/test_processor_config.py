"""Processors read in Firehose's order, with the API's defaults; unknown or repeated ones refused by name."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from simulator_helpers import (
    FUNCTION_ID,
    function_resource,
    lambda_processor,
    processing,
    stream_config,
    stream_resource,
    write_assembly,
)

from firehose_s3_client.simulate.processor_config import UnsupportedConfigurationError

MIB = 1024 * 1024


def _processing(tmp_path: Path, *processors: dict[str, Any], enabled: bool = True, **destination: Any) -> Any:
    config = processing(*processors)
    config["Enabled"] = enabled
    resources = {
        "Stream": stream_resource(ProcessingConfiguration=config, **destination),
        FUNCTION_ID: function_resource("a"),
    }
    return stream_config(write_assembly(tmp_path / "cdk.out", resources))


def _parameter(name: str, value: str) -> dict[str, str]:
    return {"ParameterName": name, "ParameterValue": value}


def test_lambda_defaults(tmp_path: Path) -> None:
    config = _processing(tmp_path, lambda_processor())
    processor = config.processing.lambda_processor
    assert (processor.buffer_bytes, processor.interval_seconds, processor.retries) == (1 * MIB, 60, 3)
    assert processor.function_id == FUNCTION_ID
    assert processor.lambda_arn == f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_ID}"


def test_lambda_through_an_alias(tmp_path: Path) -> None:
    alias = {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": FUNCTION_ID}, "Name": "live"}}
    processor = {"Type": "Lambda", "Parameters": [_parameter("LambdaArn", {"Ref": "Live"})]}  # type: ignore[arg-type]
    resources = {
        "Stream": stream_resource(ProcessingConfiguration=processing(processor)),
        FUNCTION_ID: function_resource("a"),
        "Live": alias,
    }
    processor_config = stream_config(write_assembly(tmp_path / "cdk.out", resources)).processing.lambda_processor
    assert processor_config is not None
    assert processor_config.function_id == FUNCTION_ID


def test_every_processor_in_firehoses_order(tmp_path: Path) -> None:
    delimiter = base64.b64encode(b"##").decode()
    processors = [
        {"Type": "AppendDelimiterToRecord", "Parameters": []},
        lambda_processor(BufferSizeInMBs="3", BufferIntervalInSeconds="0", NumberOfRetries="0"),
        {
            "Type": "RecordDeAggregation",
            "Parameters": [_parameter("SubRecordType", "DELIMITED"), _parameter("Delimiter", delimiter)],
        },
        {"Type": "Decompression", "Parameters": [_parameter("CompressionFormat", "GZIP")]},
        {"Type": "CloudWatchLogProcessing", "Parameters": [_parameter("DataMessageExtraction", "true")]},
        {
            "Type": "MetadataExtraction",
            "Parameters": [_parameter("MetadataExtractionQuery", "{k:.k}"), _parameter("JsonParsingEngine", "JQ-1.6")],
        },
    ]
    config = _processing(
        tmp_path,
        *processors,
        DynamicPartitioningConfiguration={"Enabled": True},
        Prefix="k=!{partitionKeyFromQuery:k}/",
        ErrorOutputPrefix="e/!{firehose:error-output-type}/",
    )
    found = config.processing
    assert found.append_delimiter
    assert (found.lambda_processor.buffer_bytes, found.lambda_processor.interval_seconds) == (3 * MIB, 0)
    assert found.lambda_processor.retries == 0
    assert (found.deaggregation.sub_record_type, found.deaggregation.delimiter) == ("DELIMITED", b"##")
    assert found.decompression.compression_format == "GZIP"
    assert found.cloudwatch_logs.data_message_extraction
    assert found.metadata_extraction.query == "{k:.k}"


def test_disabled_processing_runs_nothing_and_says_so(tmp_path: Path) -> None:
    config = _processing(tmp_path, lambda_processor(), enabled=False)
    assert config.processing.lambda_processor is None
    assert any("Enabled is false: its 1 processor(s) do not run" in note for note in config.notes)


@pytest.mark.parametrize(
    ("processors", "message"),
    [
        ([{"Type": "Transform"}], "processor type 'Transform' is not supported"),
        ([lambda_processor(), lambda_processor()], "a second Lambda processor"),
        ([lambda_processor(Mystery="1")], "parameter Mystery is not valid for a Lambda processor"),
        ([lambda_processor(BufferSizeInMBs="5")], "BufferSizeInMBs 5 is outside 0.2-3"),
        (
            [{"Type": "RecordDeAggregation", "Parameters": [_parameter("SubRecordType", "DELIMITED")]}],
            "needs a Delimiter",
        ),
        ([{"Type": "Decompression", "Parameters": [_parameter("CompressionFormat", "ZIP")]}], "'ZIP'"),
        (
            [{"Type": "CloudWatchLogProcessing", "Parameters": [_parameter("DataMessageExtraction", "true")]}],
            "needs the Decompression",
        ),
        (
            [{"Type": "MetadataExtraction", "Parameters": [_parameter("MetadataExtractionQuery", "{}")]}],
            "needs dynamic partitioning",
        ),
        ([{"Type": "AppendDelimiterToRecord", "Parameters": [_parameter("Delimiter", "Cg==")]}], "custom Delimiter"),
    ],
)
def test_what_cannot_run_is_refused_by_name(tmp_path: Path, processors: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(UnsupportedConfigurationError, match=message):
        _processing(tmp_path, *processors)

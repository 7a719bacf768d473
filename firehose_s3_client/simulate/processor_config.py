"""The ``ProcessingConfiguration`` of a delivery stream, as typed processors in Firehose's processing order.

Firehose applies its processors in a fixed order, whatever their order in the template (DG
dynamic-partitioning and data-transformation pages): decompression (CloudWatch Logs), message extraction,
record de-aggregation, the Lambda function, JQ metadata extraction, then ``AppendDelimiterToRecord``.
Every processor type and parameter of the API is either reproduced or rejected by name; a repeated
processor type is rejected, as Firehose rejects it.

Sources: https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html and
API_ProcessorParameter.html (names, defaults: BufferSizeInMBs 1 (0.2-3), BufferIntervalInSeconds 60 (0-900),
NumberOfRetries 3).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firehose_s3_client.simulate.assembly import ref_target
from firehose_s3_client.simulate.template_values import TemplateResolver
from firehose_transform.contract import (
    PROCESSOR_DEFAULT_BUFFER_MB,
    PROCESSOR_DEFAULT_INTERVAL_SECONDS,
    PROCESSOR_DEFAULT_RETRIES,
    PROCESSOR_MAX_BUFFER_MB,
    PROCESSOR_MAX_INTERVAL_SECONDS,
    PROCESSOR_MIN_BUFFER_MB,
)

__all__ = [
    "CloudWatchLogProcessing",
    "Decompression",
    "LambdaProcessor",
    "MetadataExtraction",
    "ProcessingConfig",
    "RecordDeAggregation",
    "UnsupportedConfigurationError",
    "read_processing",
]

MIB = 1024 * 1024


class UnsupportedConfigurationError(ValueError):
    """A configuration this engine does not reproduce (or Firehose would refuse); the message names it."""


@dataclass(frozen=True)
class RecordDeAggregation:
    """Split each record into sub-records: concatenated JSON objects, or by a delimiter."""

    sub_record_type: str  # "JSON" | "DELIMITED"
    delimiter: bytes | None = None


@dataclass(frozen=True)
class Decompression:
    """Gunzip each record (CloudWatch Logs subscription records)."""

    compression_format: str = "GZIP"


@dataclass(frozen=True)
class CloudWatchLogProcessing:
    """Keep only the ``message`` of each log event of a decompressed CloudWatch Logs record."""

    data_message_extraction: bool


@dataclass(frozen=True)
class LambdaProcessor:
    """The Lambda transform and its own buffer (sizes in bytes; MiB, as the API's "MB" is taken)."""

    lambda_arn: str
    function_id: str | None  # logical ID of the AWS::Lambda::Function in the stack, if it is there
    buffer_bytes: int
    interval_seconds: int
    retries: int


@dataclass(frozen=True)
class MetadataExtraction:
    """Partition keys from a JQ query (dynamic partitioning)."""

    query: str
    engine: str


@dataclass(frozen=True)
class ProcessingConfig:
    """The enabled processors (None when absent); ``append_delimiter`` adds ``\\n`` to every record."""

    decompression: Decompression | None = None
    cloudwatch_logs: CloudWatchLogProcessing | None = None
    deaggregation: RecordDeAggregation | None = None
    lambda_processor: LambdaProcessor | None = None
    metadata_extraction: MetadataExtraction | None = None
    append_delimiter: bool = False


def read_processing(value: Any, resolver: TemplateResolver, where: str) -> tuple[ProcessingConfig, list[str]]:
    """The processors of a ``ProcessingConfiguration`` and notes on what has no effect locally.

    Raises:
        UnsupportedConfigurationError: an unknown or repeated processor, or an unknown parameter.
    """
    if not value:
        return ProcessingConfig(), []
    if not isinstance(value, dict):
        raise UnsupportedConfigurationError(f"{where} is not an object")
    _only(value, {"Enabled", "Processors"}, where)
    processors = value.get("Processors") or []
    enabled = value.get("Enabled", True) not in (False, "false")
    if not enabled:
        return ProcessingConfig(), [f"{where}.Enabled is false: its {len(processors)} processor(s) do not run"]
    found: dict[str, Any] = {}
    notes: list[str] = []
    for index, processor in enumerate(processors):
        here = f"{where}.Processors[{index}]"
        if not isinstance(processor, dict):
            raise UnsupportedConfigurationError(f"{here} is not an object")
        kind = processor.get("Type")
        reader = _READERS.get(str(kind))
        if reader is None:
            raise UnsupportedConfigurationError(f"{here}: processor type {kind!r} is not supported by the simulator")
        if kind in found:
            raise UnsupportedConfigurationError(f"{here}: a second {kind} processor (Firehose accepts one)")
        parameters = _parameters(processor.get("Parameters") or [], resolver, here)
        found[str(kind)] = reader(parameters, resolver, here, notes)
    if "CloudWatchLogProcessing" in found and "Decompression" not in found:
        raise UnsupportedConfigurationError(f"{where}: CloudWatchLogProcessing needs the Decompression processor")
    return (
        ProcessingConfig(
            decompression=found.get("Decompression"),
            cloudwatch_logs=found.get("CloudWatchLogProcessing"),
            deaggregation=found.get("RecordDeAggregation"),
            lambda_processor=found.get("Lambda"),
            metadata_extraction=found.get("MetadataExtraction"),
            append_delimiter="AppendDelimiterToRecord" in found,
        ),
        notes,
    )


def _only(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise UnsupportedConfigurationError(f"{where}: {', '.join(unknown)} is not supported by the simulator")


def _parameters(raw: Any, resolver: TemplateResolver, where: str) -> dict[tuple[str, str], Any]:
    """ParameterName -> (resolved value, raw value), keyed with the place for messages."""
    if not isinstance(raw, list):
        raise UnsupportedConfigurationError(f"{where}.Parameters is not a list")
    out: dict[tuple[str, str], Any] = {}
    for index, parameter in enumerate(raw):
        name = parameter.get("ParameterName") if isinstance(parameter, dict) else None
        if not isinstance(name, str):
            raise UnsupportedConfigurationError(f"{where}.Parameters[{index}] has no ParameterName")
        out[(name, f"{where}.{name}")] = parameter.get("ParameterValue")
    return out


def _take(
    parameters: dict[tuple[str, str], Any], allowed: set[str], where: str, kind: str
) -> dict[str, tuple[Any, str]]:
    values: dict[str, tuple[Any, str]] = {}
    for (name, here), value in parameters.items():
        if name not in allowed:
            raise UnsupportedConfigurationError(f"{where}: parameter {name} is not valid for a {kind} processor")
        values[name] = (value, here)
    return values


def _number(values: dict[str, tuple[Any, str]], name: str, resolver: TemplateResolver, default: float) -> float:
    if name not in values:
        return default
    value, here = values[name]
    text = resolver.string(value, here)
    try:
        return float(text)
    except ValueError:
        raise UnsupportedConfigurationError(f"{here}: {text!r} is not a number") from None


def _lambda(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> LambdaProcessor:
    values = _take(
        parameters,
        {"LambdaArn", "NumberOfRetries", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds"},
        where,
        "Lambda",
    )
    if "LambdaArn" not in values:
        raise UnsupportedConfigurationError(f"{where}: the Lambda processor has no LambdaArn")
    raw_arn, arn_where = values["LambdaArn"]
    buffer_mb = _number(values, "BufferSizeInMBs", resolver, PROCESSOR_DEFAULT_BUFFER_MB)
    interval = _number(values, "BufferIntervalInSeconds", resolver, PROCESSOR_DEFAULT_INTERVAL_SECONDS)
    retries = _number(values, "NumberOfRetries", resolver, PROCESSOR_DEFAULT_RETRIES)
    if not PROCESSOR_MIN_BUFFER_MB <= buffer_mb <= PROCESSOR_MAX_BUFFER_MB:
        raise UnsupportedConfigurationError(
            f"{where}: BufferSizeInMBs {buffer_mb:g} is outside 0.2-3 (Firehose refuses it)"
        )
    if not 0 <= interval <= PROCESSOR_MAX_INTERVAL_SECONDS or retries < 0:
        raise UnsupportedConfigurationError(f"{where}: BufferIntervalInSeconds must be 0-900 and NumberOfRetries >= 0")
    if "RoleArn" in values:
        notes.append(f"{where}.RoleArn: IAM is not simulated (the function is always allowed to run)")
    return LambdaProcessor(
        lambda_arn=resolver.string(raw_arn, arn_where),
        function_id=_function_id(raw_arn, resolver),
        buffer_bytes=int(buffer_mb * MIB),
        interval_seconds=int(interval),
        retries=int(retries),
    )


def _function_id(raw_arn: Any, resolver: TemplateResolver) -> str | None:
    """The AWS::Lambda::Function a LambdaArn points at, through a Version or an Alias if need be."""
    target = ref_target(raw_arn)
    for _ in range(3):  # Alias -> Version -> Function at most
        if target is None:
            return None
        resource = resolver.stack.resources.get(target) or {}
        kind = resource.get("Type")
        if kind == "AWS::Lambda::Function":
            return target
        if kind not in {"AWS::Lambda::Version", "AWS::Lambda::Alias"}:
            return None
        properties = resource.get("Properties") or {}
        target = ref_target(properties.get("FunctionName")) or ref_target(properties.get("FunctionVersion"))
    return None


def _metadata_extraction(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> MetadataExtraction:
    values = _take(parameters, {"MetadataExtractionQuery", "JsonParsingEngine"}, where, "MetadataExtraction")
    if "MetadataExtractionQuery" not in values:
        raise UnsupportedConfigurationError(f"{where}: MetadataExtraction has no MetadataExtractionQuery")
    engine = resolver.string(*values["JsonParsingEngine"]) if "JsonParsingEngine" in values else "JQ-1.6"
    if engine != "JQ-1.6":
        raise UnsupportedConfigurationError(f"{where}: JsonParsingEngine {engine!r} (Firehose offers JQ-1.6 only)")
    return MetadataExtraction(query=resolver.string(*values["MetadataExtractionQuery"]), engine=engine)


def _deaggregation(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> RecordDeAggregation:
    values = _take(parameters, {"SubRecordType", "Delimiter"}, where, "RecordDeAggregation")
    kind = resolver.string(*values["SubRecordType"]) if "SubRecordType" in values else "JSON"
    if kind not in {"JSON", "DELIMITED"}:
        raise UnsupportedConfigurationError(f"{where}: SubRecordType {kind!r} (JSON or DELIMITED)")
    delimiter: bytes | None = None
    if kind == "DELIMITED":
        if "Delimiter" not in values:
            raise UnsupportedConfigurationError(f"{where}: DELIMITED de-aggregation needs a Delimiter")
        text = resolver.string(*values["Delimiter"])
        try:  # the Delimiter is base64 (DG dynamic-partitioning: "####" is given as "IyMjIw==")
            delimiter = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise UnsupportedConfigurationError(f"{where}: Delimiter {text!r} is not base64") from None
        if not delimiter:
            raise UnsupportedConfigurationError(f"{where}: the Delimiter is empty")
    elif "Delimiter" in values:
        notes.append(f"{where}.Delimiter: ignored by JSON de-aggregation")
    return RecordDeAggregation(sub_record_type=kind, delimiter=delimiter)


def _append_delimiter(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> bool:
    _take(parameters, {"Delimiter"}, where, "AppendDelimiterToRecord")
    if parameters:
        raise UnsupportedConfigurationError(
            f"{where}: AppendDelimiterToRecord with a custom Delimiter is not supported"
        )
    return True


def _decompression(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> Decompression:
    values = _take(parameters, {"CompressionFormat"}, where, "Decompression")
    fmt = resolver.string(*values["CompressionFormat"]) if "CompressionFormat" in values else "GZIP"
    if fmt != "GZIP":
        raise UnsupportedConfigurationError(f"{where}: Decompression CompressionFormat {fmt!r} (Firehose offers GZIP)")
    return Decompression(fmt)


def _cloudwatch_logs(
    parameters: dict[tuple[str, str], Any], resolver: TemplateResolver, where: str, notes: list[str]
) -> CloudWatchLogProcessing:
    values = _take(parameters, {"DataMessageExtraction"}, where, "CloudWatchLogProcessing")
    text = resolver.string(*values["DataMessageExtraction"]) if "DataMessageExtraction" in values else "false"
    if text.lower() not in {"true", "false"}:
        raise UnsupportedConfigurationError(f"{where}: DataMessageExtraction {text!r} (true or false)")
    return CloudWatchLogProcessing(data_message_extraction=text.lower() == "true")


_READERS: dict[str, Callable[[dict[tuple[str, str], Any], TemplateResolver, str, list[str]], Any]] = {
    "Lambda": _lambda,
    "MetadataExtraction": _metadata_extraction,
    "RecordDeAggregation": _deaggregation,
    "AppendDelimiterToRecord": _append_delimiter,
    "Decompression": _decompression,
    "CloudWatchLogProcessing": _cloudwatch_logs,
}

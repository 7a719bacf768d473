"""Dynamic partitioning: S3 prefixes from keys in the records (:class:`DynamicPartitioning`).

The options, the processors Firehose runs for them and in which order, and the projections of the transform's
event-time keys. The rules that tie partitioning to the prefix, the buffering and the transform are checked by
:func:`firehose_s3_constructs.config.resolve`
(https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Duration
from aws_cdk import aws_kinesisfirehose as firehose

from ..validation import ConfigurationError, whole_seconds
from .partition_layout import Projection

__all__ = [
    "PROCESSOR_APPEND_DELIMITER",
    "PROCESSOR_DEAGGREGATION",
    "PROCESSOR_DECOMPRESSION",
    "PROCESSOR_LAMBDA",
    "PROCESSOR_LOG_MESSAGE_EXTRACTION",
    "PROCESSOR_METADATA_EXTRACTION",
    "DynamicPartitioning",
    "build_processors",
    "dynamic_partitioning_props",
    "event_time_projections",
]

#: Processor types, as Firehose names them (API_Processor), in ``ResolvedPipeline.processors``.
PROCESSOR_DEAGGREGATION = "RecordDeAggregation"
PROCESSOR_LAMBDA = "Lambda"
PROCESSOR_METADATA_EXTRACTION = "MetadataExtraction"
PROCESSOR_APPEND_DELIMITER = "AppendDelimiterToRecord"
PROCESSOR_DECOMPRESSION = "Decompression"
PROCESSOR_LOG_MESSAGE_EXTRACTION = "CloudWatchLogProcessing"
_MAX_JQ_KEYS = 50
_MAX_RETRY_S = 7200
_KEY_NAME = re.compile(r"[A-Za-z0-9_-]{1,512}")


@dataclass(frozen=True, kw_only=True)
class DynamicPartitioning:
    """Dynamic partitioning: S3 prefixes from keys in the records.

    It can only be chosen when the delivery stream is created: switching it on or off later makes
    CloudFormation replace the stream. Keys and the prefix can change later.

    Attributes:
        jq_keys: key -> JQ 1.6 expression run on each JSON record, e.g. ``{"device_type": ".device_type"}``;
            used as ``!{partitionKeyFromQuery:key}``. At most 50. Default none.
        lambda_keys: keys you expect from the transform Lambda's ``metadata.partitionKeys``, used as
            ``!{partitionKeyFromLambda:key}``; each must appear in the prefix. Default none.
        deaggregation: split aggregated records before partitioning: ``JSON`` (concatenated or
            newline-delimited JSON objects) or ``DELIMITED`` (with ``delimiter``). Default None.
        delimiter: the raw delimiter of ``DELIMITED`` records (the L2 base64-encodes it). Default None.
        append_delimiter: add ``\\n`` after each record. Default None = automatic: on when no Lambda runs and
            the output is not converted (the library's transform adds newlines; de-aggregation strips them).
        retry_duration: how long Firehose retries delivery to a partition. Default 300 s (0-7200 s).
    """

    jq_keys: Mapping[str, str] = field(default_factory=dict)
    lambda_keys: Sequence[str] = ()
    deaggregation: Literal["JSON", "DELIMITED"] | None = None
    delimiter: str | None = None
    append_delimiter: bool | None = None
    retry_duration: Duration = Duration.seconds(300)

    def __post_init__(self) -> None:
        if len(self.jq_keys) > _MAX_JQ_KEYS:
            raise ConfigurationError(f"jq_keys can have at most {_MAX_JQ_KEYS} keys, got {len(self.jq_keys)}")
        for key, expression in self.jq_keys.items():
            _check_key_name("jq_keys", key)
            if not isinstance(expression, str) or not expression.strip():
                raise ConfigurationError(
                    f"jq_keys[{key!r}] must be a JQ expression such as '.{key}', got {expression!r}"
                )
        if isinstance(self.lambda_keys, str):
            raise ConfigurationError(f"lambda_keys must be a list of key names, got the string {self.lambda_keys!r}")
        for key in self.lambda_keys:
            _check_key_name("lambda_keys", key)
        if self.deaggregation not in (None, "JSON", "DELIMITED"):
            raise ConfigurationError(f"deaggregation must be 'JSON', 'DELIMITED' or None, got {self.deaggregation!r}")
        if self.deaggregation == "DELIMITED" and not self.delimiter:
            raise ConfigurationError("deaggregation='DELIMITED' needs a delimiter, e.g. delimiter='####'")
        if self.deaggregation != "DELIMITED" and self.delimiter is not None:
            raise ConfigurationError("delimiter is only used with deaggregation='DELIMITED'")
        retry = whole_seconds("retry_duration", self.retry_duration)
        if retry is not None and not 0 <= retry <= _MAX_RETRY_S:
            raise ConfigurationError(f"retry_duration must be between 0 and {_MAX_RETRY_S} seconds, got {retry} s")


def _check_key_name(option: str, key: str) -> None:
    if not isinstance(key, str) or not _KEY_NAME.fullmatch(key):
        raise ConfigurationError(f"{option} key {key!r} must be letters, digits, '_' or '-'")


def dynamic_partitioning_props(partitioning: DynamicPartitioning) -> firehose.DynamicPartitioningProps:
    """Pass as ``dynamic_partitioning`` to ``firehose.S3Bucket``."""
    return firehose.DynamicPartitioningProps(enabled=True, retry_duration=partitioning.retry_duration)


def event_time_projections(*, first_year: int = 2024, last_year: int = 2099) -> dict[str, Projection]:
    """Integer projections of the transform's event-time keys, for ``QueryTable(projections=...)``.

    Use them when the prefix has ``year=!{partitionKeyFromLambda:year}/month=...`` segments; the transform
    returns zero-padded ``MM``/``dd``/``HH`` values (``firehose_transform.contract.TIME_PARTITION_KEYS``).
    """
    return {
        "year": Projection.integer(first_year, last_year),
        "month": Projection.integer(1, 12, digits=2),
        "day": Projection.integer(1, 31, digits=2),
        "hour": Projection.integer(0, 23, digits=2),
    }


# --- everything FirehoseToS3 needs ------------------------------------------------------------------------


def build_processors(
    chain: Sequence[str],
    partitioning: DynamicPartitioning | None,
    lambda_processor: firehose.IDataProcessor | None,
) -> list[firehose.IDataProcessor]:
    """The L2 processors for a resolved processor chain (``ResolvedPipeline.processors``), in its order."""
    processors: list[firehose.IDataProcessor] = []
    for kind in chain:
        if kind == PROCESSOR_LAMBDA:
            assert lambda_processor is not None
            processors.append(lambda_processor)
        elif kind == PROCESSOR_DECOMPRESSION:
            processors.append(firehose.DecompressionProcessor())
        elif kind == PROCESSOR_LOG_MESSAGE_EXTRACTION:
            processors.append(firehose.CloudWatchLogProcessor(data_message_extraction=True))
        elif kind == PROCESSOR_APPEND_DELIMITER:
            processors.append(firehose.AppendDelimiterToRecordProcessor())
        else:
            assert partitioning is not None
            processors.append(_partitioning_processor(kind, partitioning))
    return processors


def _partitioning_processor(kind: str, partitioning: DynamicPartitioning) -> firehose.IDataProcessor:
    if kind == PROCESSOR_DEAGGREGATION:
        if partitioning.deaggregation == "DELIMITED":
            assert partitioning.delimiter is not None
            return firehose.RecordDeAggregationProcessor.delimited(partitioning.delimiter)
        return firehose.RecordDeAggregationProcessor.json()
    if kind == PROCESSOR_METADATA_EXTRACTION:
        return firehose.MetadataExtractionProcessor.jq16(dict(partitioning.jq_keys))
    raise ValueError(f"unknown processor type {kind!r}")

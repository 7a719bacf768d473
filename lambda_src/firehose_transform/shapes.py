"""Typed shapes of the Firehose event and response, and of the Secrets Manager client.

For annotations only: the runtime modules import this module under ``TYPE_CHECKING`` (importing ``typing``
costs milliseconds of cold start), your own code may import it normally.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, Protocol, TypedDict

Result = Literal["Ok", "Dropped", "ProcessingFailed"]


class KinesisRecordMetadataEvent(TypedDict, total=False):
    """``kinesisRecordMetadata`` of an event record (Kinesis Data Stream source only)."""

    shardId: str
    partitionKey: str
    approximateArrivalTimestamp: int
    sequenceNumber: str
    subsequenceNumber: int | str


class FirehoseEventRecord(TypedDict):
    recordId: str
    data: str
    approximateArrivalTimestamp: NotRequired[int]
    kinesisRecordMetadata: NotRequired[KinesisRecordMetadataEvent]


class FirehoseEvent(TypedDict):
    records: list[FirehoseEventRecord]
    invocationId: NotRequired[str]
    deliveryStreamArn: NotRequired[str]
    region: NotRequired[str]
    sourceKinesisStreamArn: NotRequired[str]


class ResponseMetadata(TypedDict):
    partitionKeys: dict[str, str]


class ResponseRecord(TypedDict):
    recordId: str
    result: Result
    data: str
    metadata: NotRequired[ResponseMetadata]


class FirehoseResponse(TypedDict):
    records: list[ResponseRecord]


class SecretsClient(Protocol):
    """What the hash-key reader needs from a boto3 Secrets Manager client."""

    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]: ...  # noqa: N803 - boto3's name

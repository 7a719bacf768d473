"""The Firehose data-transformation protocol: result values, record metadata, response size.

Firehose invokes the function synchronously with a batch::

    {"invocationId": "...", "deliveryStreamArn": "...", "region": "...",
     "sourceKinesisStreamArn": "...",                     # only with a Kinesis Data Stream source
     "records": [{"recordId": "...", "approximateArrivalTimestamp": 1700000000000, "data": "<base64>",
                  "kinesisRecordMetadata": {...}}]}        # only with a Kinesis Data Stream source

and expects every record back, once, in a response of at most :data:`LAMBDA_RESPONSE_LIMIT` bytes::

    {"records": [{"recordId": "...", "result": "Ok" | "Dropped" | "ProcessingFailed", "data": "<base64>",
                  "metadata": {"partitionKeys": {...}}}]}  # metadata only with dynamic partitioning

(typed in :mod:`firehose_transform.shapes`).

Response size: the Lambda Python runtime serializes the returned dict itself, with the default
separators ``", "`` and ``": "`` and (before Python 3.12) ASCII escapes. :func:`record_size` computes
that length exactly for the ASCII-escaped form, which is never shorter than the UTF-8 form, so it is a
safe upper bound for every runtime version.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii

from firehose_transform.contract import LAMBDA_RESPONSE_LIMIT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

    from firehose_transform.shapes import ResponseRecord

RESULT_OK: Final = "Ok"
RESULT_DROPPED: Final = "Dropped"
RESULT_FAILED: Final = "ProcessingFailed"

#: The budget used: the runtime limit minus 1 KiB of margin.
RESPONSE_LIMIT: Final = LAMBDA_RESPONSE_LIMIT - 1024


class KinesisMetadata:
    """``kinesisRecordMetadata`` of a record read from a Kinesis Data Stream (read-only)."""

    __slots__ = ("approximate_arrival_timestamp", "partition_key", "sequence_number", "shard_id", "subsequence_number")

    def __init__(
        self,
        *,
        shard_id: str | None = None,
        partition_key: str | None = None,
        sequence_number: str | None = None,
        subsequence_number: int | str | None = None,
        approximate_arrival_timestamp: int | None = None,
    ) -> None:
        self.shard_id = shard_id
        self.partition_key = partition_key
        self.sequence_number = sequence_number
        #: An int or a string: libraries disagree on its type (see the contract notes).
        self.subsequence_number = subsequence_number
        self.approximate_arrival_timestamp = approximate_arrival_timestamp

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KinesisMetadata) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"KinesisMetadata({fields})"


class RecordMetadata:
    """What a user function knows about the record a document came from (read-only).

    ``document_index`` is 0 for an ordinary record; a record holding several newline-delimited documents
    calls the function once per document with indexes 0, 1, 2...
    """

    __slots__ = (
        "approximate_arrival_timestamp",
        "delivery_stream_arn",
        "document_index",
        "invocation_id",
        "kinesis",
        "record_id",
        "region",
        "source_kinesis_stream_arn",
    )

    def __init__(
        self,
        record_id: str,
        *,
        approximate_arrival_timestamp: int | None = None,
        kinesis: KinesisMetadata | None = None,
        source_kinesis_stream_arn: str | None = None,
        delivery_stream_arn: str | None = None,
        invocation_id: str | None = None,
        region: str | None = None,
        document_index: int = 0,
    ) -> None:
        self.record_id = record_id
        self.approximate_arrival_timestamp = approximate_arrival_timestamp
        self.kinesis = kinesis
        self.source_kinesis_stream_arn = source_kinesis_stream_arn
        self.delivery_stream_arn = delivery_stream_arn
        self.invocation_id = invocation_id
        self.region = region
        self.document_index = document_index

    def for_document(self, document_index: int) -> RecordMetadata:
        """A copy for another document of the same record."""
        return RecordMetadata(
            self.record_id,
            approximate_arrival_timestamp=self.approximate_arrival_timestamp,
            kinesis=self.kinesis,
            source_kinesis_stream_arn=self.source_kinesis_stream_arn,
            delivery_stream_arn=self.delivery_stream_arn,
            invocation_id=self.invocation_id,
            region=self.region,
            document_index=document_index,
        )

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordMetadata) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RecordMetadata({fields})"


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def record_metadata(event: dict[str, Any], record: dict[str, Any], record_id: str) -> RecordMetadata:
    """Build the metadata of one event record (unknown or mistyped fields become None)."""
    kinesis: KinesisMetadata | None = None
    raw_kinesis = record.get("kinesisRecordMetadata")
    if isinstance(raw_kinesis, dict):
        sub = raw_kinesis.get("subsequenceNumber")
        kinesis = KinesisMetadata(
            shard_id=_opt_str(raw_kinesis.get("shardId")),
            partition_key=_opt_str(raw_kinesis.get("partitionKey")),
            sequence_number=_opt_str(raw_kinesis.get("sequenceNumber")),
            subsequence_number=sub if isinstance(sub, str) else _opt_int(sub),
            approximate_arrival_timestamp=_opt_int(raw_kinesis.get("approximateArrivalTimestamp")),
        )
    return RecordMetadata(
        record_id=record_id,
        approximate_arrival_timestamp=_opt_int(record.get("approximateArrivalTimestamp")),
        kinesis=kinesis,
        source_kinesis_stream_arn=_opt_str(event.get("sourceKinesisStreamArn")),
        delivery_stream_arn=_opt_str(event.get("deliveryStreamArn")),
        invocation_id=_opt_str(event.get("invocationId")),
        region=_opt_str(event.get("region")),
    )


# Serialized size of the parts, with the runtime's separators:
#   {"records": [<r>, <r>]}
#   {"recordId": <id>, "result": <result>, "data": "<data>"[, "metadata": {"partitionKeys": {<k>: <v>, ...}}]}
RESPONSE_OVERHEAD: Final = len('{"records": []}')
RECORD_SEPARATOR: Final = len(", ")
RECORD_OVERHEAD: Final = len('{"recordId": , "result": , "data": ""}')
_METADATA_OVERHEAD: Final = len(', "metadata": {"partitionKeys": {}}')
RESULT_SIZE: Final = {RESULT_OK: 4, RESULT_DROPPED: 9, RESULT_FAILED: 18}


def string_size(value: str) -> int:
    """Serialized size of a JSON string, quotes included, with ASCII escapes (an upper bound)."""
    return len(encode_basestring_ascii(value))


def metadata_size(keys: dict[str, str]) -> int:
    """Serialized size of ``, "metadata": {"partitionKeys": {...}}``."""
    size = _METADATA_OVERHEAD + RECORD_SEPARATOR * max(len(keys) - 1, 0)
    for key, value in keys.items():
        size += string_size(key) + 2 + string_size(value)
    return size


def record_size(record: ResponseRecord) -> int:
    """Serialized size of one response record (upper bound, see the module docstring)."""
    result = record["result"]
    size = RECORD_OVERHEAD + string_size(record["recordId"]) + RESULT_SIZE[result]
    data = record["data"]
    # Our base64 never needs escapes; a failed record may echo data that was not base64 at all.
    size += len(data) if result == RESULT_OK else string_size(data) - 2
    metadata = record.get("metadata")
    if metadata is not None:
        size += metadata_size(metadata["partitionKeys"])
    return size


def failed_size(record_id: str, data: str) -> int:
    """Serialized size of a ProcessingFailed record carrying ``data`` (valid base64)."""
    return RECORD_OVERHEAD + string_size(record_id) + RESULT_SIZE[RESULT_FAILED] + len(data)


def response_size(records: list[ResponseRecord]) -> int:
    """Serialized size of the whole response (upper bound)."""
    return (
        RESPONSE_OVERHEAD + RECORD_SEPARATOR * max(len(records) - 1, 0) + sum(record_size(record) for record in records)
    )

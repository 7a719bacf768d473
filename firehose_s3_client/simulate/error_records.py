"""The JSON documents Firehose writes under its error prefix, one per failed record, in AWS's formats.

* ``processing-failed`` (the Lambda transform; DG data-transformation-failure-handling.html):
  ``attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn``,
  in the documented order. Objects captured from Firehose in 2025-2026 begin with ``rawData`` and spell the
  last key ``lambdaARN``; the documented spelling is kept here (readers should accept both).
* ``format-conversion-failed`` (DG record-format-conversion-error-handling.html): ``attemptsMade,
  arrivalTimestamp, lastErrorCode, lastErrorMessage, attemptEndingTimestamp, rawData, sequenceNumber,
  subSequenceNumber, dataCatalogTable``. The current page capitalizes ``ErrorCode``/``ErrorMessage``; objects
  Firehose writes (captured 2026) use ``lastErrorCode``/``lastErrorMessage``, as the archived guide did.
* dynamic partitioning, decompression and partition-limit failures: AWS documents no schema, only that the
  record is delivered "along with ... error code and error message" (DG dynamic-partitioning-error-handling,
  decomp-faq). This engine writes the processing-failed shape without ``lambdaArn``.

Each document is one compact JSON line ending in ``\\n``; ``rawData`` is the record as Firehose received it,
base64-encoded: before decompression (still compressed, as DG decomp-faq.html says) and before the Lambda
transform (so ``firehose-s3 replay`` can send it again); a de-aggregated sub-record as it was split.
"""

from __future__ import annotations

import json
from base64 import b64encode
from typing import Any

__all__ = [
    "ACTIVE_PARTITION_EXCEEDED",
    "CONVERSION_FAILED",
    "DECOMPRESSION_FAILED",
    "METADATA_EXTRACTION_FAILED",
    "PARTITIONING_FAILED",
    "PROCESSING_FAILED",
    "conversion_failure",
    "error_document",
    "processing_failure",
]

# Error output types: the value of !{firehose:error-output-type}, and the folder name by default.
PROCESSING_FAILED = "processing-failed"
CONVERSION_FAILED = "format-conversion-failed"
#: DP key extraction (JQ) failures: observed in Firehose error records (see simulate-interfaces.md).
METADATA_EXTRACTION_FAILED = "metadata-extraction-failed"
#: A partition key missing from what Lambda returned, or an unusable prefix: aws-cdk's integration test
#: integ.dynamic-partitioning-lambda.ts expects such records under ``<error prefix>/partitioning-failed/``.
PARTITIONING_FAILED = "partitioning-failed"
#: DG buffering.html: records over the active-partition limit go to ``activePartitionExceeded``.
ACTIVE_PARTITION_EXCEEDED = "activePartitionExceeded"
#: DG decomp-faq.html.
DECOMPRESSION_FAILED = "decompression-failed"

ACTIVE_PARTITION_CODE = (
    "DynamicPartitioning.ActivePartitionsLimitExceeded",
    "The number of active partitions exceeded the limit of the Firehose stream.",
)


def _line(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def processing_failure(
    raw: bytes,
    *,
    arrival_ms: int,
    error_code: str,
    error_message: str,
    attempts: int,
    ending_ms: int,
    lambda_arn: str,
) -> bytes:
    """A ``processing-failed`` document (see the module docstring)."""
    return _line(
        {
            "attemptsMade": attempts,
            "arrivalTimestamp": arrival_ms,
            "errorCode": error_code,
            "errorMessage": error_message,
            "attemptEndingTimestamp": ending_ms,
            "rawData": b64encode(raw).decode("ascii"),
            "lambdaArn": lambda_arn,
        }
    )


def error_document(raw: bytes, *, arrival_ms: int, error_code: str, error_message: str, ending_ms: int) -> bytes:
    """A dynamic-partitioning, partition-limit or decompression failure (see the module docstring)."""
    return _line(
        {
            "attemptsMade": 1,
            "arrivalTimestamp": arrival_ms,
            "errorCode": error_code,
            "errorMessage": error_message,
            "attemptEndingTimestamp": ending_ms,
            "rawData": b64encode(raw).decode("ascii"),
        }
    )


def conversion_failure(
    raw: bytes,
    *,
    arrival_ms: int,
    error_code: str,
    error_message: str,
    ending_ms: int,
    sequence_number: str,
    catalog_table: dict[str, str],
) -> bytes:
    """A ``format-conversion-failed`` document (see the module docstring)."""
    return _line(
        {
            "attemptsMade": 1,
            "arrivalTimestamp": arrival_ms,
            "lastErrorCode": error_code,
            "lastErrorMessage": error_message,
            "attemptEndingTimestamp": ending_ms,
            "rawData": b64encode(raw).decode("ascii"),
            "sequenceNumber": sequence_number,
            "subSequenceNumber": 0,
            "dataCatalogTable": catalog_table,
        }
    )

"""Error documents in AWS's formats: key order, base64 raw data, one JSON line each."""

from __future__ import annotations

import base64
import json

from firehose_s3_client.simulate.error_records import conversion_failure, error_document, processing_failure
from firehose_s3_client.verify import iter_error_records


def test_processing_failed_document() -> None:
    line = processing_failure(
        b"raw\xff",
        arrival_ms=1,
        error_code="Lambda.FunctionError",
        error_message="m",
        attempts=4,
        ending_ms=2,
        lambda_arn="arn",
    )
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    document = json.loads(line)
    assert list(document) == [
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "lambdaArn",
    ]
    assert base64.b64decode(document["rawData"]) == b"raw\xff"
    (record,) = iter_error_records("processing-failed/x", line)  # what `firehose-s3 verify` reads
    assert (record.raw_data, record.error_code) == (b"raw\xff", "Lambda.FunctionError")


def test_conversion_failed_document() -> None:
    table = {
        "catalogId": "1",
        "databaseName": "d",
        "tableName": "t",
        "region": "r",
        "versionId": "LATEST",
        "catalogArn": "a",
    }
    document = json.loads(
        conversion_failure(
            b"{", arrival_ms=1, error_code="C", error_message="M", ending_ms=2, sequence_number="7", catalog_table=table
        )
    )
    assert list(document) == [
        "attemptsMade",
        "arrivalTimestamp",
        "lastErrorCode",
        "lastErrorMessage",
        "attemptEndingTimestamp",
        "rawData",
        "sequenceNumber",
        "subSequenceNumber",
        "dataCatalogTable",
    ]
    assert document["dataCatalogTable"] == table


def test_other_documents_have_no_lambda_arn() -> None:
    document = json.loads(error_document(b"x", arrival_ms=1, error_code="C", error_message="M", ending_ms=2))
    assert "lambdaArn" not in document
    assert document["attemptsMade"] == 1

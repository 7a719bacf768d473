"""Happy path against moto's Firehose (one S3 object per PutRecordBatch call, uncompressed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from firehose_s3_client.producer import FirehoseProducer

REGION = "us-east-1"
BUCKET = "producer-test-bucket"
STREAM = "producer-test-stream"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        firehose = boto3.client("firehose", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": "data/",
                "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
                "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
                "CompressionFormat": "UNCOMPRESSED",
            },
        )
        yield s3, firehose


def read_lines(s3: Any) -> tuple[int, list[bytes]]:
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    ]
    lines = [line for key in keys for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()]
    return len(keys), lines


@pytest.mark.parametrize(("aggregate", "objects"), [(True, 1), (False, 3)])
def test_records_reach_s3_through_moto(aws: tuple[Any, Any], aggregate: bool, objects: int) -> None:
    s3, firehose = aws
    records = [{"id": i, "event": "click", "user": f"u{i % 17}"} for i in range(1200)]
    with FirehoseProducer(STREAM, client=firehose, aggregate=aggregate) as producer:
        for record in records:
            producer.put(record)
    count, lines = read_lines(s3)
    assert count == objects == producer.stats.api_calls  # moto writes one object per call
    assert len(lines) == len(records)
    assert sorted(json.loads(line)["id"] for line in lines) == list(range(1200))
    assert producer.stats.records_delivered == 1200


def test_default_client_from_the_environment(aws: tuple[Any, Any]) -> None:
    s3, _ = aws
    with FirehoseProducer(STREAM, region_name=REGION) as producer:
        producer.put("plain text line")
        producer.put(b'{"already":"newline-terminated"}\n')
    _, lines = read_lines(s3)
    assert lines == [b"plain text line", b'{"already":"newline-terminated"}']

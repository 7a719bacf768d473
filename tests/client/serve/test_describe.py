"""DescribeDeliveryStream's description: the template's configuration resolved, with Firehose's defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firehose_s3_client.serve.describe import description

ROLE = "arn:aws:iam::123456789012:role/firehose"


def _destination(stream: Any) -> dict[str, Any]:
    (destination,) = description(stream)["Destinations"]
    assert destination["DestinationId"] == "destinationId-000000000001"
    return dict(destination)


def test_a_plain_stream_gets_firehose_s_defaults(streams: Any) -> None:
    plain = streams.by_name("Plain")
    described = description(plain)
    assert {key: described[key] for key in list(described)[:7]} == {
        "DeliveryStreamName": "Plain",
        "DeliveryStreamARN": "arn:aws:firehose:us-east-1:123456789012:deliverystream/Plain",
        "DeliveryStreamStatus": "ACTIVE",
        "DeliveryStreamEncryptionConfiguration": {"Status": "DISABLED"},
        "DeliveryStreamType": "DirectPut",
        "VersionId": "1",
        "CreateTimestamp": 1_795_683_600.0,
    }
    assert "Source" not in described
    assert described["HasMoreDestinations"] is False
    destination = _destination(plain)
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended == {
        "RoleARN": ROLE,
        "BucketARN": "arn:aws:s3:::databucket",
        "Prefix": "data/",
        "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": False},
        "S3BackupMode": "Disabled",
    }
    basic = destination["S3DestinationDescription"]
    assert basic == {key: value for key, value in extended.items() if key != "S3BackupMode"}


def test_server_side_encryption_and_defaulted_buffering(streams: Any) -> None:
    orders = streams.by_name("orders")
    described = description(orders)
    assert described["DeliveryStreamEncryptionConfiguration"] == {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    extended = _destination(orders)["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert extended["CompressionFormat"] == "GZIP"


def test_the_source_record_backup_is_described(streams: Any) -> None:
    extended = _destination(streams.by_name("BackedUp"))["ExtendedS3DestinationDescription"]
    assert extended["S3BackupMode"] == "Enabled"
    assert extended["S3BackupDescription"] == {
        "RoleARN": ROLE,
        "BucketARN": "arn:aws:s3:::backupbucket",
        "Prefix": "backup/",
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
        "CompressionFormat": "UNCOMPRESSED",
        "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
        "CloudWatchLoggingOptions": {"Enabled": False},
    }


def test_a_kinesis_source_is_described_with_its_stream(streams: Any) -> None:
    described = description(streams.by_name("FromKinesis"))
    assert described["DeliveryStreamType"] == "KinesisStreamAsSource"
    assert described["Source"] == {
        "KinesisStreamSourceDescription": {
            "KinesisStreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/SourceStream",
            "RoleARN": "arn:aws:iam::123456789012:role/reader",
            "DeliveryStartTimestamp": 1_795_683_600.0,
        }
    }


def test_buckets_of_an_s3_endpoint_are_named_by_their_real_names(
    make_streams: Callable[..., Any], conforms: Callable[[Any, str], None]
) -> None:
    streams = make_streams(
        out=None,
        endpoint_url="http://127.0.0.1:9",
        bucket=["DataBucket=real-data", "Test/BackupBucket=real-backup"],
    )
    extended = _destination(streams.by_name("BackedUp"))["ExtendedS3DestinationDescription"]
    assert extended["BucketARN"] == "arn:aws:s3:::real-data"
    assert extended["S3BackupDescription"]["BucketARN"] == "arn:aws:s3:::real-backup"
    conforms({"DeliveryStreamDescription": description(streams.by_name("BackedUp"))}, "DescribeDeliveryStream")

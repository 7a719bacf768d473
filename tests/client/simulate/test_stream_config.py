"""Reading a delivery stream: every property reproduced, noted or refused by name; picking a stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from simulator_helpers import BACKUP_ID, BUCKET_ID, bucket_arn, stream_config, stream_resource, write_assembly

from firehose_s3_client.simulate.assembly import load_stack
from firehose_s3_client.simulate.processor_config import UnsupportedConfigurationError
from firehose_s3_client.simulate.stream_config import choose_stream

MIB = 1024 * 1024


def _read(tmp_path: Path, resource: dict[str, Any], **extra: dict[str, Any]) -> Any:
    return stream_config(write_assembly(tmp_path / "cdk.out", {"Stream": resource, **extra}))


def test_defaults_are_firehoses(tmp_path: Path) -> None:
    config = _read(tmp_path, stream_resource())
    assert config.name == "Stream"  # no DeliveryStreamName: the logical ID
    assert config.arn == "arn:aws:firehose:us-east-1:123456789012:deliverystream/Stream"
    destination = config.destination
    assert (destination.bucket, destination.compression) == (BUCKET_ID, "UNCOMPRESSED")
    assert (destination.buffering.size_bytes, destination.buffering.interval_seconds) == (5 * MIB, 300)
    assert config.backup is None
    assert config.version == 1


def test_conversion_defaults_the_buffer_to_128_mib(tmp_path: Path) -> None:
    conversion = {"Enabled": True, "SchemaConfiguration": {}}
    config = _read(tmp_path, stream_resource(DataFormatConversionConfiguration=conversion))
    assert config.destination.buffering.size_bytes == 128 * MIB
    assert config.conversion == conversion


def test_a_named_stream_with_backup_and_kinesis_source(tmp_path: Path) -> None:
    resource = stream_resource(
        S3BackupMode="Enabled",
        S3BackupConfiguration={"BucketARN": bucket_arn(BACKUP_ID), "CompressionFormat": "GZIP", "Prefix": "raw/"},
        CompressionFormat="Snappy",
        FileExtension=".snappy",
        CustomTimeZone="Asia/Tokyo",
        EncryptionConfiguration={"NoEncryptionConfig": "NoEncryption"},
    )
    resource["Properties"].update(
        DeliveryStreamName="events",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": {"Fn::GetAtt": ["Source", "Arn"]}, "RoleARN": "r"},
    )
    source = {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 6}}
    config = _read(tmp_path, resource, Source=source)
    assert config.name == "events"
    assert config.source_kinesis_arn == "arn:aws:kinesis:us-east-1:123456789012:stream/Source"
    assert config.source_shards == 6
    assert config.backup is not None
    assert (config.backup.bucket, config.backup.prefix, config.backup.compression) == (BACKUP_ID, "raw/", "GZIP")
    assert (config.destination.file_extension, config.destination.time_zone) == (".snappy", "Asia/Tokyo")
    assert any("EncryptionConfiguration" in note and "unencrypted" in note for note in config.notes)
    assert any("KPL" in note for note in config.notes)


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ({"Unknown": 1}, "ExtendedS3DestinationConfiguration.Unknown is not supported"),
        ({"CompressionFormat": "SNAPPY"}, "'SNAPPY' is not one of"),
        ({"BufferingHints": {"SizeInMBs": 200, "IntervalInSeconds": 60}}, "SizeInMBs must be 1-128"),
        ({"S3BackupMode": "Enabled"}, "needs an S3BackupConfiguration"),
        ({"DynamicPartitioningConfiguration": {"Enabled": True}}, "needs an ErrorOutputPrefix"),
        (
            {"DataFormatConversionConfiguration": {"Enabled": True}, "CompressionFormat": "GZIP"},
            "must be UNCOMPRESSED with data format conversion",
        ),
    ],
)
def test_what_is_not_reproduced_is_refused_by_name(tmp_path: Path, destination: dict[str, Any], message: str) -> None:
    with pytest.raises(UnsupportedConfigurationError, match=message):
        _read(tmp_path, stream_resource(**destination))


def test_other_destinations_and_sources_are_refused(tmp_path: Path) -> None:
    resource = stream_resource()
    resource["Properties"]["HttpEndpointDestinationConfiguration"] = {}
    with pytest.raises(UnsupportedConfigurationError, match="HttpEndpointDestinationConfiguration: only S3"):
        _read(tmp_path / "a", resource)
    resource = stream_resource()
    resource["Properties"]["DeliveryStreamType"] = "MSKAsSource"
    with pytest.raises(UnsupportedConfigurationError, match="'MSKAsSource' is not simulated"):
        _read(tmp_path / "b", resource)


def test_choosing_a_stream(tmp_path: Path) -> None:
    named = stream_resource()
    named["Properties"]["DeliveryStreamName"] = "clicks"
    stack = load_stack(write_assembly(tmp_path / "cdk.out", {"Stream": stream_resource(), "Other": named}), "Test")
    assert choose_stream(stack, "Other") == "Other"
    assert choose_stream(stack, "clicks") == "Other"
    with pytest.raises(
        UnsupportedConfigurationError, match="several delivery streams: pass --stream with one of Other, Stream"
    ):
        choose_stream(stack, None)
    with pytest.raises(UnsupportedConfigurationError, match="no delivery stream 'Nope'"):
        choose_stream(stack, "Nope")


def test_a_stream_is_found_by_construct_path(sample_assembly: Path) -> None:
    stack = load_stack(sample_assembly, "FirehoseS3WebLogs")
    for selector in (
        "FirehoseS3WebLogs/Pipeline/DeliveryStream",
        "/FirehoseS3WebLogs/Pipeline/DeliveryStream/Resource",
    ):
        assert choose_stream(stack, selector) == "PipelineDeliveryStreamF8B7CD7E"

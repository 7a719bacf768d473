"""FirehoseToS3 stacks shared by several test modules (pipeline, storage, delivery role, encryption).

Each is built and synthesized once per test session; the tests only read them.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app, template_json
from cdk_helpers.pipeline import BuiltPipeline, build_pipeline
from cdk_helpers.resolve import Scratch, make_scratch

from firehose_s3_constructs import FirehoseToS3, ProcessorOptions, TransformOptions


@pytest.fixture(scope="session")
def default_pipeline() -> BuiltPipeline:
    """``FirehoseToS3(stack, "Pipeline")`` with every default."""
    return build_pipeline()


@pytest.fixture(scope="session")
def kinesis_pipeline() -> BuiltPipeline:
    """A Kinesis source encrypted with a customer managed key (``StreamKey``)."""
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    stream = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    pipeline = FirehoseToS3(stack, "Pipeline", source_stream=stream)
    return BuiltPipeline(stack, pipeline, template_json(stack))


@pytest.fixture(scope="session")
def kms_pipeline() -> BuiltPipeline:
    """SSE-KMS with a created key, and every destination option set to a non-default value."""
    return build_pipeline(
        bucket_encryption=s3.BucketEncryption.KMS,
        buffering_size=cdk.Size.mebibytes(64),
        buffering_interval=cdk.Duration.seconds(60),
        compression=firehose.Compression.SNAPPY,
        file_extension=".json.snappy",
        time_zone=cdk.TimeZone.ASIA_SEOUL,
        delivery_stream_name="web-logs",
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )


@pytest.fixture(scope="session")
def backup_pipeline() -> BuiltPipeline:
    """Source-record backup on, SSE-KMS."""
    return build_pipeline(source_backup=True, bucket_encryption=s3.BucketEncryption.KMS)


@pytest.fixture(scope="session")
def transformed_pipeline() -> BuiltPipeline:
    """The library's transform (drop ``email``) with 0 retries and a 512 KiB processor buffer."""
    return build_pipeline(
        transform=TransformOptions(drop_fields=("email",)),
        transform_processor=ProcessorOptions(retries=0, buffer_size=cdk.Size.kibibytes(512)),
    )


@pytest.fixture(scope="session")
def scratch() -> Scratch:
    """Constructs the options of the resolve tests refer to (never synthesized)."""
    return make_scratch()

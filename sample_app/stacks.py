"""Deployable, environment-agnostic stacks of the sample app."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from firehose_s3_constructs import FirehoseToS3
from firehose_s3_constructs.compliance import acknowledge
from firehose_s3_constructs.transform import TransformOptions

__all__ = ["KinesisSourceStack", "PipelineStack", "add_pipeline_outputs", "add_sample_stacks"]


def add_pipeline_outputs(stack: Stack, pipeline: FirehoseToS3) -> None:
    """The names a producer and ``firehose-s3 verify`` need after ``cdk deploy``."""
    CfnOutput(stack, "DeliveryStreamName", value=pipeline.delivery_stream.delivery_stream_name)
    CfnOutput(stack, "BucketName", value=pipeline.bucket.bucket_name)
    CfnOutput(stack, "LogGroupName", value=pipeline.log_group.log_group_name)


class PipelineStack(Stack):
    """Direct PUT into the default secure pipeline, with the seed document's transform (drop ``email``)."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.pipeline = FirehoseToS3(self, "Pipeline", transform=TransformOptions(drop_fields=("email",)))
        add_pipeline_outputs(self, self.pipeline)


class KinesisSourceStack(Stack):
    """A Kinesis Data Stream encrypted with a customer managed key, read by Firehose into S3."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        stream_key = kms.Key(
            self,
            "StreamKey",
            description="Encrypts the source Kinesis data stream",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.source_stream = kinesis.Stream(
            self,
            "SourceStream",
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=stream_key,
            stream_mode=kinesis.StreamMode.ON_DEMAND,
            retention_period=Duration.hours(24),
        )
        acknowledge(
            self.source_stream,
            {
                "AwsSolutions-KDS3": (
                    "This sample shows a source stream encrypted with a customer managed key on purpose: it "
                    "exercises the delivery role's kms:Decrypt grant on that key."
                )
            },
        )
        self.pipeline = FirehoseToS3(
            self, "Pipeline", source_stream=self.source_stream, bucket_encryption=s3.BucketEncryption.KMS
        )
        add_pipeline_outputs(self, self.pipeline)
        CfnOutput(self, "SourceStreamName", value=self.source_stream.stream_name)


def add_sample_stacks(app: App) -> dict[str, Stack]:
    """Every stack of the sample app, by stack name (app.py and the snapshot tests share this)."""
    return {
        "FirehoseS3Pipeline": PipelineStack(
            app, "FirehoseS3Pipeline", description="Direct PUT Firehose to a hardened S3 bucket"
        ),
        "FirehoseS3KinesisSource": KinesisSourceStack(
            app, "FirehoseS3KinesisSource", description="Encrypted Kinesis Data Stream to S3 through Firehose"
        ),
    }

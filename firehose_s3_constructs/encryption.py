"""The pipeline's data key, and the KMS key policy additions shared by the constructs that encrypt CloudWatch Logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

if TYPE_CHECKING:  # options imports the transform package, which imports this module
    from .options import PipelineOptions

__all__ = ["allow_cloudwatch_logs", "data_key"]

_SID = "AllowCloudWatchLogsForLogGroupsOfThisAccount"


def allow_cloudwatch_logs(key: kms.IKey) -> None:
    """Let CloudWatch Logs use ``key`` for this account's log groups in this Region.

    Creating a log group with a KMS key fails unless the key policy allows the Region's logs service
    principal (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html); the
    encryption-context condition limits it to log groups of this account and Region. An imported key's
    policy cannot be changed here (no-op): its owner must add the same statement. Idempotent per key.
    """
    if key.node.try_find_child(_SID) is not None:
        return
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=_SID,
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        ),
        allow_no_op=True,
    )
    # A marker child records that the statement is in place (constructs have no other per-key state).
    if isinstance(key, Construct):
        Construct(key, _SID)


def data_key(scope: Construct, o: PipelineOptions) -> kms.IKey | None:
    """The key of the objects Firehose writes: given, the given bucket's, or created for KMS encryption.

    With ``bucket=`` and ``bucket_encryption=KMS`` but no key known for the bucket, a key is created and
    Firehose encrypts every object with it (the destination's ``EncryptionConfiguration``), whatever the
    bucket's default encryption.
    """
    if o.encryption_key is not None:
        return o.encryption_key
    if o.bucket is not None and o.bucket.encryption_key is not None:
        return o.bucket.encryption_key
    if o.bucket_encryption != s3.BucketEncryption.KMS:
        return None
    return kms.Key(
        scope,
        "DataKey",
        description="Encrypts the Firehose pipeline's S3 objects and error logs",
        enable_key_rotation=True,
        removal_policy=o.removal_policy,
    )

"""KMS key policy additions shared by the constructs that encrypt CloudWatch Logs with a customer key."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

__all__ = ["allow_cloudwatch_logs"]

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

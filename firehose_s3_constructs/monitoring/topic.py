"""The SNS topic every alarm notifies: TLS-only, encrypted with a key CloudWatch may use."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

__all__ = ["create_alarm_topic"]


def create_alarm_topic(scope: Construct) -> tuple[sns.Topic, kms.Key]:
    """A TLS-only topic (``AlarmTopic``) encrypted with a rotating key CloudWatch may use (``AlarmTopicKey``).

    CloudWatch cannot publish to a topic encrypted with the AWS managed ``alias/aws/sns`` key, and the
    topic policy that ``enforce_ssl`` creates replaces SNS's default policy, so both the key policy and
    the topic policy grant ``cloudwatch.amazonaws.com`` explicitly (the topic policy only for alarms of
    this account). The key protects nothing but notifications in flight, so it is scheduled for deletion
    with the stack instead of being retained.
    """
    key = kms.Key(
        scope,
        "AlarmTopicKey",
        description="Encrypts the Firehose pipeline's alarm notifications (CloudWatch may use it)",
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToUseTheKey",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
    )
    topic = sns.Topic(
        scope,
        "AlarmTopic",
        display_name="Firehose pipeline alarms",
        master_key=key,
        enforce_ssl=True,
    )
    stack = Stack.of(scope)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsOfThisAccount",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {
                    "aws:SourceArn": stack.format_arn(
                        service="cloudwatch",
                        resource="alarm",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                },
            },
        )
    )
    return topic, key

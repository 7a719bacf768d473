"""CloudWatch Logs subscription filters that send a log group's events to a Firehose stream."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as logs_destinations
from constructs import Construct

__all__ = ["LogSubscriptions"]


class LogSubscriptions(Construct):
    """The subscription filters of one delivery stream, and the one role CloudWatch Logs assumes for them.

    The role is trusted only for this account's log groups in this Region and may only call PutRecord and
    PutRecordBatch on the stream (a customer managed policy: the filters depend on it, because CloudWatch Logs
    checks that it may put records when a filter is created).

    Attributes:
        role, policy: the role and its policy. filters: the subscription filters, in order.
    """

    def __init__(self, scope: Construct, id: str, *, delivery_stream: firehose.IDeliveryStream) -> None:
        super().__init__(scope, id)
        self.delivery_stream = delivery_stream
        self.filters: list[logs.SubscriptionFilter] = []
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "logs.amazonaws.com",
                conditions={"StringLike": {"aws:SourceArn": stack.format_arn(service="logs", resource="*")}},
            ),
            description="Lets CloudWatch Logs subscription filters put records to one Firehose stream only",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="PutLogRecords",
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[delivery_stream.delivery_stream_arn],
                )
            ],
        )

    def add(
        self, log_group: logs.ILogGroup, *, filter_pattern: logs.IFilterPattern | None, filter_name: str | None
    ) -> logs.SubscriptionFilter:
        """Subscribe ``log_group`` (all events unless ``filter_pattern``)."""
        subscription = logs.SubscriptionFilter(
            self,
            f"Filter{len(self.filters) + 1}",
            log_group=log_group,
            # without_policy_updates: the destination would otherwise add an inline policy of its own.
            destination=logs_destinations.FirehoseDestination(
                self.delivery_stream, role=self.role.without_policy_updates()
            ),
            filter_pattern=filter_pattern or logs.FilterPattern.all_events(),
            filter_name=filter_name,
        )
        subscription.node.add_dependency(self.policy)
        self.filters.append(subscription)
        return subscription

"""LogSubscriptions / FirehoseToS3.subscribe: the CloudWatch Logs -> Firehose route (the seed's log storage)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_logs as logs
from cdk_helpers import make_app, nag_findings, only, resources_of, template_json
from constructs import IConstruct

from firehose_s3_constructs import ConfigurationError, FirehoseToS3

Template = dict[str, Any]


def logical_id(construct: IConstruct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, cdk.CfnElement)
    return cdk.Stack.of(construct).get_logical_id(resource)


@pytest.fixture(scope="module")
def subscribed() -> tuple[FirehoseToS3, Template]:
    stack = cdk.Stack(make_app(), "Test")
    first = logs.LogGroup(stack, "First")
    second = logs.LogGroup.from_log_group_name(stack, "Second", "/app/second")
    pipeline = FirehoseToS3(stack, "P", decompression=True, log_message_extraction=True)
    pipeline.subscribe(first)
    pipeline.subscribe(second, filter_pattern=logs.FilterPattern.literal("ERROR"), filter_name="errors-only")
    return pipeline, template_json(stack)


def test_each_log_group_gets_a_filter_to_the_stream(subscribed: tuple[FirehoseToS3, Template]) -> None:
    pipeline, template = subscribed
    filters = resources_of(template, "AWS::Logs::SubscriptionFilter")
    assert len(filters) == 2
    stream_arn = {"Fn::GetAtt": [logical_id(pipeline.delivery_stream), "Arn"]}
    role_arn = {"Fn::GetAtt": [logical_id(pipeline.log_subscriptions.role), "Arn"]}  # type: ignore[union-attr]
    for resource in filters.values():
        assert resource["Properties"]["DestinationArn"] == stream_arn
        assert resource["Properties"]["RoleArn"] == role_arn
    patterns = sorted(r["Properties"]["FilterPattern"] for r in filters.values())
    assert patterns == ["", "ERROR"]
    assert any(r["Properties"].get("FilterName") == "errors-only" for r in filters.values())


def test_one_role_trusted_by_this_accounts_log_groups_may_only_put_records(
    subscribed: tuple[FirehoseToS3, Template],
) -> None:
    pipeline, template = subscribed
    assert pipeline.log_subscriptions is not None
    role = template["Resources"][logical_id(pipeline.log_subscriptions.role)]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":logs:",
                                {"Ref": "AWS::Region"},
                                ":",
                                {"Ref": "AWS::AccountId"},
                                ":*",
                            ],
                        ]
                    }
                }
            },
            "Effect": "Allow",
            "Principal": {"Service": "logs.amazonaws.com"},
        }
    ]
    assert "Policies" not in role["Properties"]  # no inline policy: the destination's grant is refused
    policy = template["Resources"][logical_id(pipeline.log_subscriptions.policy)]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(pipeline.delivery_stream), "Arn"]},
            "Sid": "PutLogRecords",
        }
    ]
    assert not resources_of(template, "AWS::IAM::Policy")


def test_filters_wait_for_the_policy(subscribed: tuple[FirehoseToS3, Template]) -> None:
    pipeline, template = subscribed
    assert pipeline.log_subscriptions is not None
    policy_id = logical_id(pipeline.log_subscriptions.policy)
    for resource in resources_of(template, "AWS::Logs::SubscriptionFilter").values():
        assert policy_id in resource["DependsOn"]


def test_the_route_decompresses_extracts_messages_and_adds_newlines(subscribed: tuple[FirehoseToS3, Template]) -> None:
    _, template = subscribed
    destination = only(template, "AWS::KinesisFirehose::DeliveryStream")["Properties"][
        "ExtendedS3DestinationConfiguration"
    ]
    processors = destination["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["Decompression", "CloudWatchLogProcessing", "AppendDelimiterToRecord"]
    assert processors[1]["Parameters"] == [{"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}]


def test_subscribe_needs_a_direct_put_stream() -> None:
    stack = cdk.Stack(make_app(), "Test")
    pipeline = FirehoseToS3(stack, "P", source_stream=kinesis.Stream(stack, "Source"))
    with pytest.raises(ConfigurationError, match=r"^Test/P: subscribe needs a Direct PUT stream"):
        pipeline.subscribe(logs.LogGroup(stack, "Logs"))


def test_the_route_is_nag_clean() -> None:
    app = make_app(nag=True)
    stack = cdk.Stack(app, "Test")
    source = logs.LogGroup(stack, "AppLogs")
    FirehoseToS3(stack, "P", decompression=True, log_message_extraction=True).subscribe(source)
    # The subscribed group is the test's own (unencrypted on purpose): only the pipeline's constructs count.
    assert [f for f in nag_findings(app) if not f[1].startswith("Test/AppLogs")] == []

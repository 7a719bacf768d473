"""error_log_group: where Firehose logs delivery errors (CloudWatchLoggingOptions), created, given or off."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from cdk_helpers import logical_id, make_app, resources_of, template_json
from cdk_helpers.pipeline import BuiltPipeline, destination_of
from constructs import Construct

from firehose_s3_constructs import FirehoseToS3, PipelineOptions
from firehose_s3_constructs.error_logs import error_log_group


def test_default_error_logging_is_wired_to_a_one_year_log_group(default_pipeline: BuiltPipeline) -> None:
    template = default_pipeline.template
    logging = destination_of(template)["CloudWatchLoggingOptions"]
    group_id = logical_id(template, "AWS::Logs::LogGroup")
    assert logging["Enabled"] is True
    assert logging["LogGroupName"] == {"Ref": group_id}
    stream_id = logging["LogStreamName"]["Ref"]
    assert template["Resources"][stream_id]["Type"] == "AWS::Logs::LogStream"
    group = template["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == 365
    assert group["DeletionPolicy"] == "Retain"
    assert "KmsKeyId" not in group["Properties"]


def test_own_error_log_group_or_none() -> None:
    stack = cdk.Stack(make_app(), "Test")
    group = logs.LogGroup.from_log_group_name(stack, "Central", "/central/firehose")
    FirehoseToS3(stack, "P", error_log_group=group)
    FirehoseToS3(stack, "Q", error_logging=False)
    template = template_json(stack)
    streams = {
        k[0]: v["Properties"]["ExtendedS3DestinationConfiguration"]
        for k, v in resources_of(template, "AWS::KinesisFirehose::DeliveryStream").items()
    }
    assert streams["P"]["CloudWatchLoggingOptions"]["LogGroupName"] == "/central/firehose"
    assert "CloudWatchLoggingOptions" not in streams["Q"]  # Firehose's default: no error logging
    assert not resources_of(template, "AWS::Logs::LogGroup")
    log_streams = resources_of(template, "AWS::Logs::LogStream")
    assert [v["Properties"]["LogGroupName"] for v in log_streams.values()] == ["/central/firehose"]


def test_off_given_or_created_with_the_pipelines_key() -> None:
    stack = cdk.Stack(make_app(), "Test")
    given = logs.LogGroup.from_log_group_name(stack, "Central", "/central/firehose")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    assert error_log_group(stack, PipelineOptions(error_logging=False), key) is None
    assert error_log_group(stack, PipelineOptions(error_log_group=given), key) is given
    encrypted = error_log_group(Construct(stack, "WithKey"), PipelineOptions(), key)
    plain = error_log_group(Construct(stack, "WithoutKey"), PipelineOptions(), None)
    assert isinstance(encrypted, logs.LogGroup)
    assert isinstance(plain, logs.LogGroup)
    template = template_json(stack)
    groups = {
        name: template["Resources"][logical_id(template, "AWS::Logs::LogGroup", name)]
        for name in ("WithKey", "WithoutKey")
    }
    assert groups["WithKey"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key"), "Arn"]}
    assert "checkov" not in groups["WithKey"].get("Metadata", {})
    # Without a key, the service-managed encryption is acknowledged, narrowly, on that group alone.
    assert "KmsKeyId" not in groups["WithoutKey"]["Properties"]
    assert [c["id"] for c in groups["WithoutKey"]["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_158"]

"""data_key, the key of the objects Firehose writes; allow_cloudwatch_logs, the key-policy statement that lets
CloudWatch Logs encrypt this account's log groups."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_helpers import logical_id, make_app, template_json
from cdk_helpers.pipeline import BuiltPipeline

from firehose_s3_constructs import PipelineOptions
from firehose_s3_constructs.encryption import allow_cloudwatch_logs, data_key

SID = "AllowCloudWatchLogsForLogGroupsOfThisAccount"


def _logs_statements(template: dict[str, Any], key: str = "Key") -> list[dict[str, Any]]:
    statements = template["Resources"][logical_id(template, "AWS::KMS::Key", key)]["Properties"]["KeyPolicy"][
        "Statement"
    ]
    return [s for s in statements if s.get("Sid") == SID]


def test_statement_admits_the_regions_logs_service_for_this_accounts_log_groups() -> None:
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    allow_cloudwatch_logs(key)
    allow_cloudwatch_logs(key)  # idempotent
    (statement,) = _logs_statements(template_json(stack))
    assert statement == {
        "Sid": SID,
        "Effect": "Allow",
        "Principal": {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":logs:",
                            {"Ref": "AWS::Region"},
                            ":",
                            {"Ref": "AWS::AccountId"},
                            ":log-group:*",
                        ],
                    ]
                }
            }
        },
    }


def test_imported_key_is_left_unchanged() -> None:
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key.from_key_arn(stack, "Imported", "arn:aws:kms:eu-west-1:111122223333:key/abc")
    allow_cloudwatch_logs(key)  # no-op: an imported key's policy belongs to its owner
    logs.LogGroup(stack, "Group", encryption_key=key)
    assert "AWS::KMS::Key" not in {r["Type"] for r in template_json(stack)["Resources"].values()}


def test_pipeline_key_lets_its_error_log_group_be_encrypted(kms_pipeline: BuiltPipeline) -> None:
    (statement,) = _logs_statements(kms_pipeline.template, "DataKey")
    assert list(statement["Condition"]) == ["ArnLike"]
    assert _logs_statements(kms_pipeline.template, "AlarmTopicKey") == []


def test_data_key_is_the_given_one_the_buckets_or_created_for_kms() -> None:
    stack = cdk.Stack(make_app(), "Keys")
    given = kms.Key(stack, "Given", enable_key_rotation=True)
    bucket_key = kms.Key(stack, "BucketKey", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Existing", encryption_key=bucket_key)
    assert data_key(stack, PipelineOptions(encryption_key=given, bucket=bucket)) is given
    assert data_key(stack, PipelineOptions(bucket=bucket)) is bucket_key
    assert data_key(stack, PipelineOptions()) is None  # SSE-S3: no key
    created = data_key(stack, PipelineOptions(bucket_encryption=s3.BucketEncryption.KMS))
    assert isinstance(created, kms.Key)
    assert created.node.id == "DataKey"
    template = template_json(stack)
    key = template["Resources"][logical_id(template, "AWS::KMS::Key", "DataKey")]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"  # the pipeline's removal policy: data stays readable

"""The delivery role: trusted by Firehose only, and exactly the statements each capability needs."""

from __future__ import annotations

import pytest
from cdk_helpers import as_list, logical_id, only
from cdk_helpers.pipeline import BuiltPipeline, build_pipeline, destination_of, policy_statements, statement

from firehose_s3_constructs.delivery_role import S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS, object_resource


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("data/year=!{timestamp:yyyy}/", "arn:bucket/data/year=*"),
        ("plain/", "arn:bucket/plain/*"),
        ("!{timestamp:yyyy}/", "arn:bucket/*"),
        ("", "arn:bucket/*"),
    ],
)
def test_object_resource_is_the_static_part_of_the_prefix(prefix: str, expected: str) -> None:
    assert object_resource("arn:bucket", prefix) == expected


def test_role_trusts_only_firehose_from_this_account(default_pipeline: BuiltPipeline) -> None:
    role = only(default_pipeline.template, "AWS::IAM::Role")["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "firehose.amazonaws.com"},
        }
    ]
    assert "Policies" not in role  # no inline policy
    assert "ManagedPolicyArns" not in role


def test_policy_has_exactly_the_documented_s3_actions(default_pipeline: BuiltPipeline) -> None:
    template = default_pipeline.template
    bucket_id = logical_id(template, "AWS::S3::Bucket", "PipelineBucket")
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    bucket_statement = statement(template, "DeliveryBucket")
    assert sorted(bucket_statement["Action"]) == sorted(S3_BUCKET_ACTIONS)
    assert bucket_statement["Resource"] == bucket_arn
    objects = statement(template, "DeliveryObjects")
    assert sorted(objects["Action"]) == sorted(S3_OBJECT_ACTIONS)
    assert objects["Resource"] == [
        {"Fn::Join": ["", [bucket_arn, "/data/year=*"]]},
        {"Fn::Join": ["", [bucket_arn, "/errors/*"]]},
    ]
    statements = policy_statements(template)
    all_actions = [a for s in statements for a in as_list(s["Action"])]
    assert sorted(set(S3_BUCKET_ACTIONS + S3_OBJECT_ACTIONS)) == sorted(a for a in all_actions if a[:3] == "s3:")
    assert not any("*" in action for action in all_actions)
    assert not any(r == "*" for s in statements for r in as_list(s["Resource"]))


def test_logs_permission_is_the_exact_log_stream(default_pipeline: BuiltPipeline) -> None:
    template = default_pipeline.template
    logging = statement(template, "ErrorLogging")
    assert logging["Action"] == "logs:PutLogEvents"
    group_id = logical_id(template, "AWS::Logs::LogGroup")
    stream_id = destination_of(template)["CloudWatchLoggingOptions"]["LogStreamName"]["Ref"]
    parts = logging["Resource"]["Fn::Join"][1]
    assert {"Ref": group_id} in parts
    assert {"Ref": stream_id} in parts
    assert ":log-stream:" in parts


def test_no_kms_or_kinesis_statements_without_keys_or_source(default_pipeline: BuiltPipeline) -> None:
    actions = [a for s in policy_statements(default_pipeline.template) for a in as_list(s["Action"])]
    assert not [a for a in actions if a.startswith(("kms:", "kinesis:", "lambda:", "glue:"))]


# --- Kinesis source -------------------------------------------------------------------------------------
def test_kinesis_source_is_read_with_the_four_documented_actions(kinesis_pipeline: BuiltPipeline) -> None:
    template = kinesis_pipeline.template
    source_id = logical_id(template, "AWS::Kinesis::Stream")
    read = statement(template, "ReadSourceStream")
    assert sorted(read["Action"]) == [
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ]
    assert read["Resource"] == {"Fn::GetAtt": [source_id, "Arn"]}


def test_kinesis_source_with_customer_key_gets_decrypt_on_that_key(kinesis_pipeline: BuiltPipeline) -> None:
    template = kinesis_pipeline.template
    key_id = logical_id(template, "AWS::KMS::Key", "StreamKey")
    decrypt = statement(template, "DecryptSourceStream")
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["kinesis.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }


# --- SSE-KMS --------------------------------------------------------------------------------------------
def test_kms_statement_is_scoped_by_service_and_encryption_context(kms_pipeline: BuiltPipeline) -> None:
    template = kms_pipeline.template
    kms = statement(template, "DeliveryKms")
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    key_id = logical_id(template, "AWS::KMS::Key", "DataKey")
    assert kms["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert kms["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    data_id = logical_id(template, "AWS::S3::Bucket", "PipelineBucket")
    bucket_arn = {"Fn::GetAtt": [data_id, "Arn"]}
    # Both the bucket (S3 Bucket Keys) and its objects must be admitted.
    assert kms["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        bucket_arn,
        {"Fn::Join": ["", [bucket_arn, "/data/year=*"]]},
        {"Fn::Join": ["", [bucket_arn, "/errors/*"]]},
    ]


# --- prefixes -------------------------------------------------------------------------------------------
def test_custom_static_prefix_scopes_objects_to_it() -> None:
    template = build_pipeline(data_output_prefix="firehose-output/", error_output_prefix="firehose-errors/").template
    resources = statement(template, "DeliveryObjects")["Resource"]
    suffixes = [r["Fn::Join"][1][1] for r in resources]
    assert suffixes == ["/firehose-errors/*", "/firehose-output/*"]


def test_prefix_starting_with_an_expression_needs_the_whole_bucket() -> None:
    template = build_pipeline(
        data_output_prefix="!{timestamp:yyyy}/", error_output_prefix="!{firehose:error-output-type}/"
    ).template
    resources = as_list(statement(template, "DeliveryObjects")["Resource"])
    assert [r["Fn::Join"][1][1] for r in resources] == ["/*"]


# --- backup and transform -------------------------------------------------------------------------------
def test_backup_has_its_own_log_stream_and_scoped_permissions(backup_pipeline: BuiltPipeline) -> None:
    template = backup_pipeline.template
    backup = destination_of(template)["S3BackupConfiguration"]
    backup_stream = backup["CloudWatchLoggingOptions"]["LogStreamName"]
    main_stream = destination_of(template)["CloudWatchLoggingOptions"]["LogStreamName"]
    assert backup_stream != main_stream
    resources = as_list(statement(template, "ErrorLogging")["Resource"])
    assert len(resources) == 2
    backup_id = logical_id(template, "AWS::S3::Bucket", "BackupBucket")
    objects = statement(template, "BackupObjects")
    assert objects["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [backup_id, "Arn"]}, "/source-records/*"]]}
    assert sorted(objects["Action"]) == sorted(S3_OBJECT_ACTIONS)
    assert "BackupKms" in {s["Sid"] for s in policy_statements(template)}


def test_transform_grants_exactly_invoke_and_configuration(transformed_pipeline: BuiltPipeline) -> None:
    template = transformed_pipeline.template
    function_id = logical_id(template, "AWS::Lambda::Function", "Transform")
    invoke = statement(template, "InvokeTransform")
    assert sorted(invoke["Action"]) == ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"]
    assert invoke["Resource"] == {"Fn::GetAtt": [function_id, "Arn"]}

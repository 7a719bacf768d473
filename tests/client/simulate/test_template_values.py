"""Template values resolved as a deployed stack would see them, in the simulated account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firehose_s3_client.simulate.assembly import StackTemplate
from firehose_s3_client.simulate.template_values import SimulatedAccount, TemplateResolver, TemplateValueError

RESOURCES: dict[str, Any] = {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Named": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "my-bucket"}},
    "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "transform"}},
    "Secret": {"Type": "AWS::SecretsManager::Secret"},
    "Stream": {"Type": "AWS::KinesisFirehose::DeliveryStream", "Properties": {"DeliveryStreamName": "events"}},
    "Table": {"Type": "AWS::Glue::Table", "Properties": {"TableInput": {"Name": "access_logs"}}},
    "Queue": {"Type": "AWS::SQS::Queue"},
}


def _resolver(**parameters: Any) -> TemplateResolver:
    template = {"Resources": RESOURCES, "Parameters": parameters}
    stack = StackTemplate("Test", "Test", template, Path("."), {})
    return TemplateResolver(stack, SimulatedAccount(account_id="111122223333", region="eu-west-1"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Bucket"}, "bucket"),
        ({"Ref": "Named"}, "my-bucket"),
        ({"Fn::GetAtt": ["Named", "Arn"]}, "arn:aws:s3:::my-bucket"),
        ({"Fn::GetAtt": "Fn.Arn"}, "arn:aws:lambda:eu-west-1:111122223333:function:transform"),
        ({"Ref": "Secret"}, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:Secret-AbCdEf"),
        ({"Ref": "Stream"}, "events"),
        ({"Ref": "Table"}, "access_logs"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}]]}, "arn:aws:s3:::bucket"),
        (
            {"Fn::Sub": "${AWS::AccountId}-${Fn.Arn}-${!Literal}"},
            "111122223333-arn:aws:lambda:eu-west-1:111122223333:function:transform-${Literal}",
        ),
        ({"Fn::Sub": ["${x}/${Bucket}", {"x": "a"}]}, "a/bucket"),
        ({"Fn::Select": [1, ["a", "b"]]}, "b"),
        (60, "60"),
        (True, "true"),
    ],
)
def test_values(value: Any, expected: str) -> None:
    assert _resolver().string(value, "where") == expected


def test_parameters_use_their_default_or_are_named() -> None:
    resolver = _resolver(Env={"Type": "String", "Default": "dev"}, Bootstrap={"Type": "String"})
    assert resolver.string({"Ref": "Env"}, "X") == "dev"
    with pytest.raises(TemplateValueError, match="X: template parameter 'Bootstrap' has no Default"):
        resolver.string({"Ref": "Bootstrap"}, "X")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::ImportValue": "other"}, "Fn::ImportValue is not simulated"),
        ({"Ref": "Missing"}, "'Missing', which is not a resource"),
        ({"Fn::GetAtt": ["Queue", "QueueUrl"]}, "Fn::GetAtt Queue.QueueUrl"),
        (None, "no value"),
        ([1], "expected a string"),
    ],
)
def test_what_cannot_be_resolved_is_named_with_its_place(value: Any, message: str) -> None:
    with pytest.raises(TemplateValueError, match=f"Stream.Prefix: .*{message}"):
        _resolver().string(value, "Stream.Prefix")


@pytest.mark.parametrize(
    ("value", "bucket"),
    [
        ({"Ref": "Bucket"}, "Bucket"),
        ({"Fn::GetAtt": ["Named", "Arn"]}, "Named"),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}]]}, "Bucket"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Named}"}, "Named"),
        ("arn:aws:s3:::outside-the-stack", "outside-the-stack"),
    ],
)
def test_buckets_resolve_to_their_logical_ids(value: Any, bucket: str) -> None:
    assert _resolver().bucket_id(value, "BucketARN") == bucket


def test_a_bucket_arn_must_name_a_bucket() -> None:
    with pytest.raises(TemplateValueError, match="is not an AWS::S3::Bucket"):
        _resolver().bucket_id({"Fn::GetAtt": ["Fn", "Arn"]}, "BucketARN")
    with pytest.raises(TemplateValueError, match="is not an S3 bucket ARN"):
        _resolver().bucket_id("arn:aws:sqs:us-east-1:1:q", "BucketARN")

"""Hardened buckets: what SecureBucket and the access-log bucket enforce, and BucketLifecycle's rules."""

from __future__ import annotations

import json
import tempfile

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_helpers import CDK_CONTEXT, NO_BUNDLING, acknowledged, logical_id, make_app, only, resources_of, template_json
from cdk_helpers.pipeline import BuiltPipeline

from firehose_s3_constructs import BucketLifecycle, ConfigurationError, FirehoseToS3, SecureBucket, TransformOptions
from firehose_s3_constructs.storage import AccessLogging, access_log_bucket


def test_created_buckets_are_hardened_and_retained(default_pipeline: BuiltPipeline) -> None:
    template = default_pipeline.template
    buckets = resources_of(template, "AWS::S3::Bucket")
    assert len(buckets) == 2  # data + access logs (no backup without a transform)
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert bucket["DeletionPolicy"] == "Retain"
        assert bucket["UpdateReplacePolicy"] == "Retain"
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        sse = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        rule = properties["LifecycleConfiguration"]["Rules"][0]
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert "ExpirationInDays" not in rule
    assert not resources_of(template, "Custom::S3AutoDeleteObjects")


def test_data_bucket_logs_to_the_access_log_bucket(default_pipeline: BuiltPipeline) -> None:
    template = default_pipeline.template
    data_id = logical_id(template, "AWS::S3::Bucket", "PipelineBucket")
    logs_id = logical_id(template, "AWS::S3::Bucket", "AccessLogs")
    logging = template["Resources"][data_id]["Properties"]["LoggingConfiguration"]
    assert logging == {"DestinationBucketName": {"Ref": logs_id}, "LogFilePrefix": "data-bucket/"}


def test_bucket_policies_deny_insecure_transport_and_old_tls(default_pipeline: BuiltPipeline) -> None:
    policies = resources_of(default_pipeline.template, "AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        conditions = [json.dumps(s["Condition"]) for s in denies]
        assert any('"aws:SecureTransport": "false"' in c for c in conditions)
        assert any('"s3:TlsVersion": 1.2' in c for c in conditions)


def test_destroy_deletes_buckets_and_their_objects(kms_pipeline: BuiltPipeline) -> None:
    for bucket in resources_of(kms_pipeline.template, "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    assert len(resources_of(kms_pipeline.template, "Custom::S3AutoDeleteObjects")) == 2


# --- BucketLifecycle ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [
        ("noncurrent_version_expiration", cdk.Duration.hours(1), "1 hour"),
        ("noncurrent_version_expiration", cdk.Duration.hours(36), "1 day 12 hours"),
        ("abort_incomplete_multipart_upload_after", cdk.Duration.hours(12), "12 hours"),
    ],
)
def test_lifecycle_durations_are_checked_when_built(option: str, value: cdk.Duration, shown: str) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"lifecycle.{option} must be a whole number of days, at least 1 day, got {shown}"
    ):
        BucketLifecycle(**{option: value})  # type: ignore[arg-type]


def test_lifecycle_rules_render_every_field() -> None:
    lifecycle = BucketLifecycle(
        noncurrent_version_expiration=cdk.Duration.days(30),
        abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
        transitions=[
            s3.Transition(storage_class=s3.StorageClass.INTELLIGENT_TIERING, transition_after=cdk.Duration.days(30))
        ],
        expiration=cdk.Duration.days(365),
    )
    stack = cdk.Stack(make_app(), "Test")
    logs = access_log_bucket(stack, "Logs", removal_policy=cdk.RemovalPolicy.RETAIN)
    SecureBucket(stack, "Data", access_logs_bucket=logs, access_logs_prefix="data/", lifecycle=lifecycle)
    template = template_json(stack)
    data_id = logical_id(template, "AWS::S3::Bucket", "Data")
    (rule,) = template["Resources"][data_id]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule == {
        "Id": "ExpireNoncurrentVersionsAbortUploads",
        "Status": "Enabled",
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}],
        "ExpirationInDays": 365,
    }


# --- SecureBucket with a key, and the access-log bucket -------------------------------------------------
def test_secure_bucket_with_a_key_uses_sse_kms_with_bucket_keys() -> None:
    stack = cdk.Stack(make_app(), "Test")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    logs = access_log_bucket(stack, "Logs", removal_policy=cdk.RemovalPolicy.RETAIN)
    SecureBucket(stack, "Data", access_logs_bucket=logs, access_logs_prefix="data/", encryption_key=key)
    template = template_json(stack)
    data = template["Resources"][logical_id(template, "AWS::S3::Bucket", "Data")]["Properties"]
    assert data["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [logical_id(template, "AWS::KMS::Key"), "Arn"]},
                "SSEAlgorithm": "aws:kms",
            },
        }
    ]
    # S3 server access logs can only go to an SSE-S3 bucket, which logs nowhere itself.
    log_bucket = template["Resources"][logical_id(template, "AWS::S3::Bucket", "Logs")]
    sse = log_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" not in log_bucket["Properties"]
    checkov = log_bucket["Metadata"]["checkov"]["skip"]
    assert [skip["id"] for skip in checkov] == ["CKV_AWS_18"]
    assert only(template, "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True


# --- access logging: flag-independent, your own bucket, or off with a reason (issue 10) ---------------------
def _normalized(value: object) -> object:
    """A template with list order ignored (the minimizePolicies flag sorts actions and statements)."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_normalized(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _pipeline_resources(context: dict[str, object]) -> dict[str, dict[str, object]]:
    app = cdk.App(context=context | NO_BUNDLING, outdir=tempfile.mkdtemp(), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Test")
    FirehoseToS3(stack, "P", transform=TransformOptions())
    resources: dict[str, dict[str, object]] = template_json(stack)["Resources"]
    return resources


def test_a_plain_app_and_the_cdk_init_flags_give_the_same_secure_template() -> None:
    # aws-cdk-lib's default flags (a plain App()) used to fail: "objectOwnership must be set to ObjectWriter".
    plain = _pipeline_resources({})
    assert _normalized(plain) == _normalized(_pipeline_resources(dict(CDK_CONTEXT)))
    data = next(v for k, v in plain.items() if k.startswith("PBucket") and v["Type"] == "AWS::S3::Bucket")
    properties: dict[str, object] = data["Properties"]  # type: ignore[assignment]
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["LoggingConfiguration"] == {
        "DestinationBucketName": {
            "Ref": next(
                k
                for k in plain
                if k.startswith("PAccessLogs")
                and k.endswith(tuple("0123456789ABCDEF"))
                and plain[k]["Type"] == "AWS::S3::Bucket"
            )
        },
        "LogFilePrefix": "data-bucket/",
    }
    logs = next(v for k, v in plain.items() if k.startswith("PAccessLogs") and v["Type"] == "AWS::S3::Bucket")
    assert "AccessControl" not in logs["Properties"]  # type: ignore[operator]


def test_access_logging_options_are_checked() -> None:
    with pytest.raises(ConfigurationError, match=r"^AccessLogging\(enabled=False\) needs disabled_reason"):
        AccessLogging(enabled=False)
    with pytest.raises(ConfigurationError, match=r"^AccessLogging.prefix must be empty or end with '/', got 'logs'"):
        AccessLogging(prefix="logs")
    with pytest.raises(ConfigurationError, match=r"^AccessLogging.disabled_reason is only used with enabled=False"):
        AccessLogging(disabled_reason="why")
    with pytest.raises(ConfigurationError, match=r"^AccessLogging.bucket and prefix cannot be used with enabled=False"):
        AccessLogging(enabled=False, prefix="x/", disabled_reason="why")


def test_a_bucket_without_access_logs_acknowledges_exactly_the_logging_findings() -> None:
    stack = cdk.Stack(make_app(), "Test")
    secure = SecureBucket(
        stack, "B", access_logs_bucket=None, access_logs_prefix="", logging_disabled_reason="Scratch."
    )
    bucket = template_json(stack)["Resources"][logical_id(template_json(stack), "AWS::S3::Bucket")]
    assert "LoggingConfiguration" not in bucket["Properties"]
    assert bucket["Metadata"]["checkov"]["skip"] == [{"id": "CKV_AWS_18", "comment": "Scratch."}]
    found = {f for f, path, _ in acknowledged(stack) if path == secure.bucket.node.path}
    assert {
        "AwsSolutions-S1",
        "HIPAA.Security-S3BucketLoggingEnabled",
        "NIST.800.53.R5-S3BucketLoggingEnabled",
        "PCI.DSS.321-S3BucketLoggingEnabled",
    } <= found

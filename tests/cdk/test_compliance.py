"""The four cdk-nag packs pass on fresh FirehoseToS3 stacks with zero unacknowledged findings, every
acknowledgment is earned, and the helpers that record acknowledgments and checkov skips.

The sample app's findings are tested with its stacks (tests/sample_app/test_stacks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_helpers import acknowledged, make_app, nag_findings, no_acknowledgments
from constructs import Construct

from firehose_s3_constructs import FirehoseToS3
from firehose_s3_constructs.compliance import COMPLIANCE_PACKS, acknowledge, in_packs, skip_checkov
from firehose_s3_constructs.transform import TransformOptions


def _default(stack: cdk.Stack) -> None:
    FirehoseToS3(stack, "Pipeline")


def _kinesis_source(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    stream = kinesis.Stream(stack, "Source", encryption=kinesis.StreamEncryption.KMS, encryption_key=key)
    FirehoseToS3(stack, "Pipeline", source_stream=stream)
    cdk.Validations.of(stream).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-KDS3", reason="test stack: a customer managed stream key on purpose")
    )


def _kms_everywhere(stack: cdk.Stack) -> None:
    stream_key = kms.Key(stack, "StreamKey", enable_key_rotation=True)
    FirehoseToS3(
        stack,
        "Pipeline",
        bucket_encryption=s3.BucketEncryption.KMS,
        stream_encryption_key=stream_key,
        source_backup=True,
    )


def _backup_sse_s3(stack: cdk.Stack) -> None:
    FirehoseToS3(stack, "Pipeline", source_backup=True)


def _transform_with_hashing_and_kms(stack: cdk.Stack) -> None:
    FirehoseToS3(
        stack,
        "Pipeline",
        bucket_encryption=s3.BucketEncryption.KMS,
        transform=TransformOptions(drop_fields=("email",), hash_fields=("ip",)),
    )


def _transform_defaults(stack: cdk.Stack) -> None:
    FirehoseToS3(stack, "Pipeline", transform=TransformOptions(mask_fields=("email",)))


CONFIGURATIONS: dict[str, Callable[[cdk.Stack], None]] = {
    "default": _default,
    "kinesis-source": _kinesis_source,
    "kms": _kms_everywhere,
    "backup": _backup_sse_s3,
    "transform-hash-kms": _transform_with_hashing_and_kms,
    "transform": _transform_defaults,
}


@dataclass(frozen=True)
class Checked:
    """Every configuration in its own stack (named like the configuration) of one app, and the app's findings."""

    stacks: dict[str, cdk.Stack]
    findings: list[tuple[str, str]]

    def findings_of(self, name: str) -> list[tuple[str, str]]:
        return [f for f in self.findings if f[1].startswith(f"{name}/")]


def _check_all() -> Checked:
    app = make_app(nag=True)
    stacks = {name: cdk.Stack(app, name) for name in CONFIGURATIONS}
    for name, configuration in CONFIGURATIONS.items():
        configuration(stacks[name])
    return Checked(stacks, nag_findings(app))


@pytest.fixture(scope="module")
def checked() -> Checked:
    return _check_all()


@pytest.fixture(scope="module")
def unacknowledged() -> Checked:
    """The same configurations built without their acknowledgments: every finding they would raise."""
    with no_acknowledgments():
        return _check_all()


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_fresh_stack_has_no_unacknowledged_findings(checked: Checked, name: str) -> None:
    assert checked.findings_of(name) == []


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_acknowledgment_answers_a_real_finding(checked: Checked, unacknowledged: Checked, name: str) -> None:
    acknowledgments = acknowledged(checked.stacks[name])
    assert acknowledgments, "the configuration should need some acknowledgments"
    findings = unacknowledged.findings_of(name)
    assert findings, "the packs ran on the unacknowledged build"
    for finding_id, path, reason in acknowledgments:
        if "test stack" in reason:
            continue
        assert any(rule == finding_id and where.startswith(path) for rule, where in findings), (
            f"{finding_id} on {path} answers no finding"
        )
        assert len(reason) > 40, f"{finding_id} needs a real reason"


# --- the helpers ----------------------------------------------------------------------------------------
def test_in_packs_names_the_rule_in_each_shared_pack() -> None:
    assert COMPLIANCE_PACKS == ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
    assert in_packs("S3BucketReplicationEnabled", "why") == {
        "HIPAA.Security-S3BucketReplicationEnabled": "why",
        "NIST.800.53.R5-S3BucketReplicationEnabled": "why",
        "PCI.DSS.321-S3BucketReplicationEnabled": "why",
    }
    assert in_packs("LambdaDLQ", "why", ("HIPAA.Security",)) == {"HIPAA.Security-LambdaDLQ": "why"}


def test_acknowledge_records_on_that_construct_only_and_can_be_switched_off() -> None:
    stack = cdk.Stack(make_app(), "Test")
    scope = Construct(stack, "Scope")
    child = Construct(scope, "Child")
    acknowledge(child, {"AwsSolutions-S1": "a reason long enough to explain itself"})
    assert acknowledged(stack) == [("AwsSolutions-S1", "Test/Scope/Child", "a reason long enough to explain itself")]
    with no_acknowledgments():
        acknowledge(scope, {"AwsSolutions-S2": "ignored"})
    assert [finding for finding, _, _ in acknowledged(stack)] == ["AwsSolutions-S1"]


def test_skip_checkov_adds_to_the_resource_metadata() -> None:
    stack = cdk.Stack(make_app(), "Test")
    bucket = s3.Bucket(stack, "Bucket")
    skip_checkov(bucket, {"CKV_AWS_18": "first"})
    skip_checkov(bucket, {"CKV_AWS_21": "second"})
    cfn = bucket.node.default_child
    assert isinstance(cfn, cdk.CfnResource)
    assert cfn.get_metadata("checkov") == {
        "skip": [{"id": "CKV_AWS_18", "comment": "first"}, {"id": "CKV_AWS_21", "comment": "second"}]
    }
    with pytest.raises(TypeError, match="Test/Plain has no CloudFormation resource"):
        skip_checkov(Construct(stack, "Plain"), {"CKV_AWS_18": "x"})

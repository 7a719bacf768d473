"""The four cdk-nag packs pass with zero unacknowledged findings, and every acknowledgment is earned."""

from __future__ import annotations

from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_helpers import acknowledged, make_app, nag_findings, no_acknowledgments

from firehose_s3_constructs import FirehoseToS3
from firehose_s3_constructs.transform import TransformOptions
from sample_app.stacks import add_sample_stacks


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


def _app_with(configuration: Callable[[cdk.Stack], None]) -> cdk.App:
    app = make_app(nag=True)
    configuration(cdk.Stack(app, "Test"))
    return app


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_fresh_stack_has_no_unacknowledged_findings(name: str) -> None:
    assert nag_findings(_app_with(CONFIGURATIONS[name])) == []


@pytest.fixture(scope="module")
def sample_app() -> cdk.App:
    app = make_app(nag=True)
    add_sample_stacks(app)
    return app


def test_sample_app_has_no_unacknowledged_findings(sample_app: cdk.App) -> None:
    assert nag_findings(sample_app) == []


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_every_acknowledgment_answers_a_real_finding(name: str) -> None:
    with_acks = make_app()
    configuration = CONFIGURATIONS[name]
    stack = cdk.Stack(with_acks, "Test")
    configuration(stack)
    acknowledgments = acknowledged(stack)
    assert acknowledgments, "the configuration should need some acknowledgments"

    with no_acknowledgments():
        raw = _app_with(configuration)
    findings = nag_findings(raw)
    for finding_id, path, reason in acknowledgments:
        if "test stack" in reason:
            continue
        assert any(rule == finding_id and where.startswith(path) for rule, where in findings), (
            f"{finding_id} on {path} answers no finding"
        )
        assert len(reason) > 40, f"{finding_id} needs a real reason"


def test_acknowledgments_are_narrow(sample_app: cdk.App) -> None:
    for stack in sample_app.node.children:
        if not isinstance(stack, cdk.Stack):
            continue
        for finding_id, path, _ in acknowledged(stack):
            assert path != stack.node.path, f"{finding_id} is acknowledged on a whole stack"
            assert "-" in finding_id
            if "IAM5" in finding_id:
                assert "[" in finding_id, "IAM5 must name the exact resource or action"

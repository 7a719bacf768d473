"""Snapshots of the sample app's templates (asset hashes masked) and the outputs a user deploys for."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_helpers import make_app, mask_template, template_json
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from sample_app.stacks import add_sample_stacks

STACKS = ["FirehoseS3Pipeline", "FirehoseS3KinesisSource", "FirehoseS3WebLogs", "FirehoseS3IotTelemetry"]


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    app = make_app()
    stacks = add_sample_stacks(app)
    return {name: template_json(stack) for name, stack in stacks.items()}


@pytest.fixture
def json_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack_name", STACKS)
def test_template_snapshot(
    templates: dict[str, dict[str, Any]], stack_name: str, json_snapshot: SnapshotAssertion
) -> None:
    assert mask_template(templates[stack_name]) == json_snapshot


@pytest.mark.parametrize("stack_name", STACKS)
def test_outputs_name_the_stream_and_bucket(templates: dict[str, dict[str, Any]], stack_name: str) -> None:
    outputs = templates[stack_name]["Outputs"]
    assert {"DeliveryStreamName", "BucketName", "LogGroupName"} <= set(outputs)
    stream_ref = outputs["DeliveryStreamName"]["Value"]["Ref"]
    assert templates[stack_name]["Resources"][stream_ref]["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    bucket_ref = outputs["BucketName"]["Value"]["Ref"]
    assert templates[stack_name]["Resources"][bucket_ref]["Type"] == "AWS::S3::Bucket"


def test_sample_app_is_environment_agnostic(templates: dict[str, dict[str, Any]]) -> None:
    for template in templates.values():
        # The L2's unused Firehose CIDR mapping lists regions; resources and outputs must name none.
        text = str(template["Resources"]) + str(template["Outputs"])
        assert "123456789012" not in text
        assert "us-east-1" not in text


def test_mask_template_hides_only_volatile_values() -> None:
    template = {"Resources": {"A": {"Properties": {"S3Key": "a" * 64 + ".zip", "Name": "keep"}}}}
    masked = {"Resources": {"A": {"Properties": {"S3Key": "<asset-hash>.zip", "Name": "keep"}}}}
    assert mask_template(template) == masked


def test_same_app_twice_gives_the_same_template() -> None:
    first = template_json(add_sample_stacks(make_app())["FirehoseS3Pipeline"])
    second = template_json(add_sample_stacks(make_app())["FirehoseS3Pipeline"])
    assert mask_template(first) == mask_template(second)

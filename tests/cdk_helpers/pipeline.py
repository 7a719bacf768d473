"""FirehoseToS3 test stacks and accessors of their templates (stream, destination, delivery-role statements)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk

from firehose_s3_constructs import FirehoseToS3

from . import logical_id, make_app, only, template_json

Template = dict[str, Any]


@dataclass(frozen=True)
class BuiltPipeline:
    """One ``FirehoseToS3`` (id ``Pipeline``) in stack ``Test``, and the stack's synthesized template."""

    stack: cdk.Stack
    pipeline: FirehoseToS3
    template: Template


def build_pipeline(**options: Any) -> BuiltPipeline:
    """A fresh app and stack ``Test`` holding ``FirehoseToS3(stack, "Pipeline", **options)``, synthesized."""
    stack = cdk.Stack(make_app(), "Test")
    pipeline = FirehoseToS3(stack, "Pipeline", **options)
    return BuiltPipeline(stack, pipeline, template_json(stack))


def stream_of(template: Template) -> dict[str, Any]:
    """The template's one delivery stream resource."""
    return only(template, "AWS::KinesisFirehose::DeliveryStream")


def destination_of(template: Template) -> dict[str, Any]:
    """The ``ExtendedS3DestinationConfiguration`` of the template's one delivery stream."""
    result: dict[str, Any] = stream_of(template)["Properties"]["ExtendedS3DestinationConfiguration"]
    return result


def policy_statements(template: Template) -> list[dict[str, Any]]:
    """The statements of the delivery role's managed policy."""
    policy_id = logical_id(template, "AWS::IAM::ManagedPolicy", "DeliveryRole")
    statements: list[dict[str, Any]] = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def statement(template: Template, sid: str) -> dict[str, Any]:
    """The delivery role's one statement ``sid``."""
    matches = [s for s in policy_statements(template) if s.get("Sid") == sid]
    assert len(matches) == 1, f"no single statement {sid}"
    return matches[0]

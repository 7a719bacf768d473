"""Four TransformFunction configurations, each in its own stack of one app, shared by the transform tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import Duration, Size
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct

from firehose_s3_constructs.transform import TransformFunction, TransformOptions

from . import make_app, only

#: The hash-key secret of the OwnSecret configuration.
OWN_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/hash-key-AbCdEf"
#: Every record option of the Full configuration set to a non-default value.
FULL_OPTIONS = TransformOptions(
    drop_fields=("debug", "internal"),
    mask_fields=("email",),
    hash_fields=("user_id", "ip"),
    output_format="csv",
    csv_columns=("ts", "user_id", "email"),
    partition_key_fields=("tenant",),
    event_time_field="ts",
    memory_size=Size.mebibytes(1024),
    timeout=Duration.minutes(5),
    architecture=lambda_.Architecture.X86_64,
    reserved_concurrent_executions=20,
    tracing=lambda_.Tracing.ACTIVE,
    log_retention=logs.RetentionDays.THREE_MONTHS,
    environment={"LOG_LEVEL": "DEBUG", "METRICS_NAMESPACE": "Team/Transform"},
)


def _default(stack: cdk.Stack) -> TransformFunction:
    return TransformFunction(stack, "Transform")


def _full(stack: cdk.Stack) -> TransformFunction:
    """Hashing with a customer managed key, tracing, CSV, partitioning and a custom function size."""
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return TransformFunction(stack, "Transform", options=FULL_OPTIONS, encryption_key=key)


def _hash_without_key(stack: cdk.Stack) -> TransformFunction:
    return TransformFunction(stack, "Transform", options=TransformOptions(hash_fields=("email",)))


def _own_secret(stack: cdk.Stack) -> TransformFunction:
    key = kms.Key(stack, "SecretKey", enable_key_rotation=True)
    secret = secretsmanager.Secret.from_secret_attributes(
        stack, "Existing", secret_complete_arn=OWN_SECRET_ARN, encryption_key=key
    )
    return TransformFunction(
        stack, "Transform", options=TransformOptions(hash_fields=("email",)), hash_key_secret=secret
    )


CONFIGURATIONS: dict[str, Callable[[cdk.Stack], TransformFunction]] = {
    "Default": _default,
    "Full": _full,
    "HashWithoutKey": _hash_without_key,
    "OwnSecret": _own_secret,
}


@dataclass
class BuiltTransforms:
    """One app with a stack per configuration (named like the configuration)."""

    app: cdk.App
    stacks: dict[str, cdk.Stack]
    transforms: dict[str, TransformFunction]

    def logical_id(self, name: str, construct: IConstruct) -> str:
        """The logical id of ``construct``'s default child in stack ``name``."""
        child = construct.node.default_child
        assert isinstance(child, cdk.CfnElement)
        return self.stacks[name].get_logical_id(child)


def build_transforms(*, nag: bool) -> BuiltTransforms:
    app = make_app(nag=nag)
    stacks = {name: cdk.Stack(app, name) for name in CONFIGURATIONS}
    transforms = {name: factory(stacks[name]) for name, factory in CONFIGURATIONS.items()}
    return BuiltTransforms(app, stacks, transforms)


def function_properties(template: dict[str, Any]) -> dict[str, Any]:
    """The properties of the template's one Lambda function."""
    props: dict[str, Any] = only(template, "AWS::Lambda::Function")["Properties"]
    return props

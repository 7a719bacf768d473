"""lambda_processor and ProcessorOptions: every parameter rendered explicitly, grants, and one test per rule."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from cdk_helpers import make_app, only, resources_of

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.transform import ProcessorOptions, TransformFunction, lambda_processor
from firehose_transform import contract


@pytest.fixture(scope="module")
def processor_templates() -> dict[str, dict[str, Any]]:
    app = make_app()
    stacks = {}
    for name, options in (
        ("Zero", ProcessorOptions(retries=0, buffer_size=Size.kibibytes(256), buffer_interval=Duration.seconds(0))),
        ("Defaults", None),
    ):
        stack = cdk.Stack(app, name)
        transform = TransformFunction(stack, "Transform")
        bucket = s3.Bucket(stack, "Bucket")
        role = iam.Role(stack, "DeliveryRole", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
        processor = lambda_processor(transform.function, options)
        firehose.DeliveryStream(
            stack,
            "Stream",
            destination=firehose.S3Bucket(bucket, processors=[processor], role=role.without_policy_updates()),
        )
        stacks[name] = stack
    mutable = cdk.Stack(app, "MutableRole")
    transform = TransformFunction(mutable, "Transform")
    role = iam.Role(mutable, "DeliveryRole", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    firehose.DeliveryStream(
        mutable,
        "Stream",
        destination=firehose.S3Bucket(
            s3.Bucket(mutable, "Bucket"), processors=[lambda_processor(transform.function)], role=role
        ),
    )
    stacks["MutableRole"] = mutable
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in stacks}


def _processing(template: dict[str, Any]) -> dict[str, Any]:
    stream = only(template, "AWS::KinesisFirehose::DeliveryStream")
    config: dict[str, Any] = stream["Properties"]["ExtendedS3DestinationConfiguration"]["ProcessingConfiguration"]
    return config


def _lambda_arn(template: dict[str, Any]) -> dict[str, Any]:
    (function_id,) = resources_of(template, "AWS::Lambda::Function")
    return {"Fn::GetAtt": [function_id, "Arn"]}


def _role_arn(template: dict[str, Any]) -> dict[str, Any]:
    (role_id,) = [k for k in resources_of(template, "AWS::IAM::Role") if k.startswith("DeliveryRole")]
    return {"Fn::GetAtt": [role_id, "Arn"]}


def test_processor_renders_retries_zero_and_fractional_buffer(processor_templates: dict[str, dict[str, Any]]) -> None:
    template = processor_templates["Zero"]
    assert _processing(template) == {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [
                    {"ParameterName": "RoleArn", "ParameterValue": _role_arn(template)},
                    {"ParameterName": "LambdaArn", "ParameterValue": _lambda_arn(template)},
                    {"ParameterName": "NumberOfRetries", "ParameterValue": "0"},
                    {"ParameterName": "BufferSizeInMBs", "ParameterValue": "0.25"},
                    {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "0"},
                ],
            }
        ],
    }


def test_processor_defaults_are_explicit(processor_templates: dict[str, dict[str, Any]]) -> None:
    parameters = _processing(processor_templates["Defaults"])["Processors"][0]["Parameters"]
    values = {p["ParameterName"]: p["ParameterValue"] for p in parameters}
    assert values["NumberOfRetries"] == "3"
    assert values["BufferSizeInMBs"] == "1"
    assert values["BufferIntervalInSeconds"] == "60"


def test_processor_adds_nothing_to_a_role_without_policy_updates(
    processor_templates: dict[str, dict[str, Any]],
) -> None:
    for name in ("Zero", "Defaults"):
        policies = resources_of(processor_templates[name], "AWS::IAM::Policy")
        assert not [k for k in policies if k.startswith("DeliveryRole")], name


def test_processor_grants_a_mutable_role_exactly_the_function(processor_templates: dict[str, dict[str, Any]]) -> None:
    template = processor_templates["MutableRole"]
    policy = next(p for k, p in resources_of(template, "AWS::IAM::Policy").items() if k.startswith("DeliveryRole"))
    lambda_statements = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "lambda:InvokeFunction" in s["Action"]
    ]
    assert lambda_statements == [
        {
            "Action": ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
            "Effect": "Allow",
            "Resource": _lambda_arn(template),
        }
    ]


def test_processor_props_mirror_the_options() -> None:
    options = ProcessorOptions(retries=0, buffer_size=Size.mebibytes(2), buffer_interval=Duration.seconds(30))
    stack = cdk.Stack(make_app(), "Props")
    function = lambda_.Function.from_function_arn(
        stack, "Fn", "arn:aws:lambda:eu-west-1:111122223333:function:transform"
    )
    props = lambda_processor(function, options).props
    assert props.retries == 0
    assert props.buffer_size is not None
    assert props.buffer_size.to_mebibytes() == 2
    assert props.buffer_interval is not None
    assert props.buffer_interval.to_seconds() == 30


def test_defaults_are_the_contracts() -> None:
    options = ProcessorOptions()
    assert options.retries == contract.PROCESSOR_DEFAULT_RETRIES == 3
    assert options.buffer_size_mb == "1"
    assert options.buffer_interval_seconds == "60"
    assert ProcessorOptions(buffer_size=Size.kibibytes(205)).buffer_size_mb == "0.2"


# --- validation: one test per rule ----------------------------------------------------------------------
def test_buffer_size_below_range() -> None:
    with pytest.raises(ConfigurationError, match=r"buffer_size must be between 0.2 and 3 MB, got 0\.09\d* MB"):
        ProcessorOptions(buffer_size=Size.kibibytes(100))


def test_buffer_size_above_range() -> None:
    with pytest.raises(ConfigurationError, match=r"buffer_size must be between 0.2 and 3 MB, got 4 MB"):
        ProcessorOptions(buffer_size=Size.mebibytes(4))


def test_buffer_interval_above_range() -> None:
    with pytest.raises(ConfigurationError, match=r"buffer_interval must be between 0 and 900 seconds, got 901"):
        ProcessorOptions(buffer_interval=Duration.seconds(901))


def test_buffer_interval_fraction() -> None:
    with pytest.raises(ConfigurationError, match=r"buffer_interval must be a whole number of seconds, got 1\.5 s"):
        ProcessorOptions(buffer_interval=Duration.millis(1500))


def test_retries_negative() -> None:
    with pytest.raises(ConfigurationError, match=r"retries must be between 0 and 300, got -1"):
        ProcessorOptions(retries=-1)


def test_retries_above_ceiling() -> None:
    with pytest.raises(ConfigurationError, match=r"retries must be between 0 and 300, got 301"):
        ProcessorOptions(retries=301)


def test_retries_must_be_a_whole_number() -> None:
    with pytest.raises(ConfigurationError, match=r"retries must be a whole number between 0 and 300, got True"):
        ProcessorOptions(retries=True)

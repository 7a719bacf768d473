"""TransformFunction, its options and lambda_processor: template, permissions, compliance and bundling.

Every configuration is synthesized once per module (module-scoped fixtures); each test asserts on the result.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_helpers import ROOT, acknowledged, make_app, nag_findings, no_acknowledgments, only, resources_of
from constructs import IConstruct

from firehose_s3_constructs.transform import (
    ProcessorOptions,
    TransformFunction,
    TransformOptions,
    lambda_processor,
)
from firehose_s3_constructs.validation import ConfigurationError

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


# --- configurations: one stack each ---------------------------------------------------------------------
def _default(stack: cdk.Stack) -> TransformFunction:
    return TransformFunction(stack, "Transform")


def _full(stack: cdk.Stack) -> TransformFunction:
    """Hashing with a customer managed key, tracing, CSV, partitioning and a custom function size."""
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    options = TransformOptions(
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
    return TransformFunction(stack, "Transform", options=options, encryption_key=key)


def _hash_without_key(stack: cdk.Stack) -> TransformFunction:
    return TransformFunction(stack, "Transform", options=TransformOptions(hash_fields=("email",)))


def _own_secret(stack: cdk.Stack) -> TransformFunction:
    key = kms.Key(stack, "SecretKey", enable_key_rotation=True)
    secret = secretsmanager.Secret.from_secret_attributes(
        stack,
        "Existing",
        secret_complete_arn="arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/hash-key-AbCdEf",
        encryption_key=key,
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
class Built:
    app: cdk.App
    stacks: dict[str, cdk.Stack]
    transforms: dict[str, TransformFunction]


def _build(*, nag: bool) -> Built:
    app = make_app(nag=nag)
    stacks = {name: cdk.Stack(app, name) for name in CONFIGURATIONS}
    transforms = {name: factory(stacks[name]) for name, factory in CONFIGURATIONS.items()}
    return Built(app, stacks, transforms)


@pytest.fixture(scope="module")
def built() -> Built:
    return _build(nag=False)


@pytest.fixture(scope="module")
def templates(built: Built) -> dict[str, dict[str, Any]]:
    assembly = built.app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in CONFIGURATIONS}


def _function(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = only(template, "AWS::Lambda::Function")["Properties"]
    return props


def _logical_id(built: Built, name: str, construct: IConstruct) -> str:
    child = construct.node.default_child
    assert isinstance(child, cdk.CfnElement)
    return built.stacks[name].get_logical_id(child)


def _statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy = only(template, "AWS::IAM::ManagedPolicy")
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def _log_streams_arn(log_group_id: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":log-group:",
                {"Ref": log_group_id},
                ":log-stream:*",
            ],
        ]
    }


# --- the function ---------------------------------------------------------------------------------------
def test_default_function_settings(templates: dict[str, dict[str, Any]]) -> None:
    function = _function(templates["Default"])
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "handler.handler"
    assert function["MemorySize"] == 512
    assert function["Timeout"] == 60
    assert function["ReservedConcurrentExecutions"] == 10
    assert "TracingConfig" not in function
    assert "KmsKeyArn" not in function
    assert "VpcConfig" not in function


def test_full_function_settings(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    function = _function(templates["Full"])
    assert function["Architectures"] == ["x86_64"]
    assert function["MemorySize"] == 1024
    assert function["Timeout"] == 300
    assert function["ReservedConcurrentExecutions"] == 20
    assert function["TracingConfig"] == {"Mode": "Active"}
    key = built.stacks["Full"].node.find_child("Key")
    assert isinstance(key, kms.Key)
    assert function["KmsKeyArn"] == {"Fn::GetAtt": [_logical_id(built, "Full", key), "Arn"]}


def test_function_logs_to_its_own_log_group(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    for name, template in templates.items():
        log_group_id = _logical_id(built, name, built.transforms[name].log_group)
        assert _function(template)["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
        groups = resources_of(template, "AWS::Logs::LogGroup")
        assert list(groups) == [log_group_id], "no other (CDK-managed) log group"
    default = only(templates["Default"], "AWS::Logs::LogGroup")
    assert default["Properties"] == {"RetentionInDays": 365}
    assert default["DeletionPolicy"] == "Retain"
    full = only(templates["Full"], "AWS::Logs::LogGroup")["Properties"]
    assert full["RetentionInDays"] == 90
    assert "KmsKeyId" in full


def test_environment_default(templates: dict[str, dict[str, Any]]) -> None:
    assert _function(templates["Default"])["Environment"] == {"Variables": {"OUTPUT_FORMAT": "json"}}


def test_environment_renders_every_option(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    secret = built.transforms["Full"].secret
    assert secret is not None
    assert _function(templates["Full"])["Environment"]["Variables"] == {
        "OUTPUT_FORMAT": "csv",
        "DROP_FIELDS": "debug,internal",
        "MASK_FIELDS": "email",
        "HASH_FIELDS": "user_id,ip",
        "CSV_COLUMNS": "ts,user_id,email",
        "PARTITION_KEY_FIELDS": "tenant",
        "HASH_KEY_SECRET_ARN": {"Ref": _logical_id(built, "Full", secret)},
        "EVENT_TIME_FIELD": "ts",
        "LOG_LEVEL": "DEBUG",
        "METRICS_NAMESPACE": "Team/Transform",
    }


def test_environment_names_are_the_documented_contract(templates: dict[str, dict[str, Any]]) -> None:
    contract = (ROOT / "docs" / "CONTRACTS.md").read_text()
    for template in templates.values():
        for name in _function(template)["Environment"]["Variables"]:
            assert f"`{name}`" in contract, f"{name} is not in docs/CONTRACTS.md"


def test_x86_and_arm_get_different_code_assets(templates: dict[str, dict[str, Any]]) -> None:
    arm = _function(templates["Default"])["Code"]["S3Key"]
    x86 = _function(templates["Full"])["Code"]["S3Key"]
    assert arm != x86


# --- the role -------------------------------------------------------------------------------------------
def test_role_has_no_aws_managed_or_inline_policy(templates: dict[str, dict[str, Any]]) -> None:
    for template in templates.values():
        role = only(template, "AWS::IAM::Role")["Properties"]
        assert "ManagedPolicyArns" not in role
        assert "Policies" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]
        assert resources_of(template, "AWS::IAM::Policy") == {}


def test_default_role_can_only_write_its_logs(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    log_group_id = _logical_id(built, "Default", built.transforms["Default"].log_group)
    assert _statements(templates["Default"]) == {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_streams_arn(log_group_id),
        }
    }


def test_full_role_statements(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    transform = built.transforms["Full"]
    assert transform.secret is not None
    key = built.stacks["Full"].node.find_child("Key")
    assert isinstance(key, kms.Key)
    via_secretsmanager = {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }
    assert _statements(templates["Full"]) == {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_streams_arn(_logical_id(built, "Full", transform.log_group)),
        },
        "ReadHashKey": {
            "Sid": "ReadHashKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Ref": _logical_id(built, "Full", transform.secret)},
        },
        "DecryptHashKey": {
            "Sid": "DecryptHashKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": {"Fn::GetAtt": [_logical_id(built, "Full", key), "Arn"]},
            "Condition": via_secretsmanager,
        },
        "XRay": {
            "Sid": "XRay",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": "*",
        },
    }


def test_hash_without_key_reads_the_secret_and_decrypts_nothing(
    built: Built, templates: dict[str, dict[str, Any]]
) -> None:
    secret = built.transforms["HashWithoutKey"].secret
    assert secret is not None
    statements = _statements(templates["HashWithoutKey"])
    assert sorted(statements) == ["ReadHashKey", "WriteOwnLogs"]
    assert statements["ReadHashKey"]["Resource"] == {"Ref": _logical_id(built, "HashWithoutKey", secret)}


def test_own_secret_is_read_and_decrypted_not_created(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    template = templates["OwnSecret"]
    assert resources_of(template, "AWS::SecretsManager::Secret") == {}
    statements = _statements(template)
    assert sorted(statements) == ["DecryptHashKey", "ReadHashKey", "WriteOwnLogs"]
    arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:team/hash-key-AbCdEf"
    assert statements["ReadHashKey"]["Resource"] == arn
    assert _function(template)["Environment"]["Variables"]["HASH_KEY_SECRET_ARN"] == arn
    assert built.transforms["OwnSecret"].secret is not None


def test_no_wildcard_resource_unless_tracing(templates: dict[str, dict[str, Any]]) -> None:
    for name, template in templates.items():
        wildcards = [sid for sid, s in _statements(template).items() if s["Resource"] == "*"]
        assert wildcards == (["XRay"] if name == "Full" else []), name


def test_function_waits_for_its_permissions(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    policy_id = _logical_id(built, "Default", built.transforms["Default"].policy)
    assert policy_id in only(templates["Default"], "AWS::Lambda::Function")["DependsOn"]


def test_key_policy_lets_cloudwatch_logs_use_the_key(templates: dict[str, dict[str, Any]]) -> None:
    key = only(templates["Full"], "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    logs_statement = next(s for s in key if s.get("Sid") == "AllowCloudWatchLogsForLogGroupsOfThisAccount")
    assert logs_statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert list(logs_statement["Condition"]) == ["ArnLike"]


# --- the hash key secret --------------------------------------------------------------------------------
def test_secret_exists_only_when_hashing(built: Built, templates: dict[str, dict[str, Any]]) -> None:
    assert resources_of(templates["Default"], "AWS::SecretsManager::Secret") == {}
    assert built.transforms["Default"].secret is None
    assert "HASH_KEY_SECRET_ARN" not in _function(templates["Default"])["Environment"]["Variables"]
    for name in ("Full", "HashWithoutKey"):
        secret = only(templates[name], "AWS::SecretsManager::Secret")
        assert secret["Properties"]["GenerateSecretString"] == {
            "ExcludePunctuation": True,
            "IncludeSpace": False,
            "PasswordLength": 64,
        }
        assert secret["DeletionPolicy"] == "Retain"
    assert "KmsKeyId" in only(templates["Full"], "AWS::SecretsManager::Secret")["Properties"]
    assert "KmsKeyId" not in only(templates["HashWithoutKey"], "AWS::SecretsManager::Secret")["Properties"]


def test_no_key_material_in_any_template(templates: dict[str, dict[str, Any]]) -> None:
    for template in templates.values():
        for secret in resources_of(template, "AWS::SecretsManager::Secret").values():
            assert "SecretString" not in secret["Properties"]
        # The function gets the secret's ARN only; no dynamic reference puts the value into a property.
        assert "resolve:secretsmanager" not in json.dumps(template)


# --- the processor --------------------------------------------------------------------------------------
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
    app = make_app()
    stack = cdk.Stack(app, "Props")
    function = lambda_.Function.from_function_arn(
        stack, "Fn", "arn:aws:lambda:eu-west-1:111122223333:function:transform"
    )
    props = lambda_processor(function, options).props
    assert props.retries == 0
    assert props.buffer_size is not None
    assert props.buffer_size.to_mebibytes() == 2
    assert props.buffer_interval is not None
    assert props.buffer_interval.to_seconds() == 30


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


def test_timeout_above_firehose_limit() -> None:
    with pytest.raises(ConfigurationError, match=r"timeout must be between 1 and 300 seconds, got 301 seconds"):
        TransformOptions(timeout=Duration.seconds(301))


def test_memory_below_range() -> None:
    with pytest.raises(ConfigurationError, match=r"memory_size must be between 128 and 10240 MiB, got 64 MiB"):
        TransformOptions(memory_size=Size.mebibytes(64))


def test_memory_above_range() -> None:
    with pytest.raises(ConfigurationError, match=r"memory_size must be between 128 and 10240 MiB, got 10241 MiB"):
        TransformOptions(memory_size=Size.mebibytes(10241))


def test_runtime_older_than_python_3_13() -> None:
    with pytest.raises(
        ConfigurationError, match=r"runtime must be a Python runtime, 3\.13 or newer .* got python3\.12"
    ):
        TransformOptions(runtime=lambda_.Runtime.PYTHON_3_12)


def test_runtime_not_python() -> None:
    with pytest.raises(ConfigurationError, match=r"runtime must be a Python runtime, 3\.13 or newer .* got nodejs"):
        TransformOptions(runtime=lambda_.Runtime.NODEJS_22_X)


def test_reserved_concurrency_below_one() -> None:
    with pytest.raises(ConfigurationError, match=r"reserved_concurrent_executions must be .* at least 1, got 0"):
        TransformOptions(reserved_concurrent_executions=0)


def test_csv_without_columns() -> None:
    with pytest.raises(ConfigurationError, match=r"csv_columns must name at least one column .* 'csv', got \(\)"):
        TransformOptions(output_format="csv")


def test_csv_columns_without_csv() -> None:
    with pytest.raises(ConfigurationError, match=r"csv_columns is only used with output_format='csv', got .*'json'"):
        TransformOptions(csv_columns=("a",))


def test_unknown_output_format() -> None:
    with pytest.raises(ConfigurationError, match=r"output_format must be 'json' or 'csv', got 'parquet'"):
        TransformOptions(output_format=cast(Any, "parquet"))


def test_field_in_two_edits() -> None:
    with pytest.raises(ConfigurationError, match=r"field 'email' is in both mask_fields and hash_fields"):
        TransformOptions(mask_fields=("email",), hash_fields=("email",))


def test_field_name_with_comma() -> None:
    with pytest.raises(ConfigurationError, match=r"drop_fields must hold non-empty field names .* got 'a,b'"):
        TransformOptions(drop_fields=("a,b",))


def test_field_list_given_as_string() -> None:
    with pytest.raises(ConfigurationError, match=r"hash_fields must be a sequence of field names, not a string"):
        TransformOptions(hash_fields=cast(Any, "email"))


def test_time_partition_key_clash() -> None:
    with pytest.raises(ConfigurationError, match=r"partition_key_fields cannot contain day, year when event_time"):
        TransformOptions(partition_key_fields=("year", "day"), event_time_field="ts")


def test_environment_cannot_override_an_option() -> None:
    with pytest.raises(ConfigurationError, match=r"environment key 'HASH_FIELDS' is set from TransformOptions"):
        TransformOptions(environment={"HASH_FIELDS": "email"})


def test_environment_reserved_key() -> None:
    with pytest.raises(ConfigurationError, match=r"environment key 'AWS_REGION' is reserved by Lambda"):
        TransformOptions(environment={"AWS_REGION": "eu-west-1"})


def test_environment_log_level() -> None:
    with pytest.raises(
        ConfigurationError, match=r"LOG_LEVEL'\] must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"
    ):
        TransformOptions(environment={"LOG_LEVEL": "LOUD"})


def test_environment_too_large() -> None:
    with pytest.raises(ConfigurationError, match=r"environment variables must total at most 4096 bytes"):
        TransformOptions(drop_fields=tuple(f"field_{i:04d}" for i in range(500)))


def test_handler_format() -> None:
    with pytest.raises(ConfigurationError, match=r"handler must be 'module.function' .* got 'handler'"):
        TransformOptions(handler="handler")


def test_hash_key_secret_without_hash_fields() -> None:
    stack = cdk.Stack(make_app(), "Secretless")
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "S", "hash-key")
    with pytest.raises(ConfigurationError, match=r"hash_key_secret is only used when .*hash_fields=\(\)"):
        TransformFunction(stack, "Transform", hash_key_secret=secret)


def test_code_directory_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    stack = cdk.Stack(make_app(), "Missing")
    with pytest.raises(ConfigurationError, match=r"code_directory must be an existing directory, got '.*nope'"):
        TransformFunction(stack, "Transform", options=TransformOptions(code_directory=missing))


def test_handler_module_not_found(tmp_path: Path) -> None:
    stack = cdk.Stack(make_app(), "NoModule")
    options = TransformOptions(code_directory=tmp_path, handler="my_transform.handler")
    with pytest.raises(ConfigurationError, match=r"handler 'my_transform.handler' names a module found neither"):
        TransformFunction(stack, "Transform", options=options)


# --- cdk-nag --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nag_built() -> Built:
    return _build(nag=True)


@pytest.fixture(scope="module")
def raw_findings() -> list[tuple[str, str]]:
    with no_acknowledgments():
        raw = _build(nag=True)
    return nag_findings(raw.app)


def test_nag_packs_pass(nag_built: Built) -> None:
    assert nag_findings(nag_built.app) == []


def test_every_acknowledgment_answers_a_real_finding(nag_built: Built, raw_findings: list[tuple[str, str]]) -> None:
    for name, stack in nag_built.stacks.items():
        acknowledgments = acknowledged(stack)
        assert acknowledgments, name
        for finding_id, path, _reason in acknowledgments:
            assert any(rule == finding_id and where.startswith(path + "/") for rule, where in raw_findings), (
                f"{finding_id} acknowledged on {path} answers no finding"
            )


def test_wildcard_acknowledgment_only_with_tracing(nag_built: Built) -> None:
    for name, stack in nag_built.stacks.items():
        ids = [finding for finding, _path, _reason in acknowledged(stack)]
        assert ("AwsSolutions-IAM5[Resource::*]" in ids) == (name == "Full"), name


# --- checkov --------------------------------------------------------------------------------------------
def _checkov_failures(directory: Path) -> dict[str, set[tuple[str, str]]]:
    """Failed (check id, logical id) per template file of ``directory``."""
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make deps`")
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failures: dict[str, set[tuple[str, str]]] = {}
    for item in reports:
        for check in item.get("results", {}).get("failed_checks", []):
            failures.setdefault(Path(check["file_path"]).name, set()).add(
                (check["check_id"], check["resource"].split(".", 1)[1])
            )
    return failures


def _skips(template: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (skip["id"], logical_id)
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


@pytest.fixture(scope="module")
def checkov_results(
    templates: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]]:
    """Checkov on the templates as synthesized, and on copies without their skip metadata (one run)."""
    directory = tmp_path_factory.mktemp("checkov")
    for name, template in templates.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
        stripped = json.loads(json.dumps(template))
        for resource in stripped["Resources"].values():
            resource.get("Metadata", {}).pop("checkov", None)
        (directory / f"{name}.unskipped.template.json").write_text(json.dumps(stripped))
    failures = _checkov_failures(directory)
    return (
        {name: failures.get(f"{name}.template.json", set()) for name in templates},
        {name: failures.get(f"{name}.unskipped.template.json", set()) for name in templates},
    )


def test_checkov_passes(
    checkov_results: tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]],
) -> None:
    synthesized, _ = checkov_results
    assert synthesized == {name: set() for name in CONFIGURATIONS}


def test_every_checkov_skip_answers_a_real_failure(
    templates: dict[str, dict[str, Any]],
    checkov_results: tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]],
) -> None:
    _, unskipped = checkov_results
    for name, template in templates.items():
        assert _skips(template) == unskipped[name], name


# --- the real bundling ----------------------------------------------------------------------------------
def _wheel_tags(asset: Path, distribution: str) -> list[str]:
    (wheel,) = asset.glob(f"{distribution}-*.dist-info/WHEEL")
    return [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]


def test_real_bundling_builds_arch_specific_assets(tmp_path: Path) -> None:
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "my_transform.py").write_text("def handler(event, context):\n    return event\n")
    app = make_app(bundling=True, outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "Bundled")
    arm = TransformFunction(stack, "Arm")
    x86 = TransformFunction(stack, "X86", options=TransformOptions(architecture=lambda_.Architecture.X86_64))
    custom = TransformFunction(
        stack, "Custom", options=TransformOptions(code_directory=extension, handler="my_transform.handler")
    )
    template = app.synth().get_stack_by_name("Bundled").template
    assets = {}
    for name, transform in (("arm", arm), ("x86", x86), ("custom", custom)):
        cfn_function = transform.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        key = template["Resources"][stack.get_logical_id(cfn_function)]["Properties"]["Code"]["S3Key"]
        assets[name] = Path(app.outdir) / f"asset.{key.removesuffix('.zip')}"
    assert len({p.name for p in assets.values()}) == 3, "each architecture and code directory has its own hash"

    arm_asset = assets["arm"]
    assert (arm_asset / "handler.py").is_file()
    assert (arm_asset / "firehose_transform" / "__init__.py").is_file()
    assert list((arm_asset / "orjson").glob("*aarch64-linux-gnu.so"))
    assert all("aarch64" in tag and tag.startswith("cp314") for tag in _wheel_tags(arm_asset, "orjson"))
    assert all("aarch64" in tag for tag in _wheel_tags(arm_asset, "pybase64"))
    assert not [p for p in arm_asset.rglob("*") if p.name in ("tests", "__pycache__", "README.md", "bin")]
    assert not list(arm_asset.glob("requirements*.txt"))

    assert list((assets["x86"] / "orjson").glob("*x86_64-linux-gnu.so"))
    assert all("x86_64" in tag for tag in _wheel_tags(assets["x86"], "orjson"))

    assert (assets["custom"] / "my_transform.py").is_file()
    assert (assets["custom"] / "handler.py").is_file()

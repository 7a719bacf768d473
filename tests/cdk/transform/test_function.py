"""TransformFunction: the function, its log group, role, hash-key secret, environment, cdk-nag and checkov.

The four configurations of cdk_helpers.transform are synthesized once per session (transform/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_helpers import (
    ROOT,
    acknowledged,
    make_app,
    nag_findings,
    no_acknowledgments,
    only,
    resources_of,
    template_json,
)
from cdk_helpers.transform import (
    CONFIGURATIONS,
    OWN_SECRET_ARN,
    BuiltTransforms,
    build_transforms,
    function_properties,
)

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.transform import TransformFunction, TransformOptions
from firehose_transform import contract

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
Templates = dict[str, dict[str, Any]]


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


def _key(transforms: BuiltTransforms) -> kms.Key:
    key = transforms.stacks["Full"].node.find_child("Key")
    assert isinstance(key, kms.Key)
    return key


# --- the function ---------------------------------------------------------------------------------------
def test_default_function_settings(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    function = function_properties(transform_templates["Default"])
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "handler.handler"
    assert function["MemorySize"] == 512
    assert function["Timeout"] == 60
    assert "ReservedConcurrentExecutions" not in function  # deploys in a new account (issue 10)
    assert "TracingConfig" not in function
    assert "KmsKeyArn" not in function
    assert "VpcConfig" not in function
    assert transforms.transforms["Default"].options == TransformOptions()


def test_full_function_settings(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    function = function_properties(transform_templates["Full"])
    assert function["Architectures"] == ["x86_64"]
    assert function["MemorySize"] == 1024
    assert function["Timeout"] == 300
    assert function["ReservedConcurrentExecutions"] == 20
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["KmsKeyArn"] == {"Fn::GetAtt": [transforms.logical_id("Full", _key(transforms)), "Arn"]}


def test_function_logs_to_its_own_log_group(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    for name, template in transform_templates.items():
        log_group_id = transforms.logical_id(name, transforms.transforms[name].log_group)
        assert function_properties(template)["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
        groups = resources_of(template, "AWS::Logs::LogGroup")
        assert list(groups) == [log_group_id], "no other (CDK-managed) log group"
    default = only(transform_templates["Default"], "AWS::Logs::LogGroup")
    assert default["Properties"] == {"RetentionInDays": 365}
    assert default["DeletionPolicy"] == "Retain"
    full = only(transform_templates["Full"], "AWS::Logs::LogGroup")["Properties"]
    assert full["RetentionInDays"] == 90
    assert "KmsKeyId" in full


def test_environment_default(transform_templates: Templates) -> None:
    assert function_properties(transform_templates["Default"])["Environment"] == {
        "Variables": {"OUTPUT_FORMAT": "json"}
    }


def test_environment_renders_every_option(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    secret = transforms.transforms["Full"].secret
    assert secret is not None
    assert function_properties(transform_templates["Full"])["Environment"]["Variables"] == {
        "OUTPUT_FORMAT": "csv",
        "DROP_FIELDS": "debug,internal",
        "MASK_FIELDS": "email",
        "HASH_FIELDS": "user_id,ip",
        "CSV_COLUMNS": "ts,user_id,email",
        "PARTITION_KEY_FIELDS": "tenant",
        "HASH_KEY_SECRET_ARN": {"Ref": transforms.logical_id("Full", secret)},
        "EVENT_TIME_FIELD": "ts",
        "LOG_LEVEL": "DEBUG",
        "METRICS_NAMESPACE": "Team/Transform",
    }


def test_environment_names_are_the_runtime_contract(transform_templates: Templates) -> None:
    """Every variable the function gets is one the runtime reads (firehose_transform.contract.ENVIRONMENT)."""
    read_by_runtime = {name for name, _meaning, _default in contract.ENVIRONMENT}
    assert read_by_runtime >= contract.OPTION_VARIABLES
    for template in transform_templates.values():
        for name in function_properties(template)["Environment"]["Variables"]:
            assert name in read_by_runtime, f"{name} is not in firehose_transform.contract.ENVIRONMENT"


# --- the role -------------------------------------------------------------------------------------------
def test_role_has_no_aws_managed_or_inline_policy(transform_templates: Templates) -> None:
    for template in transform_templates.values():
        role = only(template, "AWS::IAM::Role")["Properties"]
        assert "ManagedPolicyArns" not in role
        assert "Policies" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]
        assert resources_of(template, "AWS::IAM::Policy") == {}


def test_default_role_can_only_write_its_logs(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    log_group_id = transforms.logical_id("Default", transforms.transforms["Default"].log_group)
    assert _statements(transform_templates["Default"]) == {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_streams_arn(log_group_id),
        }
    }


def test_full_role_statements(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    transform = transforms.transforms["Full"]
    assert transform.secret is not None
    via_secretsmanager = {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }
    assert _statements(transform_templates["Full"]) == {
        "WriteOwnLogs": {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _log_streams_arn(transforms.logical_id("Full", transform.log_group)),
        },
        "ReadHashKey": {
            "Sid": "ReadHashKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Ref": transforms.logical_id("Full", transform.secret)},
        },
        "DecryptHashKey": {
            "Sid": "DecryptHashKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": {"Fn::GetAtt": [transforms.logical_id("Full", _key(transforms)), "Arn"]},
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
    transforms: BuiltTransforms, transform_templates: Templates
) -> None:
    secret = transforms.transforms["HashWithoutKey"].secret
    assert secret is not None
    statements = _statements(transform_templates["HashWithoutKey"])
    assert sorted(statements) == ["ReadHashKey", "WriteOwnLogs"]
    assert statements["ReadHashKey"]["Resource"] == {"Ref": transforms.logical_id("HashWithoutKey", secret)}


def test_own_secret_is_read_and_decrypted_not_created(
    transforms: BuiltTransforms, transform_templates: Templates
) -> None:
    template = transform_templates["OwnSecret"]
    assert resources_of(template, "AWS::SecretsManager::Secret") == {}
    statements = _statements(template)
    assert sorted(statements) == ["DecryptHashKey", "ReadHashKey", "WriteOwnLogs"]
    assert statements["ReadHashKey"]["Resource"] == OWN_SECRET_ARN
    assert function_properties(template)["Environment"]["Variables"]["HASH_KEY_SECRET_ARN"] == OWN_SECRET_ARN
    assert transforms.transforms["OwnSecret"].secret is not None


def test_no_wildcard_resource_unless_tracing(transform_templates: Templates) -> None:
    for name, template in transform_templates.items():
        wildcards = [sid for sid, s in _statements(template).items() if s["Resource"] == "*"]
        assert wildcards == (["XRay"] if name == "Full" else []), name


def test_function_waits_for_its_permissions(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    policy_id = transforms.logical_id("Default", transforms.transforms["Default"].policy)
    assert policy_id in only(transform_templates["Default"], "AWS::Lambda::Function")["DependsOn"]


def test_key_policy_lets_cloudwatch_logs_use_the_key(transform_templates: Templates) -> None:
    key = only(transform_templates["Full"], "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    logs_statement = next(s for s in key if s.get("Sid") == "AllowCloudWatchLogsForLogGroupsOfThisAccount")
    assert logs_statement["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert list(logs_statement["Condition"]) == ["ArnLike"]


# --- the hash key secret --------------------------------------------------------------------------------
def test_secret_exists_only_when_hashing(transforms: BuiltTransforms, transform_templates: Templates) -> None:
    assert resources_of(transform_templates["Default"], "AWS::SecretsManager::Secret") == {}
    assert transforms.transforms["Default"].secret is None
    assert "HASH_KEY_SECRET_ARN" not in function_properties(transform_templates["Default"])["Environment"]["Variables"]
    for name in ("Full", "HashWithoutKey"):
        secret = only(transform_templates[name], "AWS::SecretsManager::Secret")
        assert secret["Properties"]["GenerateSecretString"] == {
            "ExcludePunctuation": True,
            "IncludeSpace": False,
            "PasswordLength": 64,
        }
        assert secret["DeletionPolicy"] == "Retain"
    assert "KmsKeyId" in only(transform_templates["Full"], "AWS::SecretsManager::Secret")["Properties"]
    assert "KmsKeyId" not in only(transform_templates["HashWithoutKey"], "AWS::SecretsManager::Secret")["Properties"]


def test_no_key_material_in_any_template(transform_templates: Templates) -> None:
    for template in transform_templates.values():
        for secret in resources_of(template, "AWS::SecretsManager::Secret").values():
            assert "SecretString" not in secret["Properties"]
        # The function gets the secret's ARN only; no dynamic reference puts the value into a property.
        assert "resolve:secretsmanager" not in json.dumps(template)


def test_hash_key_secret_without_hash_fields() -> None:
    stack = cdk.Stack(make_app(), "Secretless")
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "S", "hash-key")
    with pytest.raises(ConfigurationError, match=r"hash_key_secret is only used when .*hash_fields=\(\)"):
        TransformFunction(stack, "Transform", hash_key_secret=secret)


def test_code_directory_is_checked_before_anything_is_built(tmp_path: Path) -> None:
    stack = cdk.Stack(make_app(), "Missing")
    with pytest.raises(ConfigurationError, match=r"code_directory must be an existing directory, got '.*nope'"):
        TransformFunction(stack, "Transform", options=TransformOptions(code_directory=tmp_path / "nope"))
    assert stack.node.find_child("Transform").node.children == []


# --- cdk-nag --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nag_built() -> BuiltTransforms:
    return build_transforms(nag=True)


@pytest.fixture(scope="module")
def raw_findings() -> list[tuple[str, str]]:
    with no_acknowledgments():
        raw = build_transforms(nag=True)
    return nag_findings(raw.app)


def test_nag_packs_pass(nag_built: BuiltTransforms) -> None:
    assert nag_findings(nag_built.app) == []


def test_every_acknowledgment_answers_a_real_finding(
    nag_built: BuiltTransforms, raw_findings: list[tuple[str, str]]
) -> None:
    for name, stack in nag_built.stacks.items():
        acknowledgments = acknowledged(stack)
        assert acknowledgments, name
        for finding_id, path, _reason in acknowledgments:
            assert any(rule == finding_id and where.startswith(path + "/") for rule, where in raw_findings), (
                f"{finding_id} acknowledged on {path} answers no finding"
            )


def test_wildcard_acknowledgment_only_with_tracing(nag_built: BuiltTransforms) -> None:
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
    transform_templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]]:
    """Checkov on the templates as synthesized, and on copies without their skip metadata (one run)."""
    directory = tmp_path_factory.mktemp("checkov")
    for name, template in transform_templates.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
        stripped = json.loads(json.dumps(template))
        for resource in stripped["Resources"].values():
            resource.get("Metadata", {}).pop("checkov", None)
        (directory / f"{name}.unskipped.template.json").write_text(json.dumps(stripped))
    failures = _checkov_failures(directory)
    return (
        {name: failures.get(f"{name}.template.json", set()) for name in transform_templates},
        {name: failures.get(f"{name}.unskipped.template.json", set()) for name in transform_templates},
    )


def test_checkov_passes(
    checkov_results: tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]],
) -> None:
    synthesized, _ = checkov_results
    assert synthesized == {name: set() for name in CONFIGURATIONS}


def test_every_checkov_skip_answers_a_real_failure(
    transform_templates: Templates,
    checkov_results: tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]],
) -> None:
    _, unskipped = checkov_results
    for name, template in transform_templates.items():
        assert _skips(template) == unskipped[name], name


def test_no_concurrency_is_reserved_by_default_and_the_findings_are_acknowledged() -> None:
    # A reservation must leave 100 unreserved executions: in a new account (quota 10 or 50) any fails CREATE.
    stack = cdk.Stack(make_app(), "Test")
    default = TransformFunction(stack, "Plain")  # not "Default": CDK leaves that id out of logical ids
    reserved = TransformFunction(stack, "Reserved", options=TransformOptions(reserved_concurrent_executions=5))
    template = template_json(stack)
    functions = resources_of(template, "AWS::Lambda::Function")
    by_name = {name: next(v for k, v in functions.items() if k.startswith(name)) for name in ("Plain", "Reserved")}
    assert "ReservedConcurrentExecutions" not in by_name["Plain"]["Properties"]
    assert by_name["Reserved"]["Properties"]["ReservedConcurrentExecutions"] == 5
    skips = {s["id"] for s in by_name["Plain"]["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_115" in skips
    assert "CKV_AWS_115" not in {s["id"] for s in by_name["Reserved"]["Metadata"]["checkov"]["skip"]}
    acks = {(f, p) for f, p, _ in acknowledged(stack)}
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):
        assert (f"{pack}-LambdaConcurrency", default.function.node.path) in acks
        assert (f"{pack}-LambdaConcurrency", reserved.function.node.path) not in acks

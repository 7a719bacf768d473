"""The function a processor runs: code, handler, environment, timeout, local secrets; what cannot run, named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from simulator_helpers import (
    FUNCTION_ID,
    function_resource,
    lambda_processor,
    processing,
    stream_resource,
    write_assembly,
)

from firehose_s3_client.simulate.assembly import load_stack
from firehose_s3_client.simulate.lambda_function import FunctionSpec, function_spec, local_secrets
from firehose_s3_client.simulate.processor_config import UnsupportedConfigurationError
from firehose_s3_client.simulate.stream_config import read_stream_config
from firehose_s3_client.simulate.template_values import TemplateResolver

SECRET = {
    "Type": "AWS::SecretsManager::Secret",
    "Properties": {"GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True}},
}


def _spec(
    tmp_path: Path, function: dict[str, Any] | None, *, override: str | None = None, **resources: Any
) -> FunctionSpec:
    processor = lambda_processor()
    if function is None:  # a function outside the stack, by its ARN
        processor["Parameters"][0]["ParameterValue"] = "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"
    all_resources = {"Stream": stream_resource(ProcessingConfiguration=processing(processor)), **resources}
    if function is not None:
        all_resources[FUNCTION_ID] = function
    assembly = write_assembly(
        tmp_path / "cdk.out", all_resources, assets={"abc": {"index.py": "def handler(e, c): return e\n"}}
    )
    stack = load_stack(assembly, "Test")
    resolver = TemplateResolver(stack)
    config = read_stream_config(stack, "Stream", resolver)
    assert config.processing.lambda_processor is not None
    return function_spec(
        resolver, config.processing.lambda_processor, override=override, secrets=local_secrets(resolver, {})
    )


def test_the_asset_function(tmp_path: Path) -> None:
    function = function_resource(
        "abc",
        Runtime="python3.12",
        Timeout=600,
        MemorySize=512,
        Environment={"Variables": {"KEY": {"Ref": "Key"}, "MODE": "json"}},
        Role="arn:aws:iam::1:role/r",
    )
    spec = _spec(tmp_path, function, Key=SECRET)
    assert spec.code_dir == tmp_path / "cdk.out" / "asset.abc"
    assert (spec.handler, spec.runtime, spec.memory_mb) == ("index.handler", "python3.12", 512)
    assert spec.timeout_seconds == 300  # Firehose waits 5 minutes at most
    assert spec.environment == {
        "KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:Key-AbCdEf",
        "MODE": "json",
    }
    assert any("Role: IAM is not simulated" in note for note in spec.notes)
    assert not spec.ensure_ascii
    assert [secret.logical_id for secret in spec.secrets] == ["Key"]


def test_inline_code_is_saved_as_index_py(tmp_path: Path) -> None:
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Code": {"ZipFile": "x = 1\n"}, "Handler": "index.h", "Runtime": "python3.9"},
    }
    spec = _spec(tmp_path, function)
    assert spec.code_dir is not None
    assert (spec.code_dir / "index.py").read_text() == "x = 1\n"
    assert spec.timeout_seconds == 3  # Lambda's default
    assert spec.ensure_ascii  # the Python runtime ASCII-escapes responses before 3.12


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (None, "is not defined in this stack: pass --processor"),
        (function_resource("abc", Runtime="nodejs20.x"), "runtime nodejs20.x cannot run here"),
        (function_resource("abc", Layers=["arn:layer"]), "Layers is not supported"),
        (function_resource("missing"), "asset missing.zip is not a directory"),
        (function_resource("abc", Handler="handler"), "is not module.function"),
        (
            {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ImageUri": "x"}, "PackageType": "Image"}},
            "PackageType",
        ),
    ],
)
def test_what_cannot_run_is_named(tmp_path: Path, function: dict[str, Any] | None, message: str) -> None:
    with pytest.raises(UnsupportedConfigurationError, match=message):
        _spec(tmp_path, function)


def test_processor_override(tmp_path: Path) -> None:
    spec = _spec(tmp_path, function_resource("abc", Runtime="nodejs20.x"), override="my.module:transform")
    assert (spec.code_dir, spec.handler) == (None, "my.module.transform")
    with pytest.raises(UnsupportedConfigurationError, match="expected module:function"):
        _spec(tmp_path / "b", function_resource("abc"), override="no-colon")


def test_local_secrets(tmp_path: Path) -> None:
    structured = {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "GenerateSecretString": {"SecretStringTemplate": '{"user":"app"}', "GenerateStringKey": "password"}
        },
    }
    literal = {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "plain"}}
    assembly = write_assembly(
        tmp_path / "cdk.out", {"Generated": SECRET, "Structured": structured, "Literal": literal, "Given": SECRET}
    )
    resolver = TemplateResolver(load_stack(assembly, "Test"))
    secrets = {secret.logical_id: secret for secret in local_secrets(resolver, {"Given": "mine"})}
    derived = hashlib.sha256(b"firehose-s3 simulate|Test|Generated").hexdigest()
    assert secrets["Generated"].value == derived
    assert json.loads(secrets["Structured"].value)["user"] == "app"
    assert secrets["Literal"].value == "plain"
    assert secrets["Given"].value == "mine"
    assert secrets["Generated"].report()["value"] == derived  # a derived key is shown...
    assert "value" not in secrets["Given"].report()  # ...a given one only as its digest
    assert secrets["Given"].report()["sha256"] == hashlib.sha256(b"mine").hexdigest()
    with pytest.raises(UnsupportedConfigurationError, match="--secret Nope"):
        local_secrets(resolver, {"Nope": "x"})

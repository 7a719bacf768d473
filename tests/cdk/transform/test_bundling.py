"""The transform's code asset: the code-directory checks, the asset hash, the bundle's entry module, and a real
Docker-free bundle per architecture (pip downloads the wheels, so this one needs PyPI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from cdk_helpers import make_app
from cdk_helpers.transform import function_properties

import firehose_transform
import firehose_transform.handler
from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.transform import (
    ENTRY_MODULE,
    RUNTIME_PACKAGE,
    PipLocalBundling,
    TransformFunction,
    TransformOptions,
)
from firehose_s3_constructs.transform.bundling import _asset_hash, check_code_directory


def _extension(tmp_path: Path, *names: str) -> Path:
    directory = tmp_path / "extension"
    directory.mkdir()
    for name in names:
        (directory / name).write_text("def handler(event, context):\n    return event\n")
    return directory


# --- the runtime and the entry module -------------------------------------------------------------------
def test_runtime_package_is_the_installed_firehose_transform() -> None:
    assert Path(firehose_transform.__file__).resolve().parent == RUNTIME_PACKAGE
    assert (RUNTIME_PACKAGE / "requirements.txt").is_file()


def test_entry_module_exports_the_runtimes_handler() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(ENTRY_MODULE, "handler.py", "exec"), namespace)
    assert namespace["handler"] is firehose_transform.handler.handler
    assert namespace["__all__"] == ["handler"]


def test_pip_installs_wheels_only_for_the_target_platform() -> None:
    bundler = PipLocalBundling(
        platform="manylinux2014_aarch64", python_version="3.14", handler="handler.handler", code_directory=None
    )
    command = bundler.pip_command("/out")
    assert command[1:4] == ["-m", "pip", "install"]
    for flag, value in (
        ("--platform", "manylinux2014_aarch64"),
        ("--implementation", "cp"),
        ("--python-version", "3.14"),
        ("--target", "/out"),
        ("-r", str(RUNTIME_PACKAGE / "requirements.txt")),
    ):
        assert command[command.index(flag) + 1] == value
    assert "--only-binary=:all:" in command


# --- code_directory and handler checks ------------------------------------------------------------------
def test_code_directory_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"code_directory must be an existing directory, got '.*nope'"):
        check_code_directory(TransformOptions(code_directory=tmp_path / "nope"))


def test_handler_module_not_found(tmp_path: Path) -> None:
    options = TransformOptions(code_directory=tmp_path, handler="my_transform.handler")
    with pytest.raises(ConfigurationError, match=r"handler 'my_transform.handler' names a module found neither"):
        check_code_directory(options)


def test_handler_outside_the_runtime_needs_a_code_directory() -> None:
    with pytest.raises(ConfigurationError, match=r"handler 'my_transform.handler' names a module that is not in the"):
        check_code_directory(TransformOptions(handler="my_transform.handler"))


def test_code_directory_cannot_shadow_the_runtime(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"has names the runtime already uses: handler.py; rename them"):
        check_code_directory(TransformOptions(code_directory=_extension(tmp_path, "handler.py")))


def test_code_directory_cannot_be_the_runtime() -> None:
    with pytest.raises(ConfigurationError, match=r"code_directory must be a directory of your own, outside"):
        check_code_directory(TransformOptions(code_directory=RUNTIME_PACKAGE))


def test_accepted_code_directories(tmp_path: Path) -> None:
    assert check_code_directory(TransformOptions()) is None
    assert check_code_directory(TransformOptions(handler="firehose_transform.handler.handler")) is None
    extension = _extension(tmp_path, "my_transform.py")
    options = TransformOptions(code_directory=extension, handler="my_transform.handler")
    assert check_code_directory(options) == extension.resolve()


# --- the asset hash -------------------------------------------------------------------------------------
def test_asset_hash_changes_with_everything_that_changes_the_bundle(tmp_path: Path) -> None:
    arm = TransformOptions()
    base = _asset_hash(arm, None)
    assert _asset_hash(TransformOptions(), None) == base  # stable
    assert _asset_hash(TransformOptions(drop_fields=("email",)), None) == base  # the environment is not code
    x86 = TransformOptions(architecture=lambda_.Architecture.X86_64)
    older = TransformOptions(runtime=lambda_.Runtime.PYTHON_3_13)
    extension = _extension(tmp_path, "my_transform.py")
    with_code = _asset_hash(arm, extension)
    assert len({base, _asset_hash(x86, None), _asset_hash(older, None), with_code}) == 4
    (extension / "my_transform.py").write_text("def handler(event, context):\n    return None\n")
    assert _asset_hash(arm, extension) != with_code


def test_x86_and_arm_get_different_code_assets(transform_templates: dict[str, dict[str, Any]]) -> None:
    arm = function_properties(transform_templates["Default"])["Code"]["S3Key"]
    x86 = function_properties(transform_templates["Full"])["Code"]["S3Key"]
    assert arm != x86


# --- the real bundling ----------------------------------------------------------------------------------
def _wheel_tags(asset: Path, distribution: str) -> list[str]:
    (wheel,) = asset.glob(f"{distribution}-*.dist-info/WHEEL")
    return [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]


def test_real_bundling_builds_arch_specific_assets(tmp_path: Path) -> None:
    extension = _extension(tmp_path, "my_transform.py")
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
    assert (arm_asset / "handler.py").read_text() == ENTRY_MODULE
    assert (arm_asset / "firehose_transform" / "__init__.py").is_file()
    runtime_modules = {p.name for p in RUNTIME_PACKAGE.glob("*.py") if not p.name.startswith("test_")}
    assert {p.name for p in (arm_asset / "firehose_transform").glob("*.py")} == runtime_modules
    assert list((arm_asset / "orjson").glob("*aarch64-linux-gnu.so"))
    assert all("aarch64" in tag and tag.startswith("cp314") for tag in _wheel_tags(arm_asset, "orjson"))
    assert all("aarch64" in tag for tag in _wheel_tags(arm_asset, "pybase64"))
    assert not [p for p in arm_asset.rglob("*") if p.name in ("tests", "__pycache__", "README.md", "bin")]
    assert not list(arm_asset.glob("requirements*.txt"))

    assert list((assets["x86"] / "orjson").glob("*x86_64-linux-gnu.so"))
    assert all("x86_64" in tag for tag in _wheel_tags(assets["x86"], "orjson"))

    assert (assets["custom"] / "my_transform.py").is_file()
    assert (assets["custom"] / "handler.py").is_file()

"""Building the transform function's code asset on this machine, without Docker.

A local bundler runs ``pip install --platform manylinux2014_<arch> --only-binary=:all:`` for the runtime's
wheels (``firehose_transform/requirements.txt``), copies the ``firehose_transform`` package next to them and
writes the bundle's top-level ``handler.py``; a user's ``code_directory`` is copied beside it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, BundlingOutput, DockerImage, FileSystem, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import firehose_transform

from ..validation import ConfigurationError
from .options import DEFAULT_HANDLER, TransformOptions

__all__ = ["ENTRY_MODULE", "RUNTIME_PACKAGE", "BundlingError", "PipLocalBundling", "function_code"]

#: The runtime package deployed by :class:`TransformFunction`, wherever it is installed (``lambda_src/`` in a
#: checkout, site-packages once installed). The bundle holds it as ``firehose_transform/`` plus a top-level
#: ``handler.py`` that re-exports its entry point, so the function's handler is ``handler.handler``.
RUNTIME_PACKAGE = Path(firehose_transform.__file__).resolve().parent
#: The bundle's top-level ``handler.py``.
ENTRY_MODULE = (
    '"""Lambda entry point: the firehose_transform runtime (see firehose_transform/handler.py)."""\n\n'
    'from firehose_transform.handler import handler\n\n__all__ = ["handler"]\n'
)
#: What the bundle holds at its top level besides the pip-installed wheels.
_RUNTIME_NAMES = frozenset({"handler.py", RUNTIME_PACKAGE.name})
_REQUIREMENTS = RUNTIME_PACKAGE / "requirements.txt"
#: Bump when the bundle layout changes, so every existing asset hash changes with it.
_BUNDLER_VERSION = "pip-local-2"
#: What is never copied into the bundle (tests, docs, caches, the requirements pip already installed).
_NOT_BUNDLED = (
    "__pycache__",
    "*.pyc",
    ".*",
    "tests",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "README*",
    "*.md",
    "requirements*.txt",
    "py.typed",
)


class BundlingError(RuntimeError):
    """The local bundler could not build the transform's code asset (there is no Docker fallback)."""


def _handler_module_exists(root: Path, handler: str) -> bool:
    module = handler.rsplit(".", 1)[0].replace(".", "/")
    return (root / f"{module}.py").is_file() or (root / module / "__init__.py").is_file()


def _runtime_has_module(handler: str) -> bool:
    """Whether ``handler`` names the bundle's entry module or a module of the runtime package."""
    module = handler.rsplit(".", 1)[0]
    if module == "handler":
        return True
    return module.split(".")[0] == RUNTIME_PACKAGE.name and _handler_module_exists(RUNTIME_PACKAGE.parent, handler)


def _top_level_names(directory: Path) -> set[str]:
    ignore = shutil.ignore_patterns(*_NOT_BUNDLED)
    names = [p.name for p in directory.iterdir()]
    return set(names) - set(ignore(str(directory), names))


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Builds the function's code asset on this machine, without Docker.

    1. ``pip install --platform <manylinux2014 arch> --implementation cp --python-version <runtime>
       --only-binary=:all: --target <asset> -r firehose_transform/requirements.txt`` (wheels only, so
       nothing is compiled for the wrong machine);
    2. copies the ``firehose_transform`` package (without tests, docs, caches) and writes ``handler.py``;
    3. copies ``code_directory`` (if any) next to it.

    Returns True on success and raises :class:`BundlingError` otherwise: there is no Docker fallback.
    """

    def __init__(self, *, platform: str, python_version: str, handler: str, code_directory: Path | None) -> None:
        self.platform = platform
        self.python_version = python_version
        self.handler = handler
        self.code_directory = code_directory

    def pip_command(self, output_dir: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--platform",
            self.platform,
            "--implementation",
            "cp",
            "--python-version",
            self.python_version,
            "--only-binary=:all:",
            "--target",
            output_dir,
            "-r",
            str(_REQUIREMENTS),
        ]

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        command = self.pip_command(output_dir)
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, check=False, env={**os.environ, "PIP_NO_INPUT": "1"}
            )
        except OSError as error:
            raise BundlingError(f"could not run pip to bundle the transform function: {error}") from error
        if result.returncode != 0:
            raise BundlingError(
                f"pip could not install the transform's wheels for {self.platform}, CPython {self.python_version} "
                f"(exit code {result.returncode}). Command: {' '.join(command)}\n{result.stderr.strip()[-2000:]}"
            )
        out = Path(output_dir)
        # pip's console scripts (e.g. bin/pybase64) point at this machine's Python: useless in Lambda.
        shutil.rmtree(out / "bin", ignore_errors=True)
        ignore = shutil.ignore_patterns(*_NOT_BUNDLED)
        shutil.copytree(RUNTIME_PACKAGE, out / RUNTIME_PACKAGE.name, ignore=ignore, dirs_exist_ok=True)
        (out / "handler.py").write_text(ENTRY_MODULE)
        if self.code_directory is not None:
            clashes = sorted(_top_level_names(self.code_directory) & {p.name for p in out.iterdir()})
            if clashes:
                raise BundlingError(
                    f"code_directory {self.code_directory} has names the bundle already holds: {', '.join(clashes)}"
                )
            shutil.copytree(self.code_directory, out, ignore=ignore, dirs_exist_ok=True)
        if not _handler_module_exists(out, self.handler):
            raise BundlingError(
                f"the bundle has no module for handler {self.handler!r} (looked in {RUNTIME_PACKAGE}"
                + (f" and {self.code_directory}" if self.code_directory else "")
                + ")"
            )
        return True


def _fingerprint(directory: Path) -> str:
    return FileSystem.fingerprint(str(directory), exclude=list(_NOT_BUNDLED))


def _asset_hash(options: TransformOptions, code_directory: Path | None) -> str:
    """Changes with the runtime code, the requirements, the user's code, the architecture and Python."""
    parts = [
        _BUNDLER_VERSION,
        options.pip_platform,
        options.python_version,
        _fingerprint(RUNTIME_PACKAGE),
        hashlib.sha256(_REQUIREMENTS.read_bytes()).hexdigest() if _REQUIREMENTS.is_file() else "-",
        _fingerprint(code_directory) if code_directory is not None else "-",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def function_code(options: TransformOptions, code_directory: Path | None) -> lambda_.Code:
    """The function's code asset: bundled locally, hashed from everything that changes the bundle."""
    bundler = PipLocalBundling(
        platform=options.pip_platform,
        python_version=options.python_version,
        handler=options.handler,
        code_directory=code_directory,
    )
    return lambda_.Code.from_asset(
        str(RUNTIME_PACKAGE),
        exclude=list(_NOT_BUNDLED),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=_asset_hash(options, code_directory),
        bundling=BundlingOptions(
            # Required by the API; never pulled: the local bundler always succeeds or raises.
            image=DockerImage.from_registry("unused-local-bundling-only"),
            local=bundler,
            output_type=BundlingOutput.NOT_ARCHIVED,
        ),
    )


def check_code_directory(options: TransformOptions) -> Path | None:
    if options.code_directory is None:
        if options.handler != DEFAULT_HANDLER and not _runtime_has_module(options.handler):
            raise ConfigurationError(
                f"handler {options.handler!r} names a module that is not in the runtime; "
                "set code_directory to the directory that holds it"
            )
        return None
    directory = Path(options.code_directory).resolve()
    if not directory.is_dir():
        raise ConfigurationError(f"code_directory must be an existing directory, got {str(options.code_directory)!r}")
    if directory == RUNTIME_PACKAGE or RUNTIME_PACKAGE in directory.parents or directory in RUNTIME_PACKAGE.parents:
        raise ConfigurationError(
            f"code_directory must be a directory of your own, outside {RUNTIME_PACKAGE.parent}, got {str(directory)!r}"
        )
    clashes = sorted(_top_level_names(directory) & _RUNTIME_NAMES)
    if clashes:
        raise ConfigurationError(
            f"code_directory {str(directory)!r} has names the runtime already uses: {', '.join(clashes)}; rename them"
        )
    if not _handler_module_exists(directory, options.handler) and not _runtime_has_module(options.handler):
        raise ConfigurationError(
            f"handler {options.handler!r} names a module found neither in code_directory {str(directory)!r} "
            "nor in the runtime"
        )
    return directory

"""The transform function of a delivery stream, as the simulator will run it: code, handler, environment.

From the ``AWS::Lambda::Function`` the processor's ``LambdaArn`` points at: its asset directory in the cloud
assembly (``Code.S3Key`` -> ``<stack>.assets.json``) or its inline ``Code.ZipFile`` (saved as ``index.py``,
as CloudFormation does), its ``Handler``, ``Timeout`` (default 3 s; Firehose stops waiting at 300 s),
``MemorySize`` and ``Environment`` (resolved, see :mod:`template_values`). Python runtimes only; anything
else needs ``--processor module:function``.

Binary packages: the asset's wheels are built for the function's platform (this library bundles orjson and
pybase64 for arm64 Linux). :func:`binary_plan` finds every distribution in the code directory whose
extension modules the host cannot load and, for each, the host's installed copy of the same distribution to
use instead (or none: the package is then hidden and the function's fallback, if it has one, runs). The
plan is reported, so a user sees which compiled code ran.

Secrets: every ``AWS::SecretsManager::Secret`` of the stack gets a local value (``--secret ID=VALUE``, or a
key derived from the stack and logical ID: ``sha256("firehose-s3 simulate|<stack>|<id>")`` in hex, 64
characters like the construct's ``GenerateSecretString``), which the worker's local ``boto3`` serves. Keyed
hashes therefore differ from the deployed stack's, and are repeatable.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.metadata
import json
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firehose_s3_client.simulate.processor_config import LambdaProcessor, UnsupportedConfigurationError
from firehose_s3_client.simulate.template_values import TemplateResolver
from firehose_transform.contract import LAMBDA_MAX_TIMEOUT_SECONDS

__all__ = ["BinaryReplacement", "FunctionSpec", "LocalSecret", "binary_plan", "function_spec", "local_secrets"]

DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
_FUNCTION_PROPERTIES = {"Code", "Handler", "Runtime", "Timeout", "MemorySize", "Environment", "Architectures"}
#: Properties without an effect on what the handler computes here: noted, not rejected.
_NO_LOCAL_EFFECT = {
    "Role": "IAM is not simulated",
    "Description": "descriptive only",
    "FunctionName": "used as the function's name",
    "LoggingConfig": "function logs go to --function-log",
    "ReservedConcurrentExecutions": "the simulator runs one invocation at a time",
    "TracingConfig": "X-Ray is not simulated",
    "Tags": "tags have no local effect",
    "VpcConfig": "no network is simulated",
    "KmsKeyArn": "environment encryption has no local effect",
    "EphemeralStorage": "/tmp is the host's",
    "DeadLetterConfig": "Firehose invokes synchronously, so a dead-letter queue never applies",
    "SnapStart": "no snapshots are simulated",
    "RuntimeManagementConfig": "the host's Python runs the code",
    "RecursiveLoop": "no recursion detection is simulated",
    "CodeSigningConfigArn": "code signing is not checked",
}


@dataclass(frozen=True)
class BinaryReplacement:
    """A distribution of the code directory whose compiled modules do not load on this machine."""

    distribution: str
    version: str
    tag: str
    top_level: tuple[str, ...]
    host_version: str | None
    host_location: str | None

    def describe(self) -> str:
        if self.host_location is None:
            return (
                f"{self.distribution} {self.version} ({self.tag}) does not load here and the host has no "
                "compatible copy: it is hidden, so the function's fallback runs"
            )
        return (
            f"{self.distribution} {self.version} ({self.tag}) does not load here: the host's "
            f"{self.distribution} {self.host_version} runs instead"
        )


@dataclass(frozen=True)
class LocalSecret:
    """The local value of a stack secret, and where it came from (``--secret`` or derived)."""

    logical_id: str
    arn: str
    name: str
    value: str
    source: str  # "derived" | "--secret"

    def report(self) -> dict[str, str]:
        """What the report says (the value itself only when it was derived, never one the user gave)."""
        out = {"arn": self.arn, "source": self.source}
        if self.source == "derived":
            out["value"] = self.value
        else:
            out["sha256"] = hashlib.sha256(self.value.encode()).hexdigest()
        return out


@dataclass(frozen=True)
class FunctionSpec:
    """Everything the invoker needs to run the function (``code_dir`` None: the host's path)."""

    name: str
    arn: str
    handler: str
    code_dir: Path | None
    runtime: str
    timeout_seconds: float
    memory_mb: int
    environment: dict[str, str]
    replacements: tuple[BinaryReplacement, ...] = ()
    secrets: tuple[LocalSecret, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def ensure_ascii(self) -> bool:
        """Whether the runtime ASCII-escapes the response (the Python runtime does before 3.12)."""
        version = self.runtime.removeprefix("python")
        try:
            major, minor = (int(part) for part in version.split(".")[:2])
        except ValueError:
            return False
        return (major, minor) < (3, 12)


def local_secrets(resolver: TemplateResolver, given: dict[str, str]) -> tuple[LocalSecret, ...]:
    """A local value for every secret of the stack (see the module docstring)."""
    stack = resolver.stack
    unknown = sorted(set(given) - set(stack.resources_of_type("AWS::SecretsManager::Secret")))
    if unknown:
        raise UnsupportedConfigurationError(
            f"--secret {unknown[0]}: the stack has no AWS::SecretsManager::Secret of that logical ID"
        )
    secrets = []
    for logical_id, resource in sorted(stack.resources_of_type("AWS::SecretsManager::Secret").items()):
        properties = resource.get("Properties") or {}
        if logical_id in given:
            value, source = given[logical_id], "--secret"
        elif isinstance(properties.get("SecretString"), str):
            value, source = properties["SecretString"], "template"
        else:
            value = hashlib.sha256(f"firehose-s3 simulate|{stack.stack_name}|{logical_id}".encode()).hexdigest()
            source = "derived"
            generate = properties.get("GenerateSecretString") or {}
            key = generate.get("GenerateStringKey")
            template = generate.get("SecretStringTemplate")
            if isinstance(key, str) and isinstance(template, str):
                value = json.dumps({**json.loads(template), key: value})
        secrets.append(
            LocalSecret(logical_id, resolver.arn(logical_id), resolver.physical_name(logical_id), value, source)
        )
    return tuple(secrets)


def function_spec(
    resolver: TemplateResolver,
    processor: LambdaProcessor,
    *,
    override: str | None,
    secrets: tuple[LocalSecret, ...],
) -> FunctionSpec:
    """The function to run for ``processor``; ``override`` is ``--processor module:function``.

    Raises:
        UnsupportedConfigurationError: the function cannot be run (not in the stack, not Python, no code...).
    """
    function_id = processor.function_id
    properties: dict[str, Any] = {}
    if function_id is not None:
        properties = resolver.stack.resources[function_id].get("Properties") or {}
    where = function_id or processor.lambda_arn
    environment, notes = _environment(properties, resolver, where)
    timeout = min(float(properties.get("Timeout", DEFAULT_TIMEOUT_SECONDS)), LAMBDA_MAX_TIMEOUT_SECONDS)
    memory = int(properties.get("MemorySize", DEFAULT_MEMORY_MB))
    name = resolver.physical_name(function_id) if function_id else processor.lambda_arn.rsplit(":", 1)[-1]
    if override is not None:
        module, sep, attribute = override.partition(":")
        if not sep or not module or not attribute:
            raise UnsupportedConfigurationError(f"--processor {override!r}: expected module:function")
        if function_id is None:
            timeout = LAMBDA_MAX_TIMEOUT_SECONDS
        return FunctionSpec(
            name,
            processor.lambda_arn,
            f"{module}.{attribute}",
            None,
            f"python{sys.version_info[0]}.{sys.version_info[1]}",
            timeout,
            memory,
            environment,
            (),
            secrets,
            tuple(notes),
        )
    if function_id is None:
        raise UnsupportedConfigurationError(
            f"the Lambda processor's function {processor.lambda_arn} is not defined in this stack: "
            "pass --processor module:function to run local code in its place"
        )
    unknown = sorted(set(properties) - _FUNCTION_PROPERTIES - set(_NO_LOCAL_EFFECT))
    if unknown:
        raise UnsupportedConfigurationError(
            f"{where}.{unknown[0]} is not supported by the simulator (pass --processor module:function)"
        )
    notes.extend(
        f"{where}.{key}: {why}" for key, why in _NO_LOCAL_EFFECT.items() if key in properties and key != "FunctionName"
    )
    runtime = str(properties.get("Runtime", ""))
    if not runtime.startswith("python"):
        raise UnsupportedConfigurationError(
            f"{where}: runtime {runtime or 'none (a container image)'} cannot run here: "
            "pass --processor module:function"
        )
    code_dir = _code_dir(properties.get("Code"), resolver, where)
    host = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if runtime != f"python{host}":
        notes.append(f"{where}: the {runtime} function runs on this machine's Python {platform.python_version()}")
    handler = properties.get("Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise UnsupportedConfigurationError(f"{where}.Handler {handler!r} is not module.function")
    return FunctionSpec(
        name=name,
        arn=processor.lambda_arn,
        handler=handler,
        code_dir=code_dir,
        runtime=runtime,
        timeout_seconds=timeout,
        memory_mb=memory,
        environment=environment,
        replacements=binary_plan(code_dir),
        secrets=secrets,
        notes=tuple(notes),
    )


def _environment(
    properties: dict[str, Any], resolver: TemplateResolver, where: str
) -> tuple[dict[str, str], list[str]]:
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    if not isinstance(variables, dict):
        raise UnsupportedConfigurationError(f"{where}.Environment.Variables is not an object")
    resolved = {
        str(key): resolver.string(value, f"{where}.Environment.Variables.{key}") for key, value in variables.items()
    }
    return resolved, []


def _code_dir(code: Any, resolver: TemplateResolver, where: str) -> Path:
    if not isinstance(code, dict):
        raise UnsupportedConfigurationError(f"{where}.Code is missing")
    if isinstance(code.get("ZipFile"), str):
        directory = Path(tempfile.mkdtemp(prefix="firehose-s3-inline-"))
        (directory / "index.py").write_text(code["ZipFile"], encoding="utf-8")
        return directory
    key = code.get("S3Key")
    if not isinstance(key, str):
        raise UnsupportedConfigurationError(f"{where}.Code: only assets of the cloud assembly and inline code can run")
    asset = resolver.stack.asset_directory(key)
    if asset is None:
        raise UnsupportedConfigurationError(
            f"{where}.Code: asset {key} is not a directory of the cloud assembly (synthesize with bundling on)"
        )
    return asset


def binary_plan(code_dir: Path) -> tuple[BinaryReplacement, ...]:
    """Distributions of ``code_dir`` whose extension modules do not load on this interpreter (see module doc)."""
    plan = []
    for info in sorted(code_dir.glob("*.dist-info")):
        tags = _wheel_tags(info)
        top_level = _top_level(info)
        extensions = [path for top in top_level for path in _extension_files(code_dir / top)]
        if not extensions or (all(_loadable(path.name) for path in extensions) and _platform_matches(tags)):
            continue
        metadata = _metadata(info)
        name = metadata.get("Name", info.name.split("-", 1)[0])
        host_version, host_location = _host_copy(name, top_level)
        plan.append(
            BinaryReplacement(
                distribution=name,
                version=metadata.get("Version", "?"),
                tag=tags[0] if tags else "unknown platform",
                top_level=tuple(top_level),
                host_version=host_version,
                host_location=host_location,
            )
        )
    return tuple(plan)


def _wheel_tags(info: Path) -> list[str]:
    wheel = info / "WHEEL"
    if not wheel.is_file():
        return []
    return [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]


def _metadata(info: Path) -> dict[str, str]:
    path = info / "METADATA"
    out: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            out.setdefault(key.strip(), value.strip())
    return out


def _top_level(info: Path) -> list[str]:
    listed = info / "top_level.txt"
    if listed.is_file():
        return [line.strip() for line in listed.read_text().splitlines() if line.strip()]
    record = info / "RECORD"
    names: dict[str, None] = {}
    if record.is_file():
        for line in record.read_text().splitlines():
            first = line.split(",", 1)[0].split("/", 1)[0]
            if first and not first.endswith((".dist-info", ".data")) and first != "__pycache__":
                names.setdefault(first.split(".", 1)[0] if first.endswith((".py", ".so", ".pyd")) else first)
    return list(names)


def _extension_files(path: Path) -> list[Path]:
    if path.is_dir():
        return [p for p in path.rglob("*") if p.suffix in {".so", ".pyd"}]
    return [p for p in path.parent.glob(f"{path.name}.*") if p.suffix in {".so", ".pyd"}]


def _loadable(filename: str) -> bool:
    return any(filename.endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES if suffix != ".so") or (
        filename.count(".") == 1 and filename.endswith(".so")
    )


def _platform_matches(tags: list[str]) -> bool:
    machine = platform.machine().lower()
    system = sys.platform
    for tag in tags:
        plat = tag.rsplit("-", 1)[-1]
        if plat == "any" or (machine in plat and (system.startswith("linux") == ("linux" in plat))):
            return True
    return not tags


def _host_copy(distribution: str, top_level: list[str]) -> tuple[str | None, str | None]:
    """The version and site directory of this interpreter's own copy of ``distribution``, if it has one."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None, None
    for top in top_level:
        location = Path(str(dist.locate_file(top)))
        if location.exists() or any(location.parent.glob(f"{top}.*")):
            return dist.version, str(location.parent)
    return None, None

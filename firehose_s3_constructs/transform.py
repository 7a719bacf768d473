"""The record-transform Lambda function, its least-privilege role, and the Firehose processor that calls it.

``TransformFunction`` deploys the runtime in ``lambda_src/transform`` (JSON field drop/mask/keyed hash, JSON or
CSV output, partition keys for dynamic partitioning) with its own log group, its own role and, when fields
are hashed, a generated Secrets Manager key. ``lambda_processor`` renders the Firehose ``ProcessingConfiguration``
entry that invokes any function, with every parameter explicit (aws-cdk-lib's ``LambdaFunctionProcessor``
silently drops ``retries=0``).

The code is bundled without Docker: a local bundler runs ``pip install --platform manylinux2014_<arch>
--only-binary=:all:`` for the runtime's wheels (``lambda_src/transform/requirements.txt``) and copies the
runtime code next to them. Contract of the runtime's environment: ``docs/CONTRACTS.md``.

Example::

    transform = TransformFunction(
        stack, "Transform",
        options=TransformOptions(drop_fields=("debug",), hash_fields=("email",), partition_key_fields=("tenant",)),
    )
    processor = lambda_processor(transform.function, ProcessorOptions(retries=0))
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsii
from aws_cdk import (
    ArnFormat,
    AssetHashType,
    BundlingOptions,
    BundlingOutput,
    DockerImage,
    Duration,
    FileSystem,
    ILocalBundling,
    RemovalPolicy,
    Size,
    SizeRoundingBehavior,
    Stack,
    Token,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from .compliance import acknowledge, in_packs, skip_checkov
from .encryption import allow_cloudwatch_logs
from .validation import ConfigurationError, check_range, whole_seconds

__all__ = [
    "DEFAULT_HANDLER",
    "ENTRY_MODULE",
    "RUNTIME_PACKAGE",
    "BundlingError",
    "PipLocalBundling",
    "ProcessorOptions",
    "TransformFunction",
    "TransformOptions",
    "lambda_processor",
]

import firehose_transform

#: The runtime package deployed by :class:`TransformFunction`, wherever it is installed (``lambda_src/`` in a
#: checkout, site-packages once installed). The bundle holds it as ``firehose_transform/`` plus a top-level
#: ``handler.py`` that re-exports its entry point, so the function's handler is ``handler.handler``.
RUNTIME_PACKAGE = Path(firehose_transform.__file__).resolve().parent
#: The runtime's entry point, as the function's ``Handler``.
DEFAULT_HANDLER = "handler.handler"
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
_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}

# --- limits (sources in the comments) -------------------------------------------------------------------
# Firehose ProcessorParameter: BufferSizeInMBs 0.2-3, BufferIntervalInSeconds 0-900, NumberOfRetries default 3
# (https://docs.aws.amazon.com/firehose/latest/APIReference/API_ProcessorParameter.html,
#  https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
_MIN_BUFFER_MB, _MAX_BUFFER_MB = 0.2, 3.0
_MAX_BUFFER_INTERVAL_S = 900
# AWS documents no maximum for NumberOfRetries; 300 is this library's ceiling (retries are immediate
# re-invocations of the same batch; hundreds already mean minutes of stalled delivery).
_MAX_RETRIES = 300
# "Amazon Data Firehose supports a Lambda invocation time of up to 5 minutes" (data-transformation.html).
_MAX_TIMEOUT_S = 300
# Lambda memory: 128-10,240 MB in 1-MB steps (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
_MIN_MEMORY_MB, _MAX_MEMORY_MB = 128, 10240
_MIN_PYTHON = (3, 13)
_PYTHON_RUNTIME = re.compile(r"python(\d+)\.(\d+)")
# Lambda: keys match [a-zA-Z]([a-zA-Z0-9_])+; all variables together at most 4 KB; reserved keys
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
_MAX_ENV_BYTES = 4096
_ARN_ESTIMATE = 100  # a Secrets Manager ARN's length, for the size check of a token
_LAMBDA_RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
#: The docs/CONTRACTS.md variables that TransformOptions sets from its own fields.
_OPTION_ENV = frozenset(
    {
        "DROP_FIELDS",
        "MASK_FIELDS",
        "HASH_FIELDS",
        "HASH_KEY_SECRET_ARN",
        "OUTPUT_FORMAT",
        "CSV_COLUMNS",
        "PARTITION_KEY_FIELDS",
        "EVENT_TIME_FIELD",
    }
)
# The runtime's own rules (lambda_src/transform/firehose_transform/config.py), checked at synth time too.
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TIME_PARTITION_KEYS = ("year", "month", "day", "hour")
_HANDLER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_TRACING_MODES = {lambda_.Tracing.ACTIVE: "Active", lambda_.Tracing.PASS_THROUGH: "PassThrough"}


class BundlingError(RuntimeError):
    """The local bundler could not build the transform's code asset (there is no Docker fallback)."""


# --- the Firehose processor -----------------------------------------------------------------------------
def _lambda_buffer_mb(size: Size) -> float:
    """Firehose's "MB" as CDK mebibytes: ``Size.mebibytes(1)`` -> 1, ``Size.kibibytes(256)`` -> 0.25."""
    mebibytes = size.to_kibibytes(rounding=SizeRoundingBehavior.NONE) / 1024
    if Token.is_unresolved(mebibytes):
        raise ConfigurationError("buffer_size must be a concrete Size, got an unresolved token")
    return mebibytes


@dataclass(frozen=True, kw_only=True)
class ProcessorOptions:
    """How Firehose buffers records for, and retries, the transform function (validated on creation).

    Attributes:
        buffer_size: invoke the function when this much data is buffered; 0.2-3 MB. Default 1 MiB.
            Firehose's BufferSizeInMBs is read as mebibytes, the unit of CDK's ``Size`` (aws-cdk-lib's own
            processor renders ``Size.mebibytes(n)`` as ``n`` too); fractions are allowed, e.g.
            ``Size.kibibytes(256)`` renders "0.25" (rounded to 3 decimals, which keeps it in range).
            The request Firehose sends is this buffer base64-encoded in JSON (about 4/3 of it), and the
            response must stay under Lambda's 6 MB synchronous payload limit.
        buffer_interval: invoke the function at least this often; 0-900 s, whole seconds. Default 60 s.
        retries: re-invocations after a failed invocation (network timeout, invocation limit) before
            Firehose sends the batch to the error prefix as ``processing-failed``; 0-300. Default 3. 0 is
            rendered (aws-cdk-lib's ``LambdaFunctionProcessor`` drops it and Firehose's default 3 applies).
            AWS documents the default 3 and no maximum; 300 is this library's ceiling.
    """

    buffer_size: Size = Size.mebibytes(1)
    buffer_interval: Duration = Duration.seconds(60)
    retries: int = 3

    def __post_init__(self) -> None:
        check_range("buffer_size", _lambda_buffer_mb(self.buffer_size), _MIN_BUFFER_MB, _MAX_BUFFER_MB, "MB")
        check_range(
            "buffer_interval",
            whole_seconds("buffer_interval", self.buffer_interval),
            0,
            _MAX_BUFFER_INTERVAL_S,
            "seconds",
        )
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise ConfigurationError(
                f"retries must be a whole number between 0 and {_MAX_RETRIES}, got {self.retries!r}"
            )
        check_range("retries", self.retries, 0, _MAX_RETRIES)

    @property
    def buffer_size_mb(self) -> str:
        """BufferSizeInMBs as rendered: MiB, at most 3 decimals, no trailing zeros ("1", "0.25")."""
        return f"{round(_lambda_buffer_mb(self.buffer_size), 3):g}"

    @property
    def buffer_interval_seconds(self) -> str:
        """BufferIntervalInSeconds as rendered."""
        return str(whole_seconds("buffer_interval", self.buffer_interval))


@jsii.implements(firehose.IDataProcessor)
class _LambdaProcessor:
    """A Lambda processor rendering every parameter, NumberOfRetries 0 included."""

    def __init__(self, function: lambda_.IFunction, options: ProcessorOptions) -> None:
        self._function = function
        self._options = options

    @property
    def props(self) -> firehose.DataProcessorProps:
        return firehose.DataProcessorProps(
            buffer_interval=self._options.buffer_interval,
            buffer_size=self._options.buffer_size,
            retries=self._options.retries,
        )

    def bind(
        self,
        scope: Construct,
        *,
        role: iam.IRole,
        dynamic_partitioning_enabled: bool | None = None,
        prefix: str | None = None,
    ) -> firehose.DataProcessorConfig:
        # Like the L2, grant invocation to the destination's role, but only the two actions AWS documents,
        # on the function's ARN (the L2 also grants fn:*). A role.without_policy_updates() takes nothing.
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            resource_arns=[self._function.function_arn],
        )
        function_arn = self._function.function_arn
        rendered = {
            # The L2 always sets the destination's role here; so do we.
            "RoleArn": role.role_arn,
            "LambdaArn": function_arn,
            "NumberOfRetries": str(self._options.retries),
            "BufferSizeInMBs": self._options.buffer_size_mb,
            "BufferIntervalInSeconds": self._options.buffer_interval_seconds,
        }
        # With ``parameters`` set, the L2 renders them as they are (and ignores ``props``).
        return firehose.DataProcessorConfig(
            processor_type="Lambda",
            processor_identifier=firehose.DataProcessorIdentifier(
                parameter_name="LambdaArn", parameter_value=function_arn
            ),
            parameters=[
                firehose.CfnDeliveryStream.ProcessorParameterProperty(parameter_name=name, parameter_value=value)
                for name, value in rendered.items()
            ],
        )


def lambda_processor(function: lambda_.IFunction, options: ProcessorOptions | None = None) -> firehose.IDataProcessor:
    """A Firehose data processor that invokes ``function``; pass it to ``firehose.S3Bucket(processors=[...])``.

    Renders ``Type: Lambda`` with ``RoleArn`` (the destination's role, as aws-cdk-lib does), ``LambdaArn``,
    ``NumberOfRetries`` (0 included), ``BufferSizeInMBs`` and ``BufferIntervalInSeconds``, all explicit.

    The destination's role needs ``lambda:InvokeFunction`` and ``lambda:GetFunctionConfiguration`` on
    ``function.function_arn``. The processor adds them to a mutable role (nothing more: no ``:*``); with
    ``role.without_policy_updates()`` it adds nothing and the caller grants them
    (``DeliveryRole.add_lambda_processor``).

    Args:
        function: the transform function (e.g. ``TransformFunction.function``).
        options: buffering and retries. Default :class:`ProcessorOptions` () (1 MiB, 60 s, 3 retries).
    """
    return _LambdaProcessor(function, options if options is not None else ProcessorOptions())


# --- the transform function's options -------------------------------------------------------------------
def _check_field_names(option: str, names: Sequence[str]) -> None:
    if isinstance(names, str):
        raise ConfigurationError(f"{option} must be a sequence of field names, not a string, got {names!r}")
    for name in names:
        if not isinstance(name, str) or not name or name != name.strip() or "," in name:
            raise ConfigurationError(
                f"{option} must hold non-empty field names without commas or surrounding spaces "
                f"(they are passed comma-separated), got {name!r}"
            )
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        raise ConfigurationError(f"{option} lists {', '.join(duplicates)} more than once, got {list(names)!r}")


def _python_version(runtime: lambda_.Runtime) -> tuple[int, int] | None:
    match = _PYTHON_RUNTIME.fullmatch(runtime.name)
    if runtime.family != lambda_.RuntimeFamily.PYTHON or match is None:
        return None
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True, kw_only=True)
class TransformOptions:
    """What the transform does to each JSON record, and how its function is sized (validated on creation).

    Record edits (top-level fields; names are passed comma-separated to the runtime, see docs/CONTRACTS.md):

    Attributes:
        drop_fields: fields removed from every record (``DROP_FIELDS``). Default ().
        mask_fields: fields masked, e.g. ``jane@example.com`` -> ``j***@example.com`` (``MASK_FIELDS``).
            Default ().
        hash_fields: fields replaced by a keyed hash (hex) for pseudonymisation (``HASH_FIELDS``). The key is
            a 64-character Secrets Manager secret that :class:`TransformFunction` creates (or the one you
            pass as ``hash_key_secret``); only its ARN is in the environment (``HASH_KEY_SECRET_ARN``).
            Default (). A field may appear in only one of drop/mask/hash.
        output_format: ``"json"`` (one JSON object per line) or ``"csv"`` (``OUTPUT_FORMAT``). Default "json".
        csv_columns: column order of CSV output, required with ``output_format="csv"`` and only allowed
            with it (``CSV_COLUMNS``). Default ().
        partition_key_fields: fields returned as ``metadata.partitionKeys`` for dynamic partitioning
            (``!{partitionKeyFromLambda:<field>}``) (``PARTITION_KEY_FIELDS``). Default ().
        event_time_field: field holding the event time (ISO-8601 or epoch s/ms); adds ``year``, ``month``,
            ``day``, ``hour`` partition keys in UTC (``EVENT_TIME_FIELD``). Default None.

    Function:
        memory_size: 128-10,240 MiB, whole MiB. Default 512 MiB. A 3 MiB batch peaks at 34-54 MiB, so memory
            is not the constraint; Lambda's CPU share is (proportional to memory, one vCPU at 1,769 MB).
            512 MiB gives ~0.29 vCPU: a 3 MiB batch takes roughly 0.1-0.15 s with orjson. Raise it for lower
            latency per batch; the cost per batch stays roughly the same while the work is CPU-bound.
        timeout: whole seconds, 1 s - 5 min (Firehose waits at most 5 minutes for the function). Default 60 s.
        architecture: ``ARM_64`` (default; cheaper per GB-second) or ``X86_64``. The bundler installs
            wheels for it.
        runtime: a Python runtime, 3.13 or newer. Default ``Runtime.PYTHON_3_14``, the newest aws-cdk-lib
            2.275 knows (cdk-nag's AwsSolutions-L1 asks for the newest; an older one is reported).
        reserved_concurrent_executions: at least 1. Default 10. Reserving caps the function and keeps a
            noisy neighbour from starving it. Firehose invokes at most 5 at a time per shard of a Kinesis
            source, and scales with throughput for Direct PUT (at the default quotas a few concurrent
            invocations suffice). Set ``5 x shards`` for a Kinesis source. Throttled invocations are retried
            (``ProcessorOptions.retries``) then go to ``processing-failed``. An account must keep 100
            unreserved executions: accounts with a low concurrency quota may need a smaller value.
        tracing: ``Tracing.DISABLED`` (default), ``ACTIVE`` or ``PASS_THROUGH``. Other than DISABLED adds
            ``xray:PutTraceSegments``/``PutTelemetryRecords`` on ``*`` (X-Ray has no resource-level
            permissions).
        log_retention: retention of the function's log group. Default one year.
        environment: extra environment variables, e.g. ``LOG_LEVEL`` or ``METRICS_NAMESPACE``. Never put a
            secret here. The variables the options above set, and Lambda's reserved keys, are refused.
            Default {}.
        code_directory: a directory of your own modules, copied into the bundle next to the runtime (its
            contents at the top level), so ``handler`` can name a module of yours that uses the runtime's
            extension API. No name in it may clash with the runtime's files. Default None.
        handler: the entry point, ``module.function``. Default ``"handler.handler"`` (the runtime).
    """

    drop_fields: Sequence[str] = ()
    mask_fields: Sequence[str] = ()
    hash_fields: Sequence[str] = ()
    output_format: Literal["json", "csv"] = "json"
    csv_columns: Sequence[str] = ()
    partition_key_fields: Sequence[str] = ()
    event_time_field: str | None = None
    memory_size: Size = Size.mebibytes(512)
    timeout: Duration = Duration.seconds(60)
    architecture: lambda_.Architecture = lambda_.Architecture.ARM_64
    runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_14
    reserved_concurrent_executions: int = 10
    tracing: lambda_.Tracing = lambda_.Tracing.DISABLED
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    environment: Mapping[str, str] = field(default_factory=dict)
    code_directory: str | Path | None = None
    handler: str = DEFAULT_HANDLER

    def __post_init__(self) -> None:
        self._check_fields()
        self._check_function()
        self._check_environment()

    # --- derived values ---
    @property
    def memory_size_mb(self) -> int:
        return int(self.memory_size.to_mebibytes(rounding=SizeRoundingBehavior.NONE))

    @property
    def python_version(self) -> str:
        """The runtime's Python version, e.g. "3.14" (the wheels the bundler installs)."""
        version = _python_version(self.runtime)
        assert version is not None  # validated
        return f"{version[0]}.{version[1]}"

    @property
    def pip_platform(self) -> str:
        return _PIP_PLATFORMS[self.architecture.name]

    def runtime_environment(self, hash_key_secret_arn: str | None) -> dict[str, str]:
        """The function's environment: docs/CONTRACTS.md variables of the set options, then the extras."""
        env: dict[str, str] = {"OUTPUT_FORMAT": self.output_format}
        for name, values in (
            ("DROP_FIELDS", self.drop_fields),
            ("MASK_FIELDS", self.mask_fields),
            ("HASH_FIELDS", self.hash_fields),
            ("CSV_COLUMNS", self.csv_columns),
            ("PARTITION_KEY_FIELDS", self.partition_key_fields),
        ):
            if values:
                env[name] = ",".join(values)
        if hash_key_secret_arn is not None:
            env["HASH_KEY_SECRET_ARN"] = hash_key_secret_arn
        if self.event_time_field is not None:
            env["EVENT_TIME_FIELD"] = self.event_time_field
        env.update(self.environment)
        return env

    # --- checks ---
    def _check_fields(self) -> None:
        for option in ("drop_fields", "mask_fields", "hash_fields", "csv_columns", "partition_key_fields"):
            _check_field_names(option, getattr(self, option))
        edits = {"drop_fields": self.drop_fields, "mask_fields": self.mask_fields, "hash_fields": self.hash_fields}
        seen: dict[str, str] = {}
        for option, names in edits.items():
            for name in names:
                if name in seen:
                    raise ConfigurationError(
                        f"field {name!r} is in both {seen[name]} and {option}; a field can be dropped, "
                        "masked or hashed, not two of these"
                    )
                seen[name] = option
        if self.output_format not in ("json", "csv"):
            raise ConfigurationError(f"output_format must be 'json' or 'csv', got {self.output_format!r}")
        if self.output_format == "csv" and not self.csv_columns:
            raise ConfigurationError("csv_columns must name at least one column when output_format is 'csv', got ()")
        if self.output_format != "csv" and self.csv_columns:
            raise ConfigurationError(
                f"csv_columns is only used with output_format='csv', got output_format={self.output_format!r} "
                f"and csv_columns={list(self.csv_columns)!r}"
            )
        if self.event_time_field is not None:
            _check_field_names("event_time_field", [self.event_time_field])
            clash = sorted(set(self.partition_key_fields) & set(_TIME_PARTITION_KEYS))
            if clash:
                raise ConfigurationError(
                    f"partition_key_fields cannot contain {', '.join(clash)} when event_time_field is set "
                    f"(those keys come from the event time), got {list(self.partition_key_fields)!r}"
                )

    def _check_function(self) -> None:
        memory = self.memory_size.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
        if memory != int(memory):
            raise ConfigurationError(f"memory_size must be a whole number of MiB, got {memory:g} MiB")
        check_range("memory_size", memory, _MIN_MEMORY_MB, _MAX_MEMORY_MB, "MiB")
        check_range("timeout", whole_seconds("timeout", self.timeout), 1, _MAX_TIMEOUT_S, "seconds")
        version = _python_version(self.runtime)
        if version is None or version < _MIN_PYTHON:
            raise ConfigurationError(
                f"runtime must be a Python runtime, 3.13 or newer (e.g. Runtime.PYTHON_3_14), got {self.runtime.name}"
            )
        if self.architecture.name not in _PIP_PLATFORMS:
            raise ConfigurationError(
                f"architecture must be Architecture.ARM_64 or Architecture.X86_64, got {self.architecture.name}"
            )
        concurrency = self.reserved_concurrent_executions
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(
                f"reserved_concurrent_executions must be a whole number of at least 1, got {concurrency!r}"
            )
        if not _HANDLER.fullmatch(self.handler):
            raise ConfigurationError(
                f"handler must be 'module.function' (Python identifiers separated by dots), got {self.handler!r}"
            )

    def _check_environment(self) -> None:
        for key, value in self.environment.items():
            if not _ENV_KEY.fullmatch(key):
                raise ConfigurationError(
                    f"environment key must match [a-zA-Z][a-zA-Z0-9_]+ (Lambda's pattern), got {key!r}"
                )
            if key in _LAMBDA_RESERVED_ENV:
                raise ConfigurationError(f"environment key {key!r} is reserved by Lambda")
            if key in _OPTION_ENV:
                raise ConfigurationError(
                    f"environment key {key!r} is set from TransformOptions' own fields; use those instead"
                )
            if not isinstance(value, str):
                raise ConfigurationError(f"environment[{key!r}] must be a string, got {value!r}")
        level = self.environment.get("LOG_LEVEL")
        if level is not None and level.strip().upper() not in _LOG_LEVELS:
            raise ConfigurationError(f"environment['LOG_LEVEL'] must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
        if "METRICS_NAMESPACE" in self.environment and not self.environment["METRICS_NAMESPACE"].strip():
            raise ConfigurationError("environment['METRICS_NAMESPACE'] must not be empty, got ''")
        env = self.runtime_environment(hash_key_secret_arn="x" * _ARN_ESTIMATE if self.hash_fields else None)
        size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items() if not Token.is_unresolved(v))
        if size > _MAX_ENV_BYTES:
            raise ConfigurationError(
                f"environment variables must total at most {_MAX_ENV_BYTES} bytes (Lambda's limit), "
                f"these options need about {size} bytes"
            )


# --- bundling -------------------------------------------------------------------------------------------
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
       --only-binary=:all: --target <asset> -r lambda_src/transform/requirements.txt`` (wheels only, so
       nothing is compiled for the wrong machine);
    2. copies the runtime (``lambda_src/transform`` without tests, docs, caches);
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


def _code(options: TransformOptions, code_directory: Path | None) -> lambda_.Code:
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


def _check_code_directory(options: TransformOptions) -> Path | None:
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


# --- the construct --------------------------------------------------------------------------------------
_DLQ_REASON = (
    "Firehose invokes the transform synchronously (RequestResponse); a function DLQ applies only to "
    "asynchronous invocations. Failed batches are retried by Firehose and then written to the delivery "
    "stream's error prefix (processing-failed)."
)
_VPC_REASON = (
    "The transform reaches no VPC resource: it is invoked by Firehose and calls only Secrets Manager and "
    "CloudWatch through public AWS endpoints; a VPC would add NAT/endpoint cost and failure modes, no control."
)
_ROTATION_REASON = (
    "The secret is the pseudonymisation key of the keyed hashes: rotating it changes every hash and breaks "
    "joins across data written before and after. Rotate deliberately (a new key and a re-hash), not on a timer."
)
_SECRET_KMS_REASON = (
    "Secrets Manager encrypts the secret with its AWS managed key (aws/secretsmanager); pass encryption_key "
    "to TransformFunction to use a customer managed key."
)
_LOG_KMS_REASON = (
    "CloudWatch Logs encrypts all log data at rest with service-managed keys; the transform's log group uses "
    "a customer managed key whenever encryption_key is given."
)
_ENV_KMS_REASON = (
    "The environment holds only field names, the output format and a secret's ARN, never a secret; Lambda "
    "encrypts it at rest with an AWS managed key. Pass encryption_key for a customer managed key."
)
_LOG_STREAMS_REASON = (
    "Lambda names each log stream itself (date, version and instance id), so writing logs needs a stream "
    "pattern; it is limited to the streams of the function's own log group."
)
_XRAY_REASON = (
    "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so '*' is the "
    "only possible resource; the statement exists only because tracing is enabled."
)


class TransformFunction(Construct):
    """The Firehose record-transform function with its own log group, role and (when hashing) key secret.

    Args:
        scope: parent construct.
        id: construct id.
        options: what the transform does and how the function is sized. Default :class:`TransformOptions` ().
        encryption_key: customer managed key for the log group, the environment variables and the created
            hash-key secret. Default None (AWS managed encryption). The key's policy gets a statement letting
            CloudWatch Logs use it for this account's log groups in this Region (needed to create an
            encrypted log group); an imported key's policy is left unchanged and must already allow it.
        hash_key_secret: use this secret (its ``SecretString``) as the hash key instead of creating one. Only
            with ``options.hash_fields``. Default None (a 64-character random secret is created when
            ``hash_fields`` is set).
        removal_policy: of the log group and the created secret. Default RETAIN.

    Attributes:
        function: the ``lambda_.Function``. Its ``function_arn`` is what the delivery role may invoke.
        role: its execution role (no AWS managed policy; everything is in ``policy``).
        policy: the customer managed policy holding the role's permissions.
        log_group: the function's log group.
        secret: the hash-key secret (created or given), or None when nothing is hashed.
        options: the options it was built with.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        options: TransformOptions | None = None,
        encryption_key: kms.IKey | None = None,
        hash_key_secret: secretsmanager.ISecret | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        options = options if options is not None else TransformOptions()
        if hash_key_secret is not None and not options.hash_fields:
            raise ConfigurationError(
                "hash_key_secret is only used when options.hash_fields names fields to hash, got hash_fields=()"
            )
        code_directory = _check_code_directory(options)
        self.options = options
        self.encryption_key = encryption_key

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=options.log_retention,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
        )
        if encryption_key is not None:
            allow_cloudwatch_logs(encryption_key)
        else:
            acknowledge(self.log_group, in_packs("CloudWatchLogGroupEncrypted", _LOG_KMS_REASON))
            skip_checkov(self.log_group, {"CKV_AWS_158": _LOG_KMS_REASON})

        self.secret = hash_key_secret
        if self.secret is None and options.hash_fields:
            self.secret = self._hash_key_secret(encryption_key, removal_policy)

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Execution role of the Firehose record-transform function (least privilege)",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Least-privilege permissions of the Firehose record-transform function",
            roles=[self.role],
            statements=self._statements(),
        )
        self._acknowledge_policy_wildcards()

        self.function = lambda_.Function(
            self,
            "Function",
            description="Amazon Data Firehose record transform (drop/mask/hash fields, JSON/CSV, partition keys)",
            runtime=options.runtime,
            architecture=options.architecture,
            handler=options.handler,
            code=_code(options, code_directory),
            memory_size=options.memory_size_mb,
            timeout=options.timeout,
            role=self.role,
            environment=options.runtime_environment(self.secret.secret_arn if self.secret else None),
            environment_encryption=encryption_key,
            log_group=self.log_group,
            reserved_concurrent_executions=options.reserved_concurrent_executions,
        )
        # Tracing is set on the resource directly: the L2 would add the X-Ray statement to an inline policy.
        if options.tracing in _TRACING_MODES:
            cfn_function = self.function.node.default_child
            assert isinstance(cfn_function, lambda_.CfnFunction)
            cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(
                mode=_TRACING_MODES[options.tracing]
            )
        # The first invocation must find its permissions (logs, secret) in place.
        self.function.node.add_dependency(self.policy)
        self._acknowledge_function(encryption_key)

    # --- parts ---
    def _hash_key_secret(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> secretsmanager.ISecret:
        secret = secretsmanager.Secret(
            self,
            "HashKey",
            description="Key of the Firehose transform's keyed hashes (pseudonymisation); read by the function",
            encryption_key=encryption_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal_policy,
        )
        findings = {
            "AwsSolutions-SMG4": _ROTATION_REASON,
            **in_packs("SecretsManagerRotationEnabled", _ROTATION_REASON, ("HIPAA.Security", "NIST.800.53.R5")),
        }
        if encryption_key is None:
            findings.update(in_packs("SecretsManagerUsingKMSKey", _SECRET_KMS_REASON))
            skip_checkov(secret, {"CKV_AWS_149": _SECRET_KMS_REASON})
        acknowledge(secret, findings)
        return secret

    def _log_streams_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self.log_group.log_group_name}:log-stream:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _statements(self) -> list[iam.PolicyStatement]:
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_streams_arn()],
            )
        ]
        if self.secret is not None:
            secret = self.secret
            statements.append(
                iam.PolicyStatement(
                    sid="ReadHashKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[secret.secret_full_arn or f"{secret.secret_arn}-??????"],
                )
            )
            if secret.encryption_key is not None:
                statements.append(
                    iam.PolicyStatement(
                        sid="DecryptHashKey",
                        actions=["kms:Decrypt"],
                        resources=[secret.encryption_key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com"}
                        },
                    )
                )
        if self.options.tracing in _TRACING_MODES:
            statements.append(
                iam.PolicyStatement(
                    sid="XRay",
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    resources=["*"],
                )
            )
        return statements

    def _acknowledge_policy_wildcards(self) -> None:
        stack = Stack.of(self)
        log_group = self.log_group.node.default_child
        assert isinstance(log_group, logs.CfnLogGroup)
        findings = {
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            f"<{stack.get_logical_id(log_group)}>:log-stream:*]": _LOG_STREAMS_REASON
        }
        if self.options.tracing in _TRACING_MODES:
            findings["AwsSolutions-IAM5[Resource::*]"] = _XRAY_REASON
        acknowledge(self.policy, findings)

    def _acknowledge_function(self, encryption_key: kms.IKey | None) -> None:
        acknowledge(
            self.function,
            {
                **in_packs("LambdaDLQ", _DLQ_REASON, ("HIPAA.Security", "NIST.800.53.R5")),
                **in_packs("LambdaInsideVPC", _VPC_REASON),
            },
        )
        checks = {"CKV_AWS_116": _DLQ_REASON, "CKV_AWS_117": _VPC_REASON}
        if encryption_key is None:
            checks["CKV_AWS_173"] = _ENV_KMS_REASON
        skip_checkov(self.function, checks)

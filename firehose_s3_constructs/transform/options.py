"""What the library's transform does to each record, and how its function is sized: :class:`TransformOptions`.

The environment variable names, the field/time-key clash rule and the 5-minute limit are those of
:mod:`firehose_transform.contract`, the module the Lambda runtime reads its configuration with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aws_cdk import Duration, Size, SizeRoundingBehavior, Token
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from firehose_transform import contract

from ..validation import ConfigurationError, check_range, unresolved, whole_seconds

__all__ = ["DEFAULT_HANDLER", "TransformOptions"]

#: The runtime's entry point, as the function's ``Handler`` (the bundle's top-level ``handler.py``).
DEFAULT_HANDLER = "handler.handler"
_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
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
_HANDLER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _check_field_names(option: str, names: Sequence[str]) -> None:
    if isinstance(names, str):
        raise ConfigurationError(f"{option} must be a sequence of field names, not a string, got {names!r}")
    for name in names:
        if not isinstance(name, str) or not name or name != name.strip() or contract.LIST_SEPARATOR in name:
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

    Record edits (top-level fields, passed comma-separated to the runtime; see ``firehose_transform.contract``):

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
        reserved_concurrent_executions: at least 1, or None. Default None (no reservation). Lambda lets an
            account reserve only down to 100 unreserved executions, and a new account's concurrency quota can
            be 10 or 50, so any reservation fails CREATE there
            (https://docs.aws.amazon.com/lambda/latest/dg/configuring-concurrency.html); unreserved, the
            function shares the account's pool. Reserve (e.g. ``5 x shards`` for a Kinesis source: Firehose
            invokes at most 5 at a time per shard) in accounts with room, to cap the function and keep a noisy
            neighbour from starving it. Throttled invocations are retried (``ProcessorOptions.retries``) then
            go to ``processing-failed``; the TransformThrottles alarm reports them.
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
    reserved_concurrent_executions: int | None = None
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
    def memory_size_mb(self) -> float:
        mebibytes = self.memory_size.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
        return mebibytes if unresolved(mebibytes) else int(mebibytes)

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
        """The function's environment: ``firehose_transform.contract`` variables of the set options, then the extras."""
        env: dict[str, str] = {contract.OUTPUT_FORMAT: self.output_format}
        for name, values in (
            (contract.DROP_FIELDS, self.drop_fields),
            (contract.MASK_FIELDS, self.mask_fields),
            (contract.HASH_FIELDS, self.hash_fields),
            (contract.CSV_COLUMNS, self.csv_columns),
            (contract.PARTITION_KEY_FIELDS, self.partition_key_fields),
        ):
            if values:
                env[name] = contract.LIST_SEPARATOR.join(values)
        if hash_key_secret_arn is not None:
            env[contract.HASH_KEY_SECRET_ARN] = hash_key_secret_arn
        if self.event_time_field is not None:
            env[contract.EVENT_TIME_FIELD] = self.event_time_field
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
        if self.output_format not in contract.OUTPUT_FORMATS:
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
            clash = contract.time_key_clashes(self.partition_key_fields, self.event_time_field)
            if clash:
                raise ConfigurationError(
                    f"partition_key_fields cannot contain {', '.join(clash)} when event_time_field is set "
                    f"(those keys come from the event time), got {list(self.partition_key_fields)!r}"
                )

    def _check_function(self) -> None:
        memory = self.memory_size.to_mebibytes(rounding=SizeRoundingBehavior.NONE)
        if not unresolved(memory) and memory != int(memory):
            raise ConfigurationError(f"memory_size must be a whole number of MiB, got {memory:g} MiB")
        check_range("memory_size", memory, _MIN_MEMORY_MB, _MAX_MEMORY_MB, "MiB")
        check_range(
            "timeout", whole_seconds("timeout", self.timeout), 1, contract.LAMBDA_MAX_TIMEOUT_SECONDS, "seconds"
        )
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
        if concurrency is None or unresolved(concurrency):
            pass
        elif isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
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
            if key in contract.OPTION_VARIABLES:
                raise ConfigurationError(
                    f"environment key {key!r} is set from TransformOptions' own fields; use those instead"
                )
            if not isinstance(value, str):
                raise ConfigurationError(f"environment[{key!r}] must be a string, got {value!r}")
        level = self.environment.get(contract.LOG_LEVEL)
        if level is not None and not unresolved(level) and level.strip().upper() not in contract.LOG_LEVELS:
            raise ConfigurationError(
                f"environment[{contract.LOG_LEVEL!r}] must be one of {', '.join(contract.LOG_LEVELS)}, got {level!r}"
            )
        namespace = self.environment.get(contract.METRICS_NAMESPACE)
        if namespace is not None and not namespace.strip():
            raise ConfigurationError(f"environment[{contract.METRICS_NAMESPACE!r}] must not be empty, got ''")
        env = self.runtime_environment(hash_key_secret_arn="x" * _ARN_ESTIMATE if self.hash_fields else None)
        size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items() if not Token.is_unresolved(v))
        if size > _MAX_ENV_BYTES:
            raise ConfigurationError(
                f"environment variables must total at most {_MAX_ENV_BYTES} bytes (Lambda's limit), "
                f"these options need about {size} bytes"
            )

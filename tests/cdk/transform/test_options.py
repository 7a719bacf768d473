"""TransformOptions: one test per rule, the derived values, and the parity of every option with the runtime.

The parity test follows each record option from TransformOptions to the function's environment (as
``runtime_environment`` renders it and as the synthesized function gets it), through the runtime's own parser
(``TransformConfig.from_env``), back to the same values.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from aws_cdk import Duration, Size
from aws_cdk import aws_lambda as lambda_
from cdk_helpers.transform import FULL_OPTIONS, BuiltTransforms, function_properties

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.transform import DEFAULT_HANDLER, TransformOptions
from firehose_transform import contract
from firehose_transform.config import ConfigError, TransformConfig

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:hash-key-AbCdEf"


# --- one test per rule ----------------------------------------------------------------------------------
def test_timeout_above_firehose_limit() -> None:
    with pytest.raises(ConfigurationError, match=r"timeout must be between 1 and 300 seconds, got 301 seconds"):
        TransformOptions(timeout=Duration.seconds(301))


def test_timeout_limits_are_allowed() -> None:
    assert TransformOptions(timeout=Duration.seconds(1)).timeout.to_seconds() == 1
    assert TransformOptions(timeout=Duration.minutes(5)).timeout.to_seconds() == contract.LAMBDA_MAX_TIMEOUT_SECONDS


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


def test_field_listed_twice() -> None:
    with pytest.raises(ConfigurationError, match=r"partition_key_fields lists tenant more than once"):
        TransformOptions(partition_key_fields=("tenant", "tenant"))


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


def test_environment_empty_metrics_namespace() -> None:
    with pytest.raises(ConfigurationError, match=r"METRICS_NAMESPACE'\] must not be empty"):
        TransformOptions(environment={"METRICS_NAMESPACE": " "})


def test_environment_too_large() -> None:
    with pytest.raises(ConfigurationError, match=r"environment variables must total at most 4096 bytes"):
        TransformOptions(drop_fields=tuple(f"field_{i:04d}" for i in range(500)))


def test_handler_format() -> None:
    with pytest.raises(ConfigurationError, match=r"handler must be 'module.function' .* got 'handler'"):
        TransformOptions(handler="handler")


# --- derived values -------------------------------------------------------------------------------------
def test_derived_values() -> None:
    default = TransformOptions()
    assert default.handler == DEFAULT_HANDLER == "handler.handler"
    assert (default.memory_size_mb, default.python_version, default.pip_platform) == (
        512,
        "3.14",
        "manylinux2014_aarch64",
    )
    x86 = TransformOptions(architecture=lambda_.Architecture.X86_64, runtime=lambda_.Runtime.PYTHON_3_13)
    assert (x86.python_version, x86.pip_platform) == ("3.13", "manylinux2014_x86_64")


def test_runtime_environment_of_the_defaults() -> None:
    assert TransformOptions().runtime_environment(None) == {"OUTPUT_FORMAT": "json"}


# --- parity with the runtime ----------------------------------------------------------------------------
def test_every_option_reaches_the_runtime_unchanged(
    transforms: BuiltTransforms, transform_templates: dict[str, dict[str, Any]]
) -> None:
    environment = FULL_OPTIONS.runtime_environment(SECRET_ARN)
    # The function gets exactly this environment (the secret's ARN is a reference in the template).
    synthesized = dict(function_properties(transform_templates["Full"])["Environment"]["Variables"])
    secret = transforms.transforms["Full"].secret
    assert secret is not None
    assert synthesized.pop(contract.HASH_KEY_SECRET_ARN) == {"Ref": transforms.logical_id("Full", secret)}
    assert synthesized == {k: v for k, v in environment.items() if k != contract.HASH_KEY_SECRET_ARN}

    config = TransformConfig.from_env(environment)
    assert config.drop_fields == tuple(FULL_OPTIONS.drop_fields) == ("debug", "internal")
    assert config.mask_fields == tuple(FULL_OPTIONS.mask_fields) == ("email",)
    assert config.hash_fields == tuple(FULL_OPTIONS.hash_fields) == ("user_id", "ip")
    assert config.hash_key_secret_arn == SECRET_ARN
    assert config.output_format == FULL_OPTIONS.output_format == "csv"
    assert config.csv_columns == tuple(FULL_OPTIONS.csv_columns) == ("ts", "user_id", "email")
    assert config.partition_key_fields == tuple(FULL_OPTIONS.partition_key_fields) == ("tenant",)
    assert config.event_time_field == FULL_OPTIONS.event_time_field == "ts"
    assert config.log_level == FULL_OPTIONS.environment["LOG_LEVEL"] == "DEBUG"
    assert config.metrics_namespace == FULL_OPTIONS.environment["METRICS_NAMESPACE"] == "Team/Transform"


def test_every_variable_the_options_set_is_one_the_runtime_reads() -> None:
    read_by_runtime = {name for name, _meaning, _default in contract.ENVIRONMENT}
    set_from_fields = set(FULL_OPTIONS.runtime_environment(SECRET_ARN)) - set(FULL_OPTIONS.environment)
    assert set_from_fields == contract.OPTION_VARIABLES
    assert set_from_fields <= read_by_runtime
    # The extras of ``environment=`` are runtime variables the fields do not set.
    assert set(FULL_OPTIONS.environment) <= read_by_runtime - contract.OPTION_VARIABLES


def test_defaults_reach_the_runtime_as_its_own_defaults() -> None:
    config = TransformConfig.from_env(TransformOptions().runtime_environment(None))
    assert config.drop_fields == config.mask_fields == config.hash_fields == ()
    assert config.output_format == "json"
    assert config.csv_columns == config.partition_key_fields == ()
    assert config.event_time_field is None
    assert config.hash_key_secret_arn is None
    assert config.metrics_namespace == contract.DEFAULT_METRICS_NAMESPACE
    assert config.log_level == "INFO"


@pytest.mark.parametrize(
    ("partition_key_fields", "event_time_field"),
    [
        (("year", "day"), "ts"),
        (("hour",), "ts"),
        (("tenant", "month"), "created_at"),
        (("year", "tenant"), None),
        (("tenant",), "ts"),
        ((), "ts"),
    ],
)
def test_time_key_clash_rule_is_the_same_on_both_sides(
    partition_key_fields: tuple[str, ...], event_time_field: str | None
) -> None:
    clash = contract.time_key_clashes(partition_key_fields, event_time_field)
    environment = {contract.PARTITION_KEY_FIELDS: ",".join(partition_key_fields)}
    if event_time_field is not None:
        environment[contract.EVENT_TIME_FIELD] = event_time_field
    if clash:
        with pytest.raises(ConfigurationError, match=rf"partition_key_fields cannot contain {', '.join(clash)} "):
            TransformOptions(partition_key_fields=partition_key_fields, event_time_field=event_time_field)
        with pytest.raises(ConfigError, match=rf"PARTITION_KEY_FIELDS must not contain {', '.join(clash)} "):
            TransformConfig.from_env(environment)
    else:
        options = TransformOptions(partition_key_fields=partition_key_fields, event_time_field=event_time_field)
        config = TransformConfig.from_env(options.runtime_environment(None))
        assert config.partition_key_fields == partition_key_fields
        assert config.event_time_field == event_time_field

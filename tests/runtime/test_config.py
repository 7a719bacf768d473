"""The configuration read from the environment: values, defaults, and errors that name the variable."""

from __future__ import annotations

import base64
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firehose_transform import codec as codec_module
from firehose_transform.config import ConfigError, TransformConfig, parse_field_list
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_config_from_env() -> None:
    config = TransformConfig.from_env(
        {
            "DROP_FIELDS": " email, password ,,email",
            "MASK_FIELDS": "name",
            "HASH_FIELDS": "ip",
            "HASH_KEY_SECRET_ARN": "arn:x",
            "OUTPUT_FORMAT": "CSV",
            "CSV_COLUMNS": "a,b",
            "PARTITION_KEY_FIELDS": "tenant",
            "EVENT_TIME_FIELD": "ts",
            "METRICS_NAMESPACE": "Custom/NS",
            "LOG_LEVEL": "debug",
            "AWS_LAMBDA_FUNCTION_NAME": "fn",
        }
    )
    assert config.drop_fields == ("email", "password")
    assert config.mask_fields == ("name",)
    assert config.hash_fields == ("ip",)
    assert config.output_format == "csv"
    assert config.csv_columns == ("a", "b")
    assert config.partition_key_fields == ("tenant",)
    assert config.event_time_field == "ts"
    assert config.metrics_namespace == "Custom/NS"
    assert config.log_level == "DEBUG"
    assert config.function_name == "fn"
    assert config.partitioning
    assert "drop_fields=('email', 'password')" in repr(config)


def test_config_defaults() -> None:
    config = TransformConfig.from_env({})
    assert config.drop_fields == config.mask_fields == config.hash_fields == ()
    assert config.output_format == "json"
    assert config.metrics_namespace == "FirehoseS3Constructs/Transform"
    assert config.function_name == "unknown"
    assert config.log_level == "INFO"
    assert not config.partitioning


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OUTPUT_FORMAT": "xml"}, "OUTPUT_FORMAT"),
        ({"OUTPUT_FORMAT": "csv"}, "CSV_COLUMNS"),
        ({"HASH_FIELDS": "ip"}, "HASH_KEY_SECRET_ARN"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"EVENT_TIME_FIELD": "ts", "PARTITION_KEY_FIELDS": "year,tenant"}, "PARTITION_KEY_FIELDS"),
        ({"HASH_FIELDS": "ip", "MASK_FIELDS": "ip", "HASH_KEY_SECRET_ARN": "arn"}, "HASH_FIELDS and MASK_FIELDS"),
    ],
)
def test_invalid_config_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TransformConfig.from_env(env)


def test_parse_field_list() -> None:
    assert parse_field_list(None) == ()
    assert parse_field_list(" , ,") == ()
    assert parse_field_list("b,a,b") == ("b", "a")


ENV_NAMES = [
    "DROP_FIELDS",
    "MASK_FIELDS",
    "HASH_FIELDS",
    "HASH_KEY_SECRET_ARN",
    "OUTPUT_FORMAT",
    "CSV_COLUMNS",
    "PARTITION_KEY_FIELDS",
    "EVENT_TIME_FIELD",
    "METRICS_NAMESPACE",
    "LOG_LEVEL",
]


env_values = st.text(max_size=12) | st.sampled_from(["json", "csv", "CSV", "DEBUG", "email, ip", "year", " , "])


@SETTINGS
@given(env=st.dictionaries(st.sampled_from(ENV_NAMES), env_values))
def test_any_environment_gives_a_config_or_a_config_error(env: dict[str, str]) -> None:
    try:
        config = TransformConfig.from_env(env)
    except ConfigError as error:
        message = str(error)
    else:
        message = ""
    if message:
        assert any(name in message for name in ENV_NAMES)
        return
    # A valid configuration always builds an engine that handles a batch.
    engine = Engine(
        config, codec=codec_module.DEFAULT, hash_key=b"k" * 20, logger=StructuredLogger("ERROR", io.StringIO())
    )
    response = engine.process({"records": [{"recordId": "a", "data": base64.b64encode(b'{"email": "x"}').decode()}]})
    assert [r["recordId"] for r in response["records"]] == ["a"]

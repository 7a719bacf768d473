"""Built-in steps (drop, mask, keyed hash), the hash key from Secrets Manager, and the configuration."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from firehose_transform import RecordTransformer, TransformConfig
from firehose_transform.config import ConfigError, parse_field_list
from firehose_transform.engine import Engine
from firehose_transform.hash_key import fetch_hash_key
from firehose_transform.steps import derive_hash_key, make_hasher, mask_string, mask_value

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]

KEY = b"test-hash-key-0123456789"  # the conftest's default key


def keyed(value: str, key: bytes = KEY) -> str:
    return hashlib.blake2b(value.encode(), key=key, digest_size=32).hexdigest()


def transform(engine: Engine, event: dict[str, Any], decode: Decode) -> list[Any]:
    return [json.loads(decode(r)) if r["result"] == "Ok" else r["result"] for r in engine.process(event)["records"]]


# ---------------------------------------------------------------------------------------------- drop


def test_drop_removes_top_level_fields_only(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    docs = [{"email": "a@b.c", "keep": {"email": "nested stays"}, "pw": "x"}, {"keep": 1}]
    out = transform(make_engine(drop_fields=("email", "pw")), event_of(*docs), decode)
    assert out == [{"keep": {"email": "nested stays"}}, {"keep": 1}]


def test_drop_of_any_value_type(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    values: list[Any] = [None, True, 1, 1.5, "s", [1, [2]], {"a": {"b": None}}, 1e300, -(2**63), 2**64 - 1]
    out = transform(make_engine(drop_fields=("x",)), event_of(*({"x": v, "k": 1} for v in values)), decode)
    assert out == [{"k": 1}] * len(values)


# ---------------------------------------------------------------------------------------------- mask


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("jane@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("@example.com", "***@example.com"),
        ("a.b@c@example.com", "a***@example.com"),
        ("secret", "s***"),
        ("x", "x***"),
        ("", ""),
        ("émile@exämple.org", "é***@exämple.org"),
        ("😀 smile", "😀***"),
    ],
)
def test_mask_string(value: str, masked: str) -> None:
    assert mask_string(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"), [(None, None), (123, "***"), (1.5, "***"), (True, "***"), ([1], "***"), ({"a": 1}, "***")]
)
def test_mask_other_values(value: Any, masked: Any) -> None:
    assert mask_value(value) == masked


def test_mask_step_in_the_engine(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    docs = [
        {"email": "jane@example.com", "name": "Jane", "n": 1},
        {"email": None, "name": 42},
        {"other": 1},
        {"email": ["a@b.c"], "name": ""},
    ]
    out = transform(make_engine(mask_fields=("email", "name")), event_of(*docs), decode)
    assert out == [
        {"email": "j***@example.com", "name": "J***", "n": 1},
        {"email": None, "name": "***"},
        {"other": 1},
        {"email": "***", "name": ""},
    ]


# ---------------------------------------------------------------------------------------------- hash


def test_hash_step_uses_keyed_blake2b(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    docs = [{"ip": "10.1.2.3", "n": 1}, {"ip": None}, {"n": 2}, {"ip": 12345}, {"ip": {"b": 1, "a": [True]}}]
    out = transform(make_engine(hash_fields=("ip",)), event_of(*docs), decode)
    assert out == [
        {"ip": keyed("10.1.2.3"), "n": 1},
        {"ip": None},
        {"n": 2},
        {"ip": keyed("12345")},  # non-strings: their compact JSON text
        {"ip": keyed('{"a":[true],"b":1}')},  # sorted keys: independent of the key order
    ]
    assert len(out[0]["ip"]) == 64


def test_hash_depends_on_the_key() -> None:
    assert make_hasher(b"key-one")("10.0.0.1") != make_hasher(b"key-two")("10.0.0.1")
    assert make_hasher(b"key-one")("10.0.0.1") == make_hasher(b"key-one")("10.0.0.1")


def test_long_keys_are_reduced_to_64_bytes() -> None:
    long_key = b"k" * 100
    assert derive_hash_key(long_key) == hashlib.blake2b(long_key, digest_size=64).digest()
    assert derive_hash_key(b"short") == b"short"
    assert make_hasher(long_key)("x") == keyed("x", derive_hash_key(long_key))
    with pytest.raises(ValueError, match="empty"):
        derive_hash_key(b"")


def test_step_order_hash_mask_partition_drop(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    engine = make_engine(
        hash_fields=("user",),
        mask_fields=("email",),
        partition_key_fields=("user",),
        drop_fields=("user",),
    )
    record = engine.process(event_of({"user": "u-1", "email": "ab@c.d", "v": 1}))["records"][0]
    assert json.loads(decode(record)) == {"email": "a***@c.d", "v": 1}
    # The partition key is the hash (the clear value never reaches an S3 prefix), taken before the drop.
    assert record["metadata"] == {"partitionKeys": {"user": keyed("u-1")}}


# ---------------------------------------------------------------------------------------------- hash key


SECRET_ARN_NAME = "transform-hash-key"


@pytest.mark.usefixtures("aws_env")
def test_hash_key_is_read_once_from_secrets_manager(
    monkeypatch: pytest.MonkeyPatch, event_of: EventFactory, decode: Decode
) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(Name=SECRET_ARN_NAME, SecretString="moto-secret-key")["ARN"]
        calls: list[str] = []
        real = boto3.client

        def counting_client(*args: Any, **kwargs: Any) -> Any:
            calls.append(args[0] if args else kwargs["service_name"])
            return real(*args, **kwargs)

        monkeypatch.setattr(boto3, "client", counting_client)
        config = TransformConfig(hash_fields=("ip",), hash_key_secret_arn=arn)
        transformer = RecordTransformer(config=config)
        for _ in range(3):
            record = transformer(event_of({"ip": "1.2.3.4"}), None)["records"][0]
            assert json.loads(decode(record)) == {"ip": keyed("1.2.3.4", b"moto-secret-key")}
        assert calls == ["secretsmanager"]


class FakeSecrets:
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.calls: list[str] = []

    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(SecretId)
        return self.response


def test_hash_key_from_an_injected_client(event_of: EventFactory, decode: Decode) -> None:
    fake = FakeSecrets({"SecretString": "fake-key"})
    config = TransformConfig(hash_fields=("ip",), hash_key_secret_arn="arn:secret")
    transformer = RecordTransformer(config=config, secrets_client=fake)
    record = transformer(event_of({"ip": "x"}))["records"][0]
    assert json.loads(decode(record)) == {"ip": keyed("x", b"fake-key")}
    transformer(event_of({"ip": "y"}))
    assert fake.calls == ["arn:secret"]


@pytest.mark.parametrize("response", [{}, {"SecretString": ""}, {"SecretBinary": b"k"}])
def test_a_secret_without_a_string_is_a_config_error(response: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="SecretString"):
        fetch_hash_key("arn:secret", FakeSecrets(response))


# ---------------------------------------------------------------------------------------------- config


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


def test_engine_requires_a_hash_key() -> None:
    with pytest.raises(ConfigError, match="hash key"):
        Engine(TransformConfig(hash_fields=("ip",), hash_key_secret_arn="arn"))

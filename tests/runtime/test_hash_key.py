"""The hash key, read once per cold start from Secrets Manager (moto) or an injected client."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto import mock_aws

from firehose_transform import RecordTransformer, TransformConfig
from firehose_transform.config import ConfigError
from firehose_transform.hash_key import fetch_hash_key

EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


def keyed(value: str, key: bytes) -> str:
    return hashlib.blake2b(value.encode(), key=key, digest_size=32).hexdigest()


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

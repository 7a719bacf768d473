"""Fixtures of the transform Lambda tests.

Every test taking ``codec`` runs on both paths: orjson (+pybase64) and the standard library. With
``FIREHOSE_TRANSFORM_PURE_PYTHON=1`` in the environment only the standard-library path exists (orjson is not
even imported), so the same tests then check that the fallback alone passes.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform import codec as codec_module
from firehose_transform.codec import Codec
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger

CODECS: dict[str, Codec] = {"stdlib": codec_module.STDLIB}
if codec_module.FAST is not None:
    CODECS["orjson"] = codec_module.FAST

HASH_KEY = b"test-hash-key-0123456789"


@pytest.fixture(params=sorted(CODECS), ids=lambda name: f"codec={name}")
def codec(request: pytest.FixtureRequest) -> Codec:
    """Each available codec in turn."""
    return CODECS[request.param]


@pytest.fixture
def both_codecs() -> tuple[Codec, Codec]:
    """(orjson, stdlib), for tests comparing the paths; skipped when orjson is unavailable or disabled."""
    if codec_module.FAST is None:
        pytest.skip("orjson is not available or FIREHOSE_TRANSFORM_PURE_PYTHON=1")
    return codec_module.FAST, codec_module.STDLIB


@pytest.fixture
def log_stream() -> io.StringIO:
    """Where the engines built by ``make_engine`` write their logs and metrics."""
    return io.StringIO()


EngineFactory = Callable[..., Engine]


@pytest.fixture
def make_engine(codec: Codec, log_stream: io.StringIO) -> EngineFactory:
    """``make_engine(user_function=None, hash_key=..., **config)`` -> an Engine on the current codec."""

    def build(user_function: Any = None, hash_key: bytes | None = HASH_KEY, **config: Any) -> Engine:
        if config.get("hash_fields") and "hash_key_secret_arn" not in config:
            config["hash_key_secret_arn"] = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key"
        transform_config = TransformConfig(**config)
        logger = StructuredLogger(transform_config.log_level, log_stream)
        return Engine(transform_config, codec=codec, user_function=user_function, hash_key=hash_key, logger=logger)

    return build


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def event_of() -> Callable[..., dict[str, Any]]:
    """``event_of(*payloads, kinesis=False)`` -> a Firehose event with one record per payload.

    A payload is bytes (JSON text or anything), a dict (dumped as JSON) or a str (used as the base64 ``data``
    as is). Record ids are ``r0``, ``r1``...
    """

    def build(*payloads: bytes | str | dict[str, Any], kinesis: bool = False) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        for index, payload in enumerate(payloads):
            if isinstance(payload, dict):
                data = b64(json.dumps(payload).encode("utf-8"))
            elif isinstance(payload, bytes):
                data = b64(payload)
            else:
                data = payload
            record: dict[str, Any] = {
                "recordId": f"r{index}",
                "approximateArrivalTimestamp": 1_700_000_000_000 + index,
                "data": data,
            }
            if kinesis:
                record["kinesisRecordMetadata"] = {
                    "shardId": "shardId-000000000001",
                    "partitionKey": f"pk{index}",
                    "approximateArrivalTimestamp": 1_700_000_000_000 + index,
                    "sequenceNumber": f"4959000000000000000000000000000000000000000000000000{index:04d}",
                    "subsequenceNumber": 0,
                }
            records.append(record)
        event: dict[str, Any] = {
            "invocationId": "invocation-1",
            "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/test",
            "region": "us-east-1",
            "records": records,
        }
        if kinesis:
            event["sourceKinesisStreamArn"] = "arn:aws:kinesis:us-east-1:123456789012:stream/source"
        return event

    return build


@pytest.fixture
def decode() -> Callable[[Any], bytes]:
    """The decoded ``data`` of a response record."""

    def run(record: Any) -> bytes:
        return base64.b64decode(record["data"], validate=True)

    return run


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials and region for moto."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)

"""Built-in steps: drop, mask and keyed hash of top-level fields, and their order."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.engine import Engine
from firehose_transform.steps import derive_hash_key, make_hasher, mask_string, mask_value

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


KEY = b"test-hash-key-0123456789"  # the conftest's default key


def keyed(value: str, key: bytes = KEY) -> str:
    return hashlib.blake2b(value.encode(), key=key, digest_size=32).hexdigest()


def transform(engine: Engine, event: dict[str, Any], decode: Decode) -> list[Any]:
    return [json.loads(decode(r)) if r["result"] == "Ok" else r["result"] for r in engine.process(event)["records"]]


def test_drop_removes_top_level_fields_only(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    docs = [{"email": "a@b.c", "keep": {"email": "nested stays"}, "pw": "x"}, {"keep": 1}]
    out = transform(make_engine(drop_fields=("email", "pw")), event_of(*docs), decode)
    assert out == [{"keep": {"email": "nested stays"}}, {"keep": 1}]


def test_drop_of_any_value_type(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    values: list[Any] = [None, True, 1, 1.5, "s", [1, [2]], {"a": {"b": None}}, 1e300, -(2**63), 2**64 - 1]
    out = transform(make_engine(drop_fields=("x",)), event_of(*({"x": v, "k": 1} for v in values)), decode)
    assert out == [{"k": 1}] * len(values)


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

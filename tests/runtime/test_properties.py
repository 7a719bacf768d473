"""Property-based tests: the contract invariants over arbitrary events and configurations, and both paths agreeing.

Invariants, for any event and any valid configuration: no exception; every answerable recordId returned
exactly once, in order; ``result`` is one of the three values; ``data`` is present, is valid base64 (or,
for a ProcessingFailed record, the original data byte for byte); Ok data is newline-terminated JSON (or
CSV) lines; the serialized response fits the limit and its computed size is exact. And the orjson and the
standard-library paths return the same response (the same bytes, but for the formatting of floats between
1e-10 and 1e-4).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firehose_transform import codec as codec_module
from firehose_transform import stdlib_json
from firehose_transform.codec import Codec, InvalidDocumentError
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger
from firehose_transform.protocol import RESPONSE_LIMIT, RecordMetadata, response_size

CODECS: list[Codec] = [codec_module.STDLIB] + ([codec_module.FAST] if codec_module.FAST is not None else [])
FIELDS = ["email", "ip", "tenant", "ts", "n", "x"]
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

# ---------------------------------------------------------------------------------------------- strategies

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.text(st.characters(exclude_categories=()), max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10,
)
event_times = st.one_of(
    st.integers(min_value=-(10**13), max_value=10**13),
    st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05+05:30", "1714979289", "not a time"]),
)
# Documents shaped like the configured fields (so steps, keys and user functions have work), or anything.
shaped_documents = st.fixed_dictionaries(
    {},
    optional={
        "email": st.emails() | st.text(max_size=6),
        "ip": st.ip_addresses().map(str) | scalars,
        "tenant": st.sampled_from(["a", "b"]) | scalars,
        "ts": event_times,
        "n": st.integers(min_value=0, max_value=9),
        "x": json_values,
    },
)
documents = (
    shaped_documents
    | shaped_documents
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), json_values, max_size=6)
)


@st.composite
def encoded_document(draw: st.DrawFn, value: Any) -> bytes:
    ensure_ascii = draw(st.booleans())
    text = json.dumps(value, ensure_ascii=ensure_ascii, separators=draw(st.sampled_from([None, (",", ":")])))
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8 bytes


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["doc", "doc", "doc", "docs", "value", "bytes", "truncated", "timed"]))
    if kind == "doc":
        return draw(encoded_document(draw(documents))) + draw(st.sampled_from([b"", b"\n", b"\r\n", b" "]))
    if kind == "timed":
        doc = draw(documents)
        doc["ts"] = draw(event_times)
        doc["tenant"] = draw(st.sampled_from(["a", "b", ""]))
        return draw(encoded_document(doc))
    if kind == "docs":
        docs = [draw(encoded_document(doc)) for doc in draw(st.lists(documents, min_size=1, max_size=4))]
        return b"\n".join(docs) + draw(st.sampled_from([b"", b"\n"]))
    if kind == "value":
        return draw(encoded_document(draw(json_values)))
    if kind == "truncated":
        data = draw(encoded_document(draw(documents)))
        return data[: draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))]
    return draw(st.binary(max_size=40))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    records: list[Any] = []
    for index in range(draw(st.integers(min_value=0, max_value=8))):
        shape = draw(st.sampled_from(["ok"] * 8 + ["bad_base64", "no_data", "no_id", "not_a_dict"]))
        data: Any = base64.b64encode(draw(payloads())).decode()
        if shape == "bad_base64":
            data = draw(st.text(max_size=12))
        record: Any = {"recordId": f"id-{index}", "data": data, "approximateArrivalTimestamp": 1_700_000_000_000}
        if shape == "no_data":
            del record["data"]
        elif shape == "no_id":
            del record["recordId"]
        elif shape == "not_a_dict":
            record = draw(st.sampled_from([None, 1, "x", []]))
        if draw(st.booleans()) and isinstance(record, dict):
            record["kinesisRecordMetadata"] = {"shardId": "s-1", "partitionKey": "p", "subsequenceNumber": 0}
        records.append(record)
    return {"invocationId": "inv", "region": "us-east-1", "records": records}


def identity(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
    return doc


def drop_even(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any] | None:
    return None if isinstance(doc.get("n"), int) and doc["n"] % 2 == 0 else doc


def raise_on_x(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
    if "x" in doc:
        raise RuntimeError("user bug")
    return doc


def enlarge(doc: dict[str, Any], meta: RecordMetadata) -> dict[str, Any]:
    return {"original": doc, "record": meta.record_id, "index": meta.document_index}


USER_FUNCTIONS = [None, None, identity, drop_even, raise_on_x, enlarge]


@st.composite
def configs(draw: st.DrawFn) -> tuple[dict[str, Any], Any]:
    roles = {name: draw(st.sampled_from(["", "", "drop", "mask", "hash", "partition"])) for name in FIELDS}
    config: dict[str, Any] = {
        "drop_fields": tuple(n for n, r in roles.items() if r == "drop"),
        "mask_fields": tuple(n for n, r in roles.items() if r == "mask"),
        "hash_fields": tuple(n for n, r in roles.items() if r == "hash"),
        "partition_key_fields": tuple(n for n, r in roles.items() if r == "partition"),
        "event_time_field": draw(st.sampled_from([None, None, "ts"])),
        "log_level": "DEBUG",
    }
    if config["hash_fields"]:
        config["hash_key_secret_arn"] = "arn:secret"
    if draw(st.booleans()) and draw(st.booleans()):
        config["output_format"] = "csv"
        config["csv_columns"] = tuple(draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)))
    return config, draw(st.sampled_from(USER_FUNCTIONS))


def build(codec: Codec, config: dict[str, Any], user_function: Any) -> tuple[Engine, io.StringIO]:
    stream = io.StringIO()
    engine = Engine(
        TransformConfig(**config),
        codec=codec,
        user_function=user_function,
        hash_key=b"k" * 20,
        logger=StructuredLogger("DEBUG", stream),
    )
    return engine, stream


def reject_constant(name: str) -> Any:
    raise ValueError(name)


# ---------------------------------------------------------------------------------------------- invariants


def check_invariants(event: dict[str, Any], config: dict[str, Any], response: Any, logs: str) -> None:
    records = event["records"]
    answerable = [r for r in records if isinstance(r, dict) and isinstance(r.get("recordId"), str)]
    out = response["records"]
    assert [r["recordId"] for r in out] == [r["recordId"] for r in answerable]
    for record, source in zip(out, answerable, strict=True):
        assert record["result"] in ("Ok", "Dropped", "ProcessingFailed")
        assert isinstance(record["data"], str)
        original = source.get("data") if isinstance(source.get("data"), str) else ""
        if record["result"] == "ProcessingFailed":
            assert record["data"] == original
            assert "metadata" not in record
            continue
        decoded = base64.b64decode(record["data"], validate=True)
        if record["result"] == "Dropped":
            assert record["data"] == original
            continue
        assert decoded.endswith(b"\n")
        lines = decoded[:-1].split(b"\n")
        if config.get("output_format") != "csv":
            for line in lines:
                assert isinstance(json.loads(line, parse_constant=reject_constant), dict)
        if config["partition_key_fields"] or config["event_time_field"]:
            keys = record["metadata"]["partitionKeys"]
            assert all(isinstance(v, str) and v for v in keys.values())
    serialized = json.dumps(response)
    assert len(serialized) == response_size(out) <= RESPONSE_LIMIT
    metrics = next(json.loads(line) for line in logs.splitlines() if '"_aws"' in line)
    assert metrics["RecordsOk"] + metrics["RecordsDropped"] + metrics["RecordsProcessingFailed"] == len(out)
    assert metrics["RecordsOk"] == sum(r["result"] == "Ok" for r in out)


@SETTINGS
@given(event=events(), setup=configs())
def test_contract_invariants_hold_for_any_event(event: dict[str, Any], setup: tuple[dict[str, Any], Any]) -> None:
    config, user_function = setup
    for codec in CODECS:
        engine, stream = build(codec, config, user_function)
        response = engine.process(event)
        check_invariants(event, config, response, stream.getvalue())


def _has_tiny_float(value: Any) -> bool:
    if isinstance(value, float):
        return value != 0 and math.isfinite(value) and abs(value) < 1e-4
    if isinstance(value, dict):
        return any(_has_tiny_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_tiny_float(v) for v in value)
    return False


@SETTINGS
@given(event=events(), setup=configs())
def test_both_paths_return_the_same_response(event: dict[str, Any], setup: tuple[dict[str, Any], Any]) -> None:
    if codec_module.FAST is None:
        pytest.skip("orjson is not available or FIREHOSE_TRANSFORM_PURE_PYTHON=1")
    config, user_function = setup
    fast = build(codec_module.FAST, config, user_function)[0].process(event)["records"]
    slow = build(codec_module.STDLIB, config, user_function)[0].process(event)["records"]
    assert [(r["recordId"], r["result"], r.get("metadata")) for r in fast] == [
        (r["recordId"], r["result"], r.get("metadata")) for r in slow
    ]
    for a, b in zip(fast, slow, strict=True):
        if a["result"] != "Ok" or a["data"] == b["data"]:
            assert a["data"] == b["data"]
            continue
        # Only the formatting of tiny floats may differ: same values, and such a float must be present.
        lines_a = base64.b64decode(a["data"]).splitlines()
        lines_b = base64.b64decode(b["data"]).splitlines()
        assert [json.loads(x) for x in lines_a] == [json.loads(x) for x in lines_b]
        assert any(_has_tiny_float(json.loads(x)) for x in lines_b)


@SETTINGS
@given(data=st.one_of(st.binary(max_size=60), json_values.flatmap(encoded_document)))
def test_both_codecs_accept_and_reject_the_same_documents(data: bytes) -> None:
    if codec_module.FAST is None:
        pytest.skip("orjson is not available or FIREHOSE_TRANSFORM_PURE_PYTHON=1")
    results = []
    for codec in (codec_module.FAST, codec_module.STDLIB):
        try:
            results.append(("ok", codec.loads(data)))
        except InvalidDocumentError:
            results.append(("invalid", None))
    assert results[0] == results[1]


BASE64_TEXT = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n -_é"))


@SETTINGS
@given(data=BASE64_TEXT | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode()))
def test_both_base64_decoders_agree(data: str) -> None:
    pybase64 = pytest.importorskip("pybase64")
    try:
        expected: bytes | None = pybase64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        expected = None
    try:
        got: bytes | None = stdlib_json.stdlib_b64decode(data)
    except ValueError:
        got = None
    assert got == expected


env_values = st.text(max_size=12) | st.sampled_from(["json", "csv", "CSV", "DEBUG", "email, ip", "year", " , "])

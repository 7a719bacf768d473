"""The Firehose API's JSON protocol (AWS JSON 1.1) as the service speaks it: targets, errors, input validation.

A request is an HTTP ``POST`` with ``X-Amz-Target: Firehose_20150804.<Operation>`` and a JSON body
(``Content-Type: application/x-amz-json-1.1``) whose blobs (``Data``) are base64 strings. An answer is HTTP 200
with the operation's output as JSON, or an error: an HTTP status and the body ``{"__type": TYPE, "message":
TEXT}``, which is where SDKs read the error code (botocore's JSON parser among them).

Errors, as real Firehose answers were observed to give them where the API reference is silent:

* a value outside the service model's constraints (``botocore/data/firehose/2015-08-04/service-2.json``): the
  Coral framework's ``ValidationException`` (400), ``1 validation error detected: Value 'java.nio.HeapByteBuffer
  [pos=0 lim=1029188 cap=1029188]' at 'records.36.member.data' failed to satisfy constraint: Member must have
  length less than or equal to 1024000`` (positions are 1-based; several errors are counted and joined by
  "; "). Seen for a record over 1,024,000 bytes (postmates/cernan#210, osquery/osquery#3568, a fluentd plugin's
  test quoting ``Aws::Firehose::Errors::ValidationException``) and for more than 500 records in one call (a
  2019 boto3 test against Firehose in Seoul: ``... at 'records' failed to satisfy constraint: Member must have
  length less than or equal to 500``);
* more than 4 MiB of data in one ``PutRecordBatch``: ``InvalidArgumentException`` "Records size exceeds 4 MB
  limit" (the same test; osquery/osquery#3568), see :mod:`operations`;
* a body that is not a JSON object, a member of the wrong JSON type, a ``Data`` that is not base64:
  ``SerializationException`` (400), how AWS JSON services refuse what they cannot deserialize (the message
  is this endpoint's);
* an unknown or missing ``X-Amz-Target``: ``UnknownOperationException`` (400, sharethrough/flume-kinesis#11).
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from firehose_transform.contract import MAX_BATCH_RECORDS, MAX_RECORD_BYTES

__all__ = [
    "CONTENT_TYPE",
    "OPERATIONS",
    "TARGET_PREFIX",
    "ApiError",
    "Problems",
    "decode_blob",
    "dumps",
    "loads",
    "operation_of",
    "optional_int",
    "optional_string",
    "record_list",
    "stream_name",
]

TARGET_PREFIX = "Firehose_20150804."
CONTENT_TYPE = "application/x-amz-json-1.1"
OPERATIONS = ("PutRecord", "PutRecordBatch", "DescribeDeliveryStream", "ListDeliveryStreams")
VALIDATION = "ValidationException"
SERIALIZATION = "SerializationException"
#: The service model's pattern of DeliveryStreamName (the contract's adds the 1-64 length).
NAME_PATTERN = "[a-zA-Z0-9_.-]+"
_NAME_CHARACTERS = re.compile(NAME_PATTERN)
_WHITESPACE = re.compile(rb"[\t\n\r ]+")

try:  # the `fast` extra: orjson parses a 500-record batch several times faster than json
    import orjson

    loads: Callable[[bytes], Any] = orjson.loads

    def dumps(value: Any) -> bytes:
        """``value`` as compact JSON bytes."""
        return orjson.dumps(value)

except ImportError:  # pragma: no cover - orjson is installed with the dev and fast extras
    loads = json.loads

    def dumps(value: Any) -> bytes:
        """``value`` as compact JSON bytes."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


try:  # the `fast` extra: pybase64 decodes a batch's records three times faster than binascii
    import pybase64

    def _b64decode(text: str) -> bytes:
        return pybase64.b64decode(text, validate=True)

except ImportError:  # pragma: no cover - pybase64 is installed with the dev and fast extras

    def _b64decode(text: str) -> bytes:
        return binascii.a2b_base64(text, strict_mode=True)


class ApiError(Exception):
    """An error answer: ``error_type`` (the ``__type``), ``message`` and the HTTP ``status``."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.status = status

    def body(self) -> bytes:
        return dumps({"__type": self.error_type, "message": self.message})


def serialization_error(message: str) -> ApiError:
    return ApiError(SERIALIZATION, message)


def operation_of(target: str | None) -> str:
    """The operation an ``X-Amz-Target`` header names; UnknownOperationException for anything else."""
    if target is not None and target.startswith(TARGET_PREFIX):
        operation = target[len(TARGET_PREFIX) :]
        if operation in OPERATIONS:
            return operation
    shown = "no X-Amz-Target header" if target is None else f"X-Amz-Target {target!r}"
    raise ApiError(
        "UnknownOperationException",
        f"{shown}: this endpoint answers {', '.join(TARGET_PREFIX + name for name in OPERATIONS)}",
    )


def parse_body(body: bytes) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``, as SDKs send for operations without input)."""
    if not body.strip():
        return {}
    try:
        value = loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise serialization_error(f"the request body is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise serialization_error("the request body is not a JSON object")
    return value


class Problems:
    """Constraint violations in request order; :meth:`check` raises them as one ValidationException."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, shown: str | None, path: str, constraint: str) -> None:
        value = "null" if shown is None else f"'{shown}'"
        self.messages.append(f"Value {value} at '{path}' failed to satisfy constraint: Member must {constraint}")

    def check(self) -> None:
        count = len(self.messages)
        if count:
            plural = "s" if count > 1 else ""
            raise ApiError(VALIDATION, f"{count} validation error{plural} detected: " + "; ".join(self.messages))


def _heap_buffer(size: int) -> str:
    """How the service's Java model prints a blob in a validation message."""
    return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"


def _expect(value: Any, kind: type | tuple[type, ...], path: str, what: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise serialization_error(f"{path}: expected {what}, got {type(value).__name__}")


def stream_name(problems: Problems, value: Any, path: str = "deliveryStreamName", *, required: bool = True) -> str:
    """A ``DeliveryStreamName`` member (``""`` when missing; the problem is recorded)."""
    if value is None:
        if required:
            problems.add(None, path, "not be null")
        return ""
    _expect(value, str, path, "a string")
    if len(value) < 1:
        problems.add(value, path, "have length greater than or equal to 1")
    elif len(value) > 64:
        problems.add(value, path, "have length less than or equal to 64")
    if _NAME_CHARACTERS.fullmatch(value) is None:
        problems.add(value, path, f"satisfy regular expression pattern: {NAME_PATTERN}")
    return str(value)


def optional_string(problems: Problems, value: Any, path: str, choices: tuple[str, ...]) -> str | None:
    """An optional enum member (``DeliveryStreamType``)."""
    if value is None:
        return None
    _expect(value, str, path, "a string")
    if value not in choices:
        problems.add(value, path, f"satisfy enum value set: [{', '.join(choices)}]")
    return str(value)


def optional_int(problems: Problems, value: Any, path: str, low: int, high: int) -> int | None:
    """An optional integer member in ``low..high`` (``Limit``)."""
    if value is None:
        return None
    _expect(value, int, path, "an integer")
    if value < low:
        problems.add(str(value), path, f"have value greater than or equal to {low}")
    elif value > high:
        problems.add(str(value), path, f"have value less than or equal to {high}")
    return int(value)


def _decode(value: Any, path: str) -> bytes:
    """The bytes of a base64 string member (line-wrapped base64 accepted); SerializationException otherwise."""
    _expect(value, str, path, "a base64 string")
    text = value.encode("ascii", "replace")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error:
        try:  # line-wrapped base64 (MIME encoders): the line breaks are not data
            return binascii.a2b_base64(_WHITESPACE.sub(b"", text), strict_mode=True)
        except binascii.Error:
            raise serialization_error(f"{path}: not valid base64") from None


def _check_size(problems: Problems, data: bytes, path: str) -> None:
    if len(data) > MAX_RECORD_BYTES:
        problems.add(_heap_buffer(len(data)), path, f"have length less than or equal to {MAX_RECORD_BYTES}")


def decode_blob(problems: Problems, value: Any, path: str) -> bytes:
    """A base64 ``Data`` member, decoded; at most 1,024,000 bytes (the service model's ``Data`` max)."""
    if value is None:
        problems.add(None, path, "not be null")
        return b""
    data = _decode(value, path)
    _check_size(problems, data, path)
    return data


def record_list(problems: Problems, value: Any) -> list[bytes]:
    """``PutRecordBatch``'s ``Records``: 1 to 500 records, each ``{"Data": base64}``, decoded."""
    if value is None:
        problems.add(None, "records", "not be null")
        return []
    _expect(value, list, "records", "a list")
    datas: list[bytes] = []
    append, decode = datas.append, _b64decode
    for record in value:
        # the common case in one step (a 500-record call is decoded in C); the rest is checked and named
        if type(record) is dict and type(text := record.get("Data")) is str:
            try:
                append(decode(text))
                continue
            except (binascii.Error, ValueError):
                pass
        path = f"records.{len(datas) + 1}.member"
        _expect(record, dict, path, "an object")
        if record.get("Data") is None:
            problems.add(None, f"{path}.data", "not be null")
            append(b"")
        else:
            append(_decode(record["Data"], f"{path}.data"))
    if not datas:
        problems.add("[]", "records", "have length greater than or equal to 1")
    elif len(datas) > MAX_BATCH_RECORDS:
        shown = ", ".join(f"Record(data={_heap_buffer(len(data))})" for data in datas)
        problems.add(f"[{shown}]", "records", f"have length less than or equal to {MAX_BATCH_RECORDS}")
    if datas and max(map(len, datas)) > MAX_RECORD_BYTES:
        for position, data in enumerate(datas, start=1):
            _check_size(problems, data, f"records.{position}.member.data")
    return datas

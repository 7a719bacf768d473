"""The limits and failure reasons both codecs share."""

from __future__ import annotations

import pytest

from firehose_transform import codec, json_limits


def test_the_integer_range_is_what_orjson_reads_exactly() -> None:
    assert json_limits.INT_MIN == -(2**63)  # int64
    assert json_limits.INT_MAX == 2**64 - 1  # uint64
    orjson = pytest.importorskip("orjson")
    assert isinstance(orjson.loads(str(json_limits.INT_MAX).encode()), int)
    assert isinstance(orjson.loads(str(json_limits.INT_MAX + 1).encode()), float)


def test_reasons_are_distinct_codes_and_the_codec_exports_them() -> None:
    reasons = {name: value for name, value in vars(json_limits).items() if name.startswith("REASON_")}
    assert len(set(reasons.values())) == len(reasons) == 6
    assert all(value.isidentifier() and value.islower() for value in reasons.values())
    assert all(getattr(codec, name) == value for name, value in reasons.items())


def test_the_error_carries_the_reason_and_nothing_else() -> None:
    error = json_limits.InvalidDocumentError(json_limits.REASON_TOO_DEEP)
    assert isinstance(error, ValueError)
    assert error.reason == str(error) == "too_deep"
    assert codec.InvalidDocumentError is json_limits.InvalidDocumentError

"""The typed shapes describe what really flows: sample events in, engine responses out; and stay off the cold start."""

from __future__ import annotations

import io
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

from firehose_s3_client import sample_data
from firehose_transform.config import TransformConfig
from firehose_transform.engine import Engine
from firehose_transform.observability import StructuredLogger
from firehose_transform.shapes import (
    FirehoseEvent,
    FirehoseEventRecord,
    FirehoseResponse,
    KinesisRecordMetadataEvent,
    ResponseMetadata,
    ResponseRecord,
)

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "lambda_src"


def keys_of(shape: Any) -> tuple[set[str], set[str]]:
    """(required, optional) keys of a TypedDict (NotRequired read from the hints: shapes.py postpones them)."""
    hints = typing.get_type_hints(shape, include_extras=True)
    optional = {name for name, hint in hints.items() if typing.get_origin(hint) is typing.NotRequired}
    if not shape.__total__:
        optional = set(hints)
    return set(hints) - optional, optional


def conforms(value: dict[str, Any], shape: Any) -> bool:
    """Whether ``value`` has every required key of the TypedDict ``shape`` and no key it does not declare."""
    required, optional = keys_of(shape)
    return required <= set(value) <= required | optional


def test_firehose_events_match_the_event_shapes() -> None:
    for kinesis in (False, True):
        event = sample_data.firehose_event(sample_data.lines("iot", count=2), kinesis=kinesis)
        assert conforms(event, FirehoseEvent)
        for record in event["records"]:
            assert conforms(record, FirehoseEventRecord)
            if kinesis:
                assert set(record["kinesisRecordMetadata"]) == keys_of(KinesisRecordMetadataEvent)[1]


def test_engine_responses_match_the_response_shapes() -> None:
    config = TransformConfig(partition_key_fields=("device_type",))
    engine = Engine(config, logger=StructuredLogger("ERROR", io.StringIO()))
    event = sample_data.firehose_event([*sample_data.lines("iot", count=3), b"not json"])
    response = engine.process(event)
    assert conforms(dict(response), FirehoseResponse)
    assert all(conforms(dict(record), ResponseRecord) for record in response["records"])
    assert [("metadata" in r) for r in response["records"]] == [True, True, True, False]
    assert conforms(dict(response["records"][0]["metadata"]), ResponseMetadata)


def test_the_handler_does_not_import_typing_or_the_shapes() -> None:
    code = (
        "import sys, firehose_transform.handler\n"
        "print('typing' in sys.modules, 'firehose_transform.shapes' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=TRANSFORM_DIR, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"

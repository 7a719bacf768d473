"""Fixtures of the serve tests: a small hand-written cloud assembly (no Lambda: fast), streams planned from it
as the command plans them, and in-process services and servers on free loopback ports.

The sample app's bundled assembly (``sample_assembly``, tests/client/conftest.py) is used by the subprocess
tests of the command, which run the real transform function.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simulator_helpers import stream_resource, write_assembly

from firehose_s3_client.serve.faults import FaultInjector
from firehose_s3_client.serve.operations import FirehoseService
from firehose_s3_client.serve.served_stream import ServedStream
from firehose_s3_client.serve.stream_selection import StreamPlan, plan_streams
from firehose_s3_client.serve.wall_clock import ScaledClock
from firehose_transform.contract import DEFAULT_ACTIVE_PARTITIONS

#: 2026-11-26T09:00:00Z
START_MS = 1_795_683_600_000
SOURCE_STREAM = "SourceStream"


def small_stack_resources() -> dict[str, dict[str, Any]]:
    """Three Direct PUT streams and one that reads a Kinesis data stream, all writing ``DataBucket``."""
    plain = stream_resource(
        Prefix="data/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
        BufferingHints={"IntervalInSeconds": 60, "SizeInMBs": 1},
    )
    named = stream_resource(Prefix="orders/", CompressionFormat="GZIP")
    named["Properties"]["DeliveryStreamName"] = "orders"
    named["Properties"]["DeliveryStreamEncryptionConfigurationInput"] = {"KeyType": "AWS_OWNED_CMK"}
    backed_up = stream_resource(
        Prefix="kept/",
        S3BackupMode="Enabled",
        S3BackupConfiguration={
            "BucketARN": {"Fn::GetAtt": ["BackupBucket", "Arn"]},
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "Prefix": "backup/",
        },
    )
    kinesis = stream_resource(Prefix="from-kinesis/")
    kinesis["Properties"]["DeliveryStreamType"] = "KinesisStreamAsSource"
    kinesis["Properties"]["KinesisStreamSourceConfiguration"] = {
        "KinesisStreamARN": {"Fn::GetAtt": [SOURCE_STREAM, "Arn"]},
        "RoleARN": "arn:aws:iam::123456789012:role/reader",
    }
    return {
        "Plain": plain,
        "Named": named,
        "BackedUp": backed_up,
        "FromKinesis": kinesis,
        SOURCE_STREAM: {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 2}},
    }


@pytest.fixture(scope="session")
def small_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_assembly(tmp_path_factory.mktemp("serve-assembly"), small_stack_resources())


def serve_args(assembly: Path, out: Path | None, **overrides: Any) -> argparse.Namespace:
    """The parsed command line of ``serve`` (the parser's defaults), with ``overrides``."""
    values: dict[str, Any] = {
        "app": assembly,
        "stack": [],
        "out": out,
        "host": "127.0.0.1",
        "port": 0,
        "endpoint_url": None,
        "bucket": [],
        "time_scale": 1.0,
        "fail_rate": 0.0,
        "throttle_rate": 0.0,
        "fault_seed": 0,
        "report": None,
        "processor": None,
        "secret": [],
        "seed": 0,
        "region": "us-east-1",
        "function_log": None,
        "active_partitions": DEFAULT_ACTIVE_PARTITIONS,
        "quiet": True,
    }
    values.update(overrides)
    return argparse.Namespace(**values)


class Streams:
    """Served streams of the small assembly, on a clock the test moves (``clock.now()`` = ``start + moved``)."""

    def __init__(self, plans: list[StreamPlan]) -> None:
        self.seconds = 0.0
        self.clock = ScaledClock(1.0, start_ms=START_MS, monotonic=lambda: self.seconds)
        self.streams = [
            ServedStream(plan.prepared, sink=plan.sink, output=plan.output, clock=self.clock, invoker=None)
            for plan in plans
        ]

    def by_name(self, name: str) -> ServedStream:
        return next(stream for stream in self.streams if stream.name == name)

    def service(self, faults: FaultInjector | None = None, **options: Any) -> FirehoseService:
        return FirehoseService(self.streams, faults=faults, **options)


@pytest.fixture
def make_streams(small_assembly: Path, tmp_path: Path) -> Callable[..., Streams]:
    """Streams of the small assembly writing under ``tmp_path/out``."""

    def make(**overrides: Any) -> Streams:
        out = overrides.pop("out", tmp_path / "out")
        return Streams(plan_streams(serve_args(small_assembly, out, **overrides)))

    return make


@pytest.fixture
def streams(make_streams: Callable[..., Streams]) -> Streams:
    return make_streams()


@pytest.fixture
def args_for() -> Callable[..., argparse.Namespace]:
    """:func:`serve_args`, for tests that plan streams themselves."""
    return serve_args


def _conformance_errors(value: Any, shape: Any, path: str) -> list[str]:
    """Where ``value`` (a JSON answer, parsed) breaks the botocore model's ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        errors = [f"{path}.{name}: required, missing" for name in shape.required_members if name not in value]
        errors += [f"{path}.{name}: not in the model" for name in value if name not in shape.members]
        for name, item in value.items():
            if name in shape.members:
                errors += _conformance_errors(item, shape.members[name], f"{path}.{name}")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        errors = []
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            errors.append(f"{path}: over {shape.metadata['max']} items")
        for index, item in enumerate(value):
            errors += _conformance_errors(item, shape.member, f"{path}[{index}]")
        return errors
    if kind == "map":
        return [] if isinstance(value, dict) else [f"{path}: not an object"]
    expected: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "blob": (str,),
        "integer": (int,),
        "long": (int,),
        "boolean": (bool,),
        "timestamp": (int, float),
        "double": (int, float),
    }
    types = expected.get(kind, (object,))
    if not isinstance(value, types) or (kind in {"integer", "long"} and isinstance(value, bool)):
        return [f"{path}: {type(value).__name__}, the model says {kind}"]
    if kind == "string" and "enum" in shape.metadata and value not in shape.enum:
        return [f"{path}: {value!r} not in {shape.enum}"]
    return []


@pytest.fixture(scope="session")
def conforms() -> Callable[[Any, str], None]:
    """Asserts that an operation's output matches its shape in botocore's Firehose model (names, types,
    required members, list sizes, enums)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("firehose")

    def check(value: Any, operation: str) -> None:
        shape = model.operation_model(operation).output_shape
        errors = _conformance_errors(value, shape, operation)
        assert not errors, errors

    return check

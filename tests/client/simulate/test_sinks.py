"""Where objects go: a directory that keys cannot climb out of, or an S3 API with Firehose's headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from firehose_s3_client.simulate.sinks import DirectorySink, S3Sink, SinkError, local_path


def test_objects_land_under_the_bucket(tmp_path: Path) -> None:
    sink = DirectorySink(tmp_path)
    sink.write("Bucket", "data/2026/11/26/09/name.gz", b"body")
    assert (tmp_path / "Bucket" / "data/2026/11/26/09/name.gz").read_bytes() == b"body"
    assert sink.escaped_keys == 0
    assert not list(tmp_path.rglob("*.part"))


@pytest.mark.parametrize(
    ("key", "relative"),
    [
        ("p=../../etc/x", "p=../%2E%2E/etc/x"),
        ("../x", "%2E%2E/x"),
        ("a//b", "a/%/b"),
        ("./x", "%2E/x"),
        ("nul\0/x", "nul%00/x"),
    ],
)
def test_keys_a_file_system_cannot_hold_are_escaped_inside_the_root(tmp_path: Path, key: str, relative: str) -> None:
    path, escaped = local_path(tmp_path, "B", key)
    assert escaped
    assert path == tmp_path / "B" / relative
    assert path.resolve().is_relative_to(tmp_path.resolve())
    sink = DirectorySink(tmp_path)
    sink.write("B", key, b"x")
    assert path.read_bytes() == b"x"
    assert sink.escaped_keys == 1


def test_an_unwritable_object_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "B").write_text("a file where the bucket directory should be")
    with pytest.raises(SinkError, match="cannot write"):
        DirectorySink(tmp_path).write("B", "k", b"x")


@pytest.fixture
def s3() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="real-name")
        yield client


def test_s3_sink_maps_buckets_and_sets_firehoses_headers(s3: object) -> None:
    sink = S3Sink(s3, {"DataBucket": "real-name"})
    sink.write("DataBucket", "k.gz", b"\x1f\x8b", content_encoding="gzip")
    head = s3.head_object(Bucket="real-name", Key="k.gz")  # type: ignore[attr-defined]
    assert (head["ContentEncoding"], head["ContentType"]) == ("gzip", "application/octet-stream")
    with pytest.raises(SinkError, match="no --bucket Other=NAME"):
        sink.write("Other", "k", b"")
    with pytest.raises(SinkError, match="cannot put s3://missing/k"):
        S3Sink(s3, {"B": "missing"}).write("B", "k", b"")

"""Which streams are served, by which names, writing where; every refusal a one-line CliError."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simulator_helpers import stream_resource, write_assembly

from firehose_s3_client.errors import CliError
from firehose_s3_client.serve.stream_selection import plan_streams
from firehose_s3_client.simulate.sinks import DirectorySink, S3Sink

Args = Callable[..., argparse.Namespace]


def _two_stacks(root: Path, first: dict[str, Any], second: dict[str, Any]) -> Path:
    """A cloud assembly of the stacks Alpha and Beta."""
    write_assembly(root, first, stack="Alpha")
    manifest = json.loads((root / "manifest.json").read_text())
    write_assembly(root, second, stack="Beta")
    manifest["artifacts"].update(json.loads((root / "manifest.json").read_text())["artifacts"])
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _named(name: str) -> dict[str, Any]:
    resource = stream_resource()
    resource["Properties"]["DeliveryStreamName"] = name
    return resource


def _error(args: argparse.Namespace) -> tuple[int, str]:
    with pytest.raises(CliError) as raised:
        plan_streams(args)
    message = str(raised.value)
    assert "\n" not in message
    return raised.value.exit_code, message


def test_streams_are_named_as_deployed_and_write_like_simulate(
    small_assembly: Path, tmp_path: Path, args_for: Args
) -> None:
    plans = plan_streams(args_for(small_assembly, tmp_path / "out"))
    assert [plan.name for plan in plans] == ["BackedUp", "FromKinesis", "orders", "Plain"]
    assert [plan.prepared.config.logical_id for plan in plans] == ["BackedUp", "FromKinesis", "Named", "Plain"]
    for plan in plans:
        assert isinstance(plan.sink, DirectorySink)
        assert plan.sink.root == tmp_path / "out"  # one stack: DIR/<bucket logical ID>/<key>
        assert plan.output == {"dir": str(tmp_path / "out")}


def test_several_stacks_write_under_their_own_directories(tmp_path: Path, args_for: Args) -> None:
    assembly = _two_stacks(tmp_path / "app", {"Stream": stream_resource()}, {"Stream": _named("beta-stream")})
    plans = plan_streams(args_for(assembly, tmp_path / "out"))
    assert {plan.name: plan.output["dir"] for plan in plans} == {
        "Stream": str(tmp_path / "out" / "Alpha"),
        "beta-stream": str(tmp_path / "out" / "Beta"),
    }
    (only,) = plan_streams(args_for(assembly, tmp_path / "one", stack=["Beta"]))
    assert only.output["dir"] == str(tmp_path / "one")


def test_two_streams_of_one_name_cannot_be_served_together(tmp_path: Path, args_for: Args) -> None:
    assembly = _two_stacks(tmp_path / "app", {"Stream": stream_resource()}, {"Stream": stream_resource()})
    code, message = _error(args_for(assembly, tmp_path / "out"))
    assert code == 1
    assert "Alpha/Stream and Beta/Stream would both be named 'Stream'" in message
    assert "--stack" in message
    assert len(plan_streams(args_for(assembly, tmp_path / "out", stack=["Alpha"]))) == 1


def test_buckets_and_secrets_apply_to_the_stacks_that_have_them(tmp_path: Path, args_for: Args) -> None:
    assembly = _two_stacks(
        tmp_path / "app",
        {"Stream": stream_resource(), "Key": {"Type": "AWS::SecretsManager::Secret"}},
        {"Stream": _named("other")},
    )
    args = args_for(
        assembly,
        None,
        endpoint_url="http://127.0.0.1:9",
        bucket=["DataBucket=shared", "Beta/DataBucket=beta-data"],
        secret=["Key=local"],
    )
    plans = {plan.name: plan for plan in plan_streams(args)}
    for name, bucket in (("Stream", "shared"), ("other", "beta-data")):
        sink = plans[name].sink
        assert isinstance(sink, S3Sink)
        assert sink.bucket_names == {"DataBucket": bucket}
    assert [secret.value for secret in plans["Stream"].prepared.secrets] == ["local"]


@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"bucket": ["Nope=x"]}, 2, "--bucket Nope=x: Nope is no bucket a served stream writes"),
        ({"bucket": ["Gamma/DataBucket=x"]}, 2, "--bucket Gamma/DataBucket=x"),
        ({"bucket": ["DataBucket"]}, 2, "expected LOGICAL_ID=VALUE or STACK/LOGICAL_ID=VALUE"),
        ({"secret": ["Nope=x"]}, 2, "--secret Nope=x: Nope is no secret of a served stack"),
        ({"processor": "mod:fn"}, 2, "--processor: no served stream has a Lambda processor"),
        ({"stack": ["Missing"]}, 1, "stack 'Missing' is not in the cloud assembly"),
    ],
)
def test_options_that_apply_to_nothing_are_refused(
    small_assembly: Path, args_for: Args, overrides: dict[str, Any], code: int, fragment: str
) -> None:
    endpoint = {"endpoint_url": "http://127.0.0.1:9", "bucket": ["DataBucket=d", "BackupBucket=b"]}
    if "bucket" in overrides:
        endpoint["bucket"] = endpoint["bucket"] + overrides.pop("bucket")
    refused_code, message = _error(args_for(small_assembly, None, **endpoint, **overrides))
    assert refused_code == code
    assert fragment in message


def test_a_missing_bucket_name_is_asked_for(small_assembly: Path, args_for: Args) -> None:
    code, message = _error(args_for(small_assembly, None, endpoint_url="http://127.0.0.1:9", bucket=["DataBucket=d"]))
    assert code == 2
    assert "--bucket BackupBucket=NAME" in message


def test_assemblies_without_streams_are_refused(tmp_path: Path, args_for: Args) -> None:
    empty = write_assembly(tmp_path / "empty", {})
    assert _error(args_for(empty, tmp_path / "out")) == (
        1,
        f"the cloud assembly {empty} has no AWS::KinesisFirehose::DeliveryStream",
    )
    assert _error(args_for(empty, tmp_path / "out", stack=["Test"])) == (
        1,
        "stack Test has no AWS::KinesisFirehose::DeliveryStream",
    )
    code, message = _error(args_for(tmp_path / "nowhere", tmp_path / "out"))
    assert code == 1
    assert message.startswith("cloud assembly not found")


def test_a_stream_that_cannot_be_simulated_names_its_stack_and_property(tmp_path: Path, args_for: Args) -> None:
    redshift = stream_resource()
    redshift["Properties"]["RedshiftDestinationConfiguration"] = {"ClusterJDBCURL": "jdbc:redshift://x"}
    assembly = write_assembly(tmp_path / "app", {"Warehouse": redshift})
    code, message = _error(args_for(assembly, tmp_path / "out"))
    assert code == 1
    assert message.startswith("Test: Warehouse.RedshiftDestinationConfiguration")

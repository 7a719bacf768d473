"""Helpers for the simulator tests: small cloud assemblies written by hand, runs of the engine, reading output.

Nothing here imitates the engine: ``inprocess_invoke`` runs a real handler on the event the worker would
build (:meth:`InvocationRequest.event`) and checks its response with the real :mod:`lambda_response`, so
engine tests do not pay for a worker process each; the worker itself is tested on its own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from firehose_s3_client.simulate.assembly import load_stack
from firehose_s3_client.simulate.engine import DeliveryEngine
from firehose_s3_client.simulate.lambda_invoker import Invocation, InvocationRequest
from firehose_s3_client.simulate.lambda_response import FunctionFailed, ResponseRejected, check_response
from firehose_s3_client.simulate.sinks import DirectorySink
from firehose_s3_client.simulate.stream_config import DeliveryStreamConfig, read_stream_config
from firehose_s3_client.simulate.template_values import TemplateResolver
from firehose_s3_client.verify import decode_object
from firehose_transform.contract import LAMBDA_RESPONSE_LIMIT

STACK = "Test"
STREAM_ID = "Stream"
BUCKET_ID = "DataBucket"
BACKUP_ID = "BackupBucket"
FUNCTION_ID = "TransformFunction"
#: 2026-11-26T09:00:00Z
START_MS = 1_795_683_600_000

Handler = Callable[[dict[str, Any], Any], Any]


def bucket_arn(logical_id: str = BUCKET_ID) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def stream_resource(**destination: Any) -> dict[str, Any]:
    """A Direct PUT stream to ``DataBucket``; keyword arguments override ExtendedS3DestinationConfiguration keys."""
    config: dict[str, Any] = {"BucketARN": bucket_arn(), "RoleARN": "arn:aws:iam::123456789012:role/firehose"}
    config.update(destination)
    return {
        "Type": "AWS::KinesisFirehose::DeliveryStream",
        "Properties": {"DeliveryStreamType": "DirectPut", "ExtendedS3DestinationConfiguration": config},
    }


def lambda_processor(**parameters: str) -> dict[str, Any]:
    """A Lambda processor for ``TransformFunction`` with the given parameters (names as in the API)."""
    values: list[dict[str, Any]] = [
        {"ParameterName": "LambdaArn", "ParameterValue": {"Fn::GetAtt": [FUNCTION_ID, "Arn"]}}
    ]
    values += [{"ParameterName": name, "ParameterValue": value} for name, value in parameters.items()]
    return {"Type": "Lambda", "Parameters": values}


def processing(*processors: dict[str, Any]) -> dict[str, Any]:
    return {"Enabled": True, "Processors": list(processors)}


def function_resource(asset_hash: str, *, handler: str = "index.handler", **properties: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Code": {"S3Bucket": "assets", "S3Key": f"{asset_hash}.zip"},
        "Handler": handler,
        "Runtime": "python3.11",
        "Timeout": 30,
    }
    props.update(properties)
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def write_assembly(
    directory: Path,
    resources: Mapping[str, dict[str, Any]],
    *,
    stack: str = STACK,
    assets: Mapping[str, Mapping[str, str]] | None = None,
    buckets: tuple[str, ...] = (BUCKET_ID, BACKUP_ID),
) -> Path:
    """A cloud assembly of one stack; ``assets`` maps an asset hash to files (name -> source) to write."""
    directory.mkdir(parents=True, exist_ok=True)
    template_resources = {bucket: {"Type": "AWS::S3::Bucket"} for bucket in buckets}
    template_resources.update(copy.deepcopy(dict(resources)))
    (directory / f"{stack}.template.json").write_text(json.dumps({"Resources": template_resources}))
    files: dict[str, Any] = {}
    for asset_hash, contents in (assets or {}).items():
        asset_dir = directory / f"asset.{asset_hash}"
        for name, source in contents.items():
            path = asset_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
        files[asset_hash] = {"source": {"path": f"asset.{asset_hash}", "packaging": "zip"}}
    (directory / f"{stack}.assets.json").write_text(json.dumps({"version": "55.0.0", "files": files}))
    manifest = {
        "version": "55.0.0",
        "artifacts": {
            stack: {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{stack}.template.json"}}
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def stream_config(assembly: Path, logical_id: str = STREAM_ID, stack: str = STACK) -> DeliveryStreamConfig:
    template = load_stack(assembly, stack)
    return read_stream_config(template, logical_id, TemplateResolver(template))


def inprocess_invoke(handler: Handler) -> Callable[[InvocationRequest], Invocation]:
    """An invoke function running ``handler`` here, with the worker's own response checks."""

    def invoke(request: InvocationRequest) -> Invocation:
        event = request.event()
        try:
            response = handler(event, None)
            checked = check_response(request.record_ids(), response, limit=LAMBDA_RESPONSE_LIMIT, ensure_ascii=False)
        except ResponseRejected as rejected:
            return Invocation("rejected", error_code=rejected.error_code, error_message=rejected.error_message)
        except FunctionFailed as failed:
            return Invocation("error", error_code="Lambda.FunctionError", error_message=failed.message)
        except Exception as error:  # the function raised: an invocation error
            return Invocation("error", error_code="Lambda.FunctionError", error_message=str(error))
        return Invocation("ok", results=checked.results, data=checked.data, partition_keys=checked.partition_keys)

    return invoke


def run_engine(
    config: DeliveryStreamConfig,
    records: list[bytes],
    out: Path,
    *,
    invoke: Callable[[InvocationRequest], Invocation] | None = None,
    rate: float = 1000.0,
    start_ms: int = START_MS,
    **options: Any,
) -> DeliveryEngine:
    """Put ``records`` at ``rate`` from ``start_ms``, flush at the last arrival, return the engine."""
    engine = DeliveryEngine(config, sink=DirectorySink(out), invoke=invoke, **options)
    arrivals = [start_ms + int(i * 1000 / rate) for i in range(len(records))]
    for start in range(0, len(records), 1000):
        engine.put(records[start : start + 1000], arrivals[start : start + 1000])
    engine.flush(arrivals[-1] if arrivals else start_ms)
    return engine


def objects(root: Path, bucket: str = BUCKET_ID) -> dict[str, bytes]:
    """Key -> stored bytes of every object of ``bucket`` under ``root``."""
    base = root / bucket
    return {path.relative_to(base).as_posix(): path.read_bytes() for path in sorted(base.rglob("*")) if path.is_file()}


def decoded(root: Path, bucket: str = BUCKET_ID) -> dict[str, bytes]:
    """Key -> decompressed bytes (what ``firehose-s3 verify`` reads)."""
    return {key: decode_object(key, body).data or b"" for key, body in objects(root, bucket).items()}


def error_documents(root: Path, bucket: str = BUCKET_ID) -> list[dict[str, Any]]:
    """Every error document under the bucket's error objects (keys with an error folder)."""
    out: list[dict[str, Any]] = []
    for key, body in decoded(root, bucket).items():
        if "failed" in key or "Exceeded" in key:
            out.extend(json.loads(line) for line in body.splitlines() if line.strip())
    return out

"""The simulated Lambda execution environment: runs one function's handler in its own interpreter.

Started by :mod:`firehose_s3_client.simulate.lambda_invoker` as ``python -I -S lambda_worker.py IN OUT`` for
a function from the cloud assembly (isolated: no site-packages, no user site, no ``PYTHONPATH``; the
function's code directory is the first entry of ``sys.path``, as ``LAMBDA_TASK_ROOT`` is on Lambda), or as
``python -P lambda_worker.py IN OUT`` for ``--processor module:function`` (the host's own path). This file
uses the standard library only and imports nothing from the host package.

What it gives the function, as Lambda would: the environment (set by the invoker), a context object
(``aws_request_id``, ``function_name``, ``get_remaining_time_in_millis()``...), ``print``/logging to the
function log, and ``boto3`` - a local stand-in that answers Secrets Manager ``GetSecretValue`` for the stack's
secrets with the simulator's local values and refuses every other AWS call by name (no AWS account is used).

Binary packages: a distribution of the code directory built for another platform (the Lambda's arm64
wheels) is replaced by the host's compatible copy of the same distribution, or hidden (so the function's own
fallback runs) when the host has none; the invoker decides and reports which.

Protocol (pipes ``IN``/``OUT``): frames of ``<u32 header length><u32 body length><JSON header><body>``. The
first frame (``init``) carries the configuration; the worker answers ``ready`` (with the init error, if any).
Each ``invoke`` frame's body is the event JSON; the answer is ``ok`` (result codes, lengths and partition keys
in the header, the decoded data of the Ok records as the body), ``rejected`` (status-model violation) or
``error`` (the invocation failed).
"""

from __future__ import annotations

import binascii
import functools
import importlib
import importlib.machinery
import importlib.util
import json
import os
import struct
import sys
import time
import traceback
import types
from itertools import accumulate, pairwise
from typing import Any

_HEADER = struct.Struct("<II")


class _Pipe:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._in = os.fdopen(read_fd, "rb", buffering=0)
        self._out = os.fdopen(write_fd, "wb", buffering=0)

    def _exact(self, size: int) -> bytearray:
        buffer = bytearray(size)
        view = memoryview(buffer)
        done = 0
        while done < size:
            got = self._in.readinto(view[done:])
            if not got:
                raise EOFError
            done += got
        return buffer

    def read(self) -> tuple[dict[str, Any], bytearray]:
        header_size, body_size = _HEADER.unpack(self._exact(_HEADER.size))
        header = json.loads(self._exact(header_size))
        return header, self._exact(body_size)

    def write(self, header: dict[str, Any], body: bytes = b"") -> None:
        encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
        self._out.write(_HEADER.pack(len(encoded), len(body)) + encoded)
        if body:
            self._out.write(body)


class _PackageRedirect:
    """Loads chosen top-level packages from the host's directories, and hides others (see module docstring)."""

    def __init__(self, locations: dict[str, str], hidden: list[str]) -> None:
        self.locations = locations
        self.hidden = set(hidden)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.hidden:
            raise ModuleNotFoundError(f"No module named {fullname!r} (built for another platform)", name=fullname)
        if fullname == top and top in self.locations:
            return importlib.machinery.PathFinder.find_spec(fullname, [self.locations[top]])
        return None


class _AwsCallRefusedError(Exception):
    pass


def _local_boto3(secrets: dict[str, str]) -> types.ModuleType:
    """A ``boto3`` that serves the stack's secrets locally and refuses everything else."""
    botocore = types.ModuleType("botocore")
    exceptions = types.ModuleType("botocore.exceptions")

    class ClientError(Exception):
        def __init__(self, error_response: dict[str, Any], operation_name: str) -> None:
            super().__init__(
                f"An error occurred ({error_response['Error']['Code']}) when calling the {operation_name} operation"
            )
            self.response = error_response
            self.operation_name = operation_name

    exceptions.ClientError = ClientError  # type: ignore[attr-defined]
    botocore.exceptions = exceptions  # type: ignore[attr-defined]

    class SecretsManager:
        def get_secret_value(self, SecretId: str, **_: Any) -> dict[str, Any]:  # noqa: N803 (boto3's name)
            if SecretId not in secrets:
                error = {
                    "Error": {
                        "Code": "ResourceNotFoundException",
                        "Message": f"{SecretId} is not a secret of the stack",
                    }
                }
                raise ClientError(error, "GetSecretValue")
            return {"ARN": SecretId, "Name": SecretId.rsplit(":", 1)[-1], "SecretString": secrets[SecretId]}

    def client(service_name: str, *args: Any, **kwargs: Any) -> Any:
        if service_name == "secretsmanager":
            return SecretsManager()
        raise _AwsCallRefusedError(
            f"the simulator offers no AWS service but Secrets Manager (asked for {service_name!r})"
        )

    class Session:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
            return client(service_name)

    boto3 = types.ModuleType("boto3")
    boto3.client = client  # type: ignore[attr-defined]
    boto3.Session = Session  # type: ignore[attr-defined]
    boto3.session = types.SimpleNamespace(Session=Session)  # type: ignore[attr-defined]
    sys.modules.update({"boto3": boto3, "botocore": botocore, "botocore.exceptions": exceptions})
    return boto3


class LambdaContext:
    """The ``context`` argument of a Python Lambda handler."""

    def __init__(self, config: dict[str, Any], request_id: str, deadline_ms: float) -> None:
        self.function_name = config["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = config["function_arn"]
        self.memory_limit_in_mb = config["memory_mb"]
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "simulated"
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _load_handler(name: str) -> Any:
    module_name, _, function = name.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{name}': not enough values to unpack (expected 2, got 1)")
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function)


def _load_checker(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("_firehose_simulator_lambda_response", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_POSITIONS: list[str] = []


def _positions(count: int) -> list[str]:
    """The 16-digit positions of a batch's records (made once: a batch has at most a few thousand records)."""
    while len(_POSITIONS) < count:
        _POSITIONS.append(f"{len(_POSITIONS):016d}")
    return _POSITIONS[:count]


def _event(header: dict[str, Any], body: bytearray, b64encode: Any) -> dict[str, Any]:
    """The Firehose event of an invoke frame (see :meth:`InvocationRequest.event` on the host side)."""
    prefix = header["record_id_prefix"]
    view = memoryview(body)
    ends = list(accumulate(header["lengths"]))
    ids = [prefix + position for position in _positions(len(ends))]
    datas = [b64encode(view[start:end]) for start, end in pairwise([0, *ends])]
    records = [
        {"recordId": record_id, "approximateArrivalTimestamp": arrival, "data": data}
        for record_id, arrival, data in zip(ids, header["arrivals"], datas, strict=True)
    ]
    kinesis = header.get("kinesis")
    if kinesis is not None:
        for record, metadata in zip(records, kinesis, strict=True):
            record["kinesisRecordMetadata"] = metadata
    event: dict[str, Any] = {
        "invocationId": header["invocation_id"],
        "deliveryStreamArn": header["delivery_stream_arn"],
        "region": header["region"],
    }
    if header.get("source_kinesis_stream_arn"):
        event["sourceKinesisStreamArn"] = header["source_kinesis_stream_arn"]
    event["records"] = records
    return event


def _invoke(
    config: dict[str, Any], handler: Any, checker: Any, frame: tuple[dict[str, Any], bytearray], codecs: _Codecs
) -> tuple[dict[str, Any], bytes]:
    header, body = frame
    event = _event(header, body, codecs.b64encode)
    record_ids = [record["recordId"] for record in event["records"]]
    context = LambdaContext(config, header["request_id"], header["deadline_ms"])
    started = time.perf_counter()
    print(f"START RequestId: {context.aws_request_id} Version: $LATEST", flush=True)
    try:
        response = handler(event, context)
        checked = checker.check_response(
            record_ids,
            response,
            limit=config["response_limit"],
            ensure_ascii=config["ensure_ascii"],
            compact_dumps=codecs.dumps,
            b64decode=codecs.b64decode,
        )
    except checker.ResponseRejected as rejected:
        reply: dict[str, Any] = {
            "kind": "rejected",
            "errorCode": rejected.error_code,
            "errorMessage": rejected.error_message,
            "detail": rejected.detail,
        }
        body_out = b""
    except checker.FunctionFailed as failed:
        reply = {"kind": "error", "errorType": failed.error_type, "errorMessage": failed.message}
        body_out = b""
    except Exception as error:  # the function raised: an invocation error, as Lambda reports it
        traceback.print_exc()
        reply = {"kind": "error", "errorType": type(error).__name__, "errorMessage": str(error)}
        body_out = b""
    else:
        reply = {
            "kind": "ok",
            "results": checked.results,
            "lengths": [len(data) for data in checked.data],
            "keys": checked.partition_keys,
            "size": checked.size,
        }
        body_out = b"".join(checked.data)
    duration = (time.perf_counter() - started) * 1000
    reply["duration_ms"] = duration
    print(f"END RequestId: {context.aws_request_id}", flush=True)
    print(f"REPORT RequestId: {context.aws_request_id}\tDuration: {duration:.2f} ms", flush=True)
    return reply, body_out


class _Codecs:
    """The worker's own base64 and JSON: the host copies of orjson/pybase64 when the function gets them too
    (so nothing the function could not import is loaded), the standard library otherwise."""

    def __init__(self, host_packages: dict[str, str]) -> None:
        self.b64encode: Any = lambda data: binascii.b2a_base64(data, newline=False).decode("ascii")
        self.b64decode: Any = functools.partial(binascii.a2b_base64, strict_mode=True)
        self.loads: Any = json.loads
        self.dumps: Any = None
        if "pybase64" in host_packages:
            pybase64 = importlib.import_module("pybase64")
            self.b64encode = pybase64.b64encode_as_string
            self.b64decode = functools.partial(pybase64.b64decode, validate=True)
        if "orjson" in host_packages:
            orjson = importlib.import_module("orjson")
            self.loads, self.dumps = orjson.loads, orjson.dumps


def main(argv: list[str]) -> int:
    pipe = _Pipe(int(argv[1]), int(argv[2]))
    config, _ = pipe.read()
    sys.meta_path.insert(0, _PackageRedirect(config["host_packages"], config["hidden_packages"]))
    _local_boto3(config["secrets"])
    if config.get("code_dir"):
        sys.path.insert(0, config["code_dir"])
    else:
        sys.path.insert(0, os.getcwd())
    checker = _load_checker(config["response_module"])
    codecs = _Codecs(config["host_packages"])
    init_error: dict[str, Any] | None = None
    started = time.perf_counter()
    try:
        handler = _load_handler(config["handler"])
    except BaseException as error:
        traceback.print_exc()
        kind = "Runtime.ImportModuleError" if isinstance(error, ImportError) else f"Runtime.{type(error).__name__}"
        init_error = {"errorType": kind, "errorMessage": f"{type(error).__name__}: {error}"}
    pipe.write({"kind": "ready", "init_error": init_error, "init_ms": (time.perf_counter() - started) * 1000})
    while True:
        try:
            header, body = pipe.read()
        except EOFError:
            return 0
        if header.get("kind") == "stop":
            return 0
        if init_error is not None:
            pipe.write({"kind": "error", **init_error, "duration_ms": 0.0})
            continue
        try:
            reply, data = _invoke(config, handler, checker, (header, body), codecs)
        except SystemExit as exit_:  # the runtime exits too: Lambda reports Runtime.ExitError
            pipe.write(
                {
                    "kind": "error",
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"Runtime exited with error: exit status {exit_.code}",
                    "duration_ms": 0.0,
                }
            )
            return 1
        pipe.write(reply, data)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

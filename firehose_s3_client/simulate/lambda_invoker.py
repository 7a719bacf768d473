"""Runs a :class:`FunctionSpec` in a worker process and invokes it synchronously, with its timeout.

One worker process is the function's execution environment: started on the first invocation (the cold
start: the handler module is imported then, as in Lambda's init phase), reused for the next ones, and
replaced after a timeout (it is killed, as Lambda stops a timed-out invocation) or a crash. Invocations run
one at a time. The function's output (``print``, logging, the START/END/REPORT lines) goes to
``function_log`` (a file) or nowhere.

:meth:`LambdaInvoker.invoke` returns an :class:`Invocation`: ``ok`` (results by event record), ``rejected``
(status-model violation, see :mod:`lambda_response`) or ``error`` (the invocation failed: function error,
timeout, oversized response, crashed runtime). It never raises for anything the function does.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import selectors
import struct
import subprocess
import sys
import time
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from pathlib import Path
from typing import IO, Any

from firehose_s3_client.simulate.lambda_function import FunctionSpec
from firehose_transform.contract import LAMBDA_RESPONSE_LIMIT

__all__ = ["Invocation", "InvocationRequest", "LambdaInvoker", "record_id_prefix"]

_HEADER = struct.Struct("<II")
_WORKER = Path(__file__).with_name("lambda_worker.py")
_CHECKER = Path(__file__).with_name("lambda_response.py")
#: How long the runtime may take to start and import the handler (Lambda's init phase is limited to 10 s).
INIT_TIMEOUT_SECONDS = 10.0

TIMED_OUT = (
    "Lambda.FunctionTimedOut",
    "The Lambda function invocation timed out. Increase the Timeout setting in the Lambda function.",
)
FUNCTION_ERROR = (
    "Lambda.FunctionError",
    "The Lambda function was successfully invoked but it returned an error result.",
)


def record_id_prefix(invocation: int) -> str:
    """The first 40 of the 56 decimal digits of a batch's record IDs (Firehose's are 56 digits too); the last
    16 are the record's position in the batch, so every ID of a run is unique."""
    return f"4960{invocation:036d}"


@dataclass(frozen=True)
class InvocationRequest:
    """One batch for the function: what the Firehose event will hold (built as a dict in the worker)."""

    invocation_id: str
    delivery_stream_arn: str
    region: str
    source_kinesis_stream_arn: str | None
    #: The batch's number in the run (its record IDs start with :func:`record_id_prefix` of it).
    invocation: int
    arrivals: list[int]
    datas: list[bytes]
    kinesis: list[dict[str, Any]] | None = None

    def record_ids(self) -> list[str]:
        return [f"{record_id_prefix(self.invocation)}{position:016d}" for position in range(len(self.datas))]

    def event(self) -> dict[str, Any]:
        """The event exactly as the function receives it (what the worker builds)."""
        records: list[dict[str, Any]] = [
            {"recordId": record_id, "approximateArrivalTimestamp": arrival, "data": b64encode(data).decode("ascii")}
            for record_id, arrival, data in zip(self.record_ids(), self.arrivals, self.datas, strict=True)
        ]
        if self.kinesis is not None:
            for record, metadata in zip(records, self.kinesis, strict=True):
                record["kinesisRecordMetadata"] = metadata
        event: dict[str, Any] = {
            "invocationId": self.invocation_id,
            "deliveryStreamArn": self.delivery_stream_arn,
            "region": self.region,
        }
        if self.source_kinesis_stream_arn is not None:
            event["sourceKinesisStreamArn"] = self.source_kinesis_stream_arn
        event["records"] = records
        return event

    def frame(self, request_id: str, deadline_ms: float) -> tuple[dict[str, Any], bytes]:
        """The worker frame: the event's fields and record lengths in the header, the record data as the body."""
        header = {
            "kind": "invoke",
            "request_id": request_id,
            "deadline_ms": deadline_ms,
            "invocation_id": self.invocation_id,
            "delivery_stream_arn": self.delivery_stream_arn,
            "region": self.region,
            "source_kinesis_stream_arn": self.source_kinesis_stream_arn,
            "record_id_prefix": record_id_prefix(self.invocation),
            "arrivals": self.arrivals,
            "lengths": [len(data) for data in self.datas],
            "kinesis": self.kinesis,
        }
        return header, b"".join(self.datas)


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation (see the module docstring)."""

    kind: str  # "ok" | "rejected" | "error"
    results: str = ""
    #: The data of the Ok records, in event order.
    data: list[bytes] = field(default_factory=list)
    partition_keys: list[dict[str, str] | None] | None = None
    error_code: str = ""
    error_message: str = ""
    detail: str = ""
    duration_ms: float = 0.0


class WorkerFailedError(Exception):
    """The worker process died or stopped answering."""


class LambdaInvoker:
    """Invokes one function; close it (or use it as a context manager) to stop its worker."""

    def __init__(self, spec: FunctionSpec, *, function_log: Path | None = None) -> None:
        self.spec = spec
        self.function_log = function_log
        self.cold_starts = 0
        self.init_error: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._to_worker: io.FileIO | None = None
        self._from_worker: io.FileIO | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> LambdaInvoker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ process

    def _environment(self) -> dict[str, str]:
        spec = self.spec
        if spec.code_dir is None:  # --processor: the host's environment, plus the function's
            base = dict(os.environ)
        else:
            base = {key: os.environ[key] for key in ("PATH", "TMPDIR", "LANG") if key in os.environ}
            base.update({"LAMBDA_TASK_ROOT": str(spec.code_dir), "_HANDLER": spec.handler, "TZ": ":UTC"})
        region = spec.arn.split(":")[3] if spec.arn.count(":") >= 5 else "us-east-1"
        base.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "simulated",
            }
        )
        base.update(spec.environment)
        return base

    def _start(self) -> None:
        spec = self.spec
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        flags = ["-I", "-S"] if spec.code_dir is not None else ["-P"]
        if self._log is None:
            self._log = open(self.function_log, "ab") if self.function_log else open(os.devnull, "wb")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                [sys.executable, *flags, str(_WORKER), str(to_worker_read), str(from_worker_write)],
                pass_fds=(to_worker_read, from_worker_write),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                env=self._environment(),
                cwd=str(spec.code_dir) if spec.code_dir is not None else None,
                # its own session: a Ctrl-C at the terminal stops the command, which then still invokes the
                # function to flush its buffers (`serve`), instead of killing the worker with it
                start_new_session=True,
            )
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self._to_worker = io.FileIO(to_worker_write, "wb")
        self._from_worker = io.FileIO(from_worker_read, "rb")
        self.cold_starts += 1
        self._send(self._init_config(), b"")
        ready, _ = self._receive(INIT_TIMEOUT_SECONDS)
        error = ready.get("init_error")
        self.init_error = f"{error['errorType']}: {error['errorMessage']}" if error else None

    def _init_config(self) -> dict[str, Any]:
        spec = self.spec
        host_packages: dict[str, str] = {}
        hidden: list[str] = []
        for replacement in spec.replacements:
            for top in replacement.top_level:
                if replacement.host_location is None:
                    hidden.append(top)
                else:
                    host_packages[top] = replacement.host_location
        secrets: dict[str, str] = {}
        for secret in spec.secrets:
            secrets[secret.arn] = secret.value
            secrets[secret.name] = secret.value
        return {
            "kind": "init",
            "handler": spec.handler,
            "code_dir": str(spec.code_dir) if spec.code_dir is not None else None,
            "function_name": spec.name,
            "function_arn": spec.arn,
            "memory_mb": spec.memory_mb,
            "host_packages": host_packages,
            "hidden_packages": hidden,
            "secrets": secrets,
            "response_module": str(_CHECKER),
            "response_limit": LAMBDA_RESPONSE_LIMIT,
            "ensure_ascii": spec.ensure_ascii,
        }

    def _stop(self) -> None:
        process, self._process = self._process, None
        for stream in (self._to_worker, self._from_worker):
            if stream is not None:
                stream.close()
        self._to_worker = self._from_worker = None
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait()

    def close(self) -> None:
        """Stop the worker (if running) and close the function log."""
        if self._process is not None and self._to_worker is not None:
            with contextlib.suppress(OSError, WorkerFailedError):
                self._send({"kind": "stop"}, b"")
        self._stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------------ frames

    def _send(self, header: dict[str, Any], body: bytes) -> None:
        assert self._to_worker is not None
        encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
        try:
            self._to_worker.write(_HEADER.pack(len(encoded), len(body)) + encoded)
            if body:
                self._to_worker.write(body)
        except (BrokenPipeError, OSError) as error:
            raise WorkerFailedError(f"the runtime process exited ({error})") from None

    def _receive(self, timeout: float) -> tuple[dict[str, Any], bytes]:
        assert self._from_worker is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._from_worker, selectors.EVENT_READ)
            header_size, body_size = _HEADER.unpack(self._exact(_HEADER.size, selector, deadline))
            header = json.loads(self._exact(header_size, selector, deadline))
            body = self._exact(body_size, selector, deadline)
        return header, bytes(body)

    def _exact(self, size: int, selector: selectors.BaseSelector, deadline: float) -> bytearray:
        assert self._from_worker is not None
        buffer = bytearray(size)
        view = memoryview(buffer)
        done = 0
        while done < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise TimeoutError
            got = self._from_worker.readinto(view[done:])
            if not got:
                raise WorkerFailedError("the runtime process exited")
            done += got
        return buffer

    # ------------------------------------------------------------------ invoke

    def invoke(self, request: InvocationRequest) -> Invocation:
        """Invoke the function with one batch; see the module docstring."""
        try:
            if self._process is None or self._process.poll() is not None:
                self._stop()
                self._start()
            request_id = str(uuid.uuid4())
            timeout = self.spec.timeout_seconds
            self._send(*request.frame(request_id, time.time() * 1000 + timeout * 1000))
            header, body = self._receive(timeout)
            if header.get("errorType") == "Runtime.ExitError":
                self._stop()  # the runtime process exited: the next invocation starts a new one
        except TimeoutError:
            self._stop()  # Lambda stops the environment of a timed-out invocation
            return Invocation("error", error_code=TIMED_OUT[0], error_message=TIMED_OUT[1], detail="Task timed out")
        except WorkerFailedError as failure:
            self._stop()
            return Invocation(
                "error", error_code=FUNCTION_ERROR[0], error_message=FUNCTION_ERROR[1], detail=str(failure)
            )
        return _invocation(header, body)


def _invocation(header: dict[str, Any], body: bytes) -> Invocation:
    kind = header.get("kind")
    duration = float(header.get("duration_ms", 0.0))
    if kind == "ok":
        ends = list(accumulate(header["lengths"]))
        data = [body[start:end] for start, end in pairwise([0, *ends])]
        keys = header.get("keys")
        return Invocation(
            "ok",
            results=header["results"],
            data=data,
            partition_keys=keys,
            duration_ms=duration,
        )
    if kind == "rejected":
        return Invocation(
            "rejected",
            error_code=header["errorCode"],
            error_message=header["errorMessage"],
            detail=header.get("detail", ""),
            duration_ms=duration,
        )
    detail = f"{header.get('errorType')}: {header.get('errorMessage')}"
    return Invocation(
        "error", error_code=FUNCTION_ERROR[0], error_message=FUNCTION_ERROR[1], detail=detail, duration_ms=duration
    )

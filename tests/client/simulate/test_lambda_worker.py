"""The simulated execution environment: the function's own modules, the host's compatible wheels, no host path.

Each test writes a small function directory (as a cloud-assembly asset would hold it) and runs it through
the real invoker and worker process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from firehose_s3_client.simulate.lambda_function import FunctionSpec, LocalSecret, binary_plan
from firehose_s3_client.simulate.lambda_invoker import Invocation, InvocationRequest, LambdaInvoker

ARN = "arn:aws:lambda:us-east-1:123456789012:function:probe"
SECRET = LocalSecret(
    "Key", "arn:aws:secretsmanager:us-east-1:123456789012:secret:Key-AbCdEf", "Key", "s3cr3t", "derived"
)
#: A handler that answers every record with the JSON of whatever ``probe(event, context)`` returns.
HANDLER = """
import base64, json
from probe import probe

def handler(event, context):
    answer = base64.b64encode(json.dumps(probe(event, context)).encode()).decode()
    return {"records": [{"recordId": r["recordId"], "result": "Ok", "data": answer} for r in event["records"]]}
"""


def _function(directory: Path, probe: str, **spec: Any) -> FunctionSpec:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.py").write_text(HANDLER)
    (directory / "probe.py").write_text(probe)
    options: dict[str, Any] = {
        "name": "probe",
        "arn": ARN,
        "handler": "index.handler",
        "code_dir": directory,
        "runtime": "python3.11",
        "timeout_seconds": 30.0,
        "memory_mb": 256,
        "environment": {"GREETING": "hello"},
        "secrets": (SECRET,),
    }
    options.update(spec)
    return FunctionSpec(**options)


def _request(count: int = 2) -> InvocationRequest:
    return InvocationRequest(
        invocation_id="00000000-0000-4000-8000-000000000000",
        delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        region="us-east-1",
        source_kinesis_stream_arn=None,
        invocation=7,
        arrivals=[1_795_683_600_000 + i for i in range(count)],
        datas=[f'{{"n":{i}}}\n'.encode() for i in range(count)],
    )


def _answer(spec: FunctionSpec, request: InvocationRequest | None = None) -> Any:
    with LambdaInvoker(spec) as invoker:
        outcome: Invocation = invoker.invoke(request or _request())
    assert outcome.kind == "ok", outcome
    return json.loads(outcome.data[0])


def test_the_function_receives_the_firehose_event(tmp_path: Path) -> None:
    spec = _function(tmp_path / "fn", "def probe(event, context):\n    return event\n")
    request = _request(3)
    assert _answer(spec, request) == request.event()


def test_the_functions_own_modules_run_not_the_hosts(tmp_path: Path) -> None:
    directory = tmp_path / "fn"
    (directory / "firehose_transform").mkdir(parents=True)
    (directory / "firehose_transform" / "__init__.py").write_text("WHO = 'the asset'\n")
    probe = (
        "import sys\n"
        "def probe(event, context):\n"
        "    import firehose_transform\n"
        "    try:\n"
        "        import pytest\n"
        "        host = 'visible'\n"
        "    except ImportError:\n"
        "        host = 'hidden'\n"
        "    return [firehose_transform.WHO, host, [p for p in sys.path if 'site-packages' in p]]\n"
    )
    assert _answer(_function(directory, probe)) == ["the asset", "hidden", []]


def test_environment_context_and_local_secrets(tmp_path: Path) -> None:
    probe = (
        "import os, boto3\n"
        "def probe(event, context):\n"
        "    secret = boto3.client('secretsmanager').get_secret_value(SecretId=os.environ['SECRET'])\n"
        "    try:\n"
        "        boto3.client('s3')\n"
        "        other = 'reached'\n"
        "    except Exception as error:\n"
        "        other = str(error)\n"
        "    return [os.environ['GREETING'], os.environ['AWS_LAMBDA_FUNCTION_NAME'], secret['SecretString'],\n"
        "            context.function_name, context.invoked_function_arn,\n"
        "            0 < context.get_remaining_time_in_millis() <= 30000,\n"
        "            other, 'AWS_ACCESS_KEY_ID' in os.environ]\n"
    )
    spec = _function(tmp_path / "fn", probe, environment={"GREETING": "hello", "SECRET": SECRET.arn})
    greeting, name, secret, context_name, arn, remaining, other, credentials = _answer(spec)
    assert (greeting, name, secret, context_name, arn, remaining) == ("hello", "probe", "s3cr3t", "probe", ARN, True)
    assert "Secrets Manager" in other
    assert "'s3'" in other
    assert credentials is False


def _fake_wheel(directory: Path, name: str, version: str, tag: str, code: str) -> None:
    package = directory / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(code)
    (package / "_native.cpython-314-aarch64-linux-gnu.so").write_bytes(b"\x7fELF not for this machine")
    info = directory / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
    (info / "RECORD").write_text(f"{name}/__init__.py,,\n")


def test_binary_wheels_for_another_platform_give_way_to_the_hosts_copy(tmp_path: Path) -> None:
    directory = tmp_path / "fn"
    tag = "cp314-cp314-manylinux_2_17_aarch64"
    _fake_wheel(directory, "orjson", "3.13.0", tag, "raise ImportError('the arm64 copy was loaded')\n")
    _fake_wheel(directory, "zzfastlib", "1.0", tag, "raise ImportError('the arm64 copy was loaded')\n")
    probe = (
        "def probe(event, context):\n"
        "    import orjson\n"
        "    try:\n"
        "        import zzfastlib\n"
        "        fast = 'loaded'\n"
        "    except ModuleNotFoundError as error:\n"
        "        fast = 'hidden'\n"
        "    return [orjson.__file__, orjson.dumps([1]).decode(), fast]\n"
    )
    plan = binary_plan(directory)
    assert [(r.distribution, r.host_version is not None) for r in plan] == [("orjson", True), ("zzfastlib", False)]
    assert "the host's orjson" in plan[0].describe()
    assert "hidden" in plan[1].describe()
    origin, dumped, fast = _answer(_function(directory, probe, replacements=plan))
    assert origin == orjson.__file__
    assert dumped == "[1]"
    assert fast == "hidden"


def test_pure_python_distributions_are_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "fn"
    (directory / "purelib").mkdir(parents=True)
    (directory / "purelib" / "__init__.py").write_text("")
    info = directory / "purelib-1.0.dist-info"
    info.mkdir()
    (info / "WHEEL").write_text("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    (info / "RECORD").write_text("purelib/__init__.py,,\n")
    assert binary_plan(directory) == ()


def test_an_init_failure_fails_every_invocation_and_is_reported(tmp_path: Path) -> None:
    spec = _function(tmp_path / "fn", "raise RuntimeError('bad configuration')\n")
    with LambdaInvoker(spec) as invoker:
        outcomes = [invoker.invoke(_request()) for _ in range(2)]
        assert invoker.init_error is not None
        assert "bad configuration" in invoker.init_error
        assert invoker.cold_starts == 1
    assert {(o.kind, o.error_code) for o in outcomes} == {("error", "Lambda.FunctionError")}
    assert "bad configuration" in outcomes[0].detail

"""The Lambda entry point ``firehose_transform.handler.handler``: runnable with plain Python, no CDK.

(The bundle's top-level ``handler.py`` re-exports it as ``handler.handler``.)
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "lambda_src"

SCRIPT = """
import base64, json, sys
from firehose_transform.handler import handler
event = {"records": [
    {"recordId": "1", "data": base64.b64encode(b'{"email": "a@b.c", "ip": "1.2.3.4", "n": 1}').decode()},
    {"recordId": "2", "data": "!!"},
]}
response = handler(event, None)
print(json.dumps({"response": response, "cdk": any(m.startswith("aws_cdk") for m in sys.modules)}))
"""


def run_handler(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_FIELDS") and k != "OUTPUT_FORMAT"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=clean | env,
        cwd=TRANSFORM_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_handler_runs_outside_lambda_with_the_environment_config() -> None:
    done = run_handler(DROP_FIELDS="email", MASK_FIELDS="ip", AWS_LAMBDA_FUNCTION_NAME="fn")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    emf = json.loads(lines[0])
    assert emf["FunctionName"] == "fn"
    result = json.loads(lines[-1])
    assert not result["cdk"]
    records = result["response"]["records"]
    assert base64.b64decode(records[0]["data"]) == b'{"ip":"1***","n":1}\n'
    assert records[1] == {"recordId": "2", "result": "ProcessingFailed", "data": "!!"}


def test_invalid_configuration_fails_at_import() -> None:
    done = run_handler(OUTPUT_FORMAT="csv")
    assert done.returncode != 0
    assert "ConfigError: CSV_COLUMNS is required" in done.stderr

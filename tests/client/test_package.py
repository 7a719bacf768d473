"""The client package and the shared contract load without aws_cdk (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

# Every module of firehose_s3_client (heavy optional dependencies are imported inside their commands only).
_CODE = """
import importlib, pkgutil, sys
import firehose_s3_client, firehose_transform.contract
for module in pkgutil.walk_packages(firehose_s3_client.__path__, "firehose_s3_client."):
    importlib.import_module(module.name)
print(sorted(name for name in ("aws_cdk", "jsii", "constructs") if name in sys.modules))
"""


def test_client_and_contract_do_not_import_aws_cdk() -> None:
    result = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_producer_and_cli_do_not_import_aws_cdk() -> None:
    code = (
        "import sys, firehose_s3_client.producer, firehose_s3_client.cli; "
        "print('aws_cdk' in sys.modules, 'jsii' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"

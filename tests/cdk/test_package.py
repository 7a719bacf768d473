"""The package's public names, and that the producer/CLI side does not load aws_cdk."""

from __future__ import annotations

import subprocess
import sys

import pytest

import firehose_s3_constructs


@pytest.mark.parametrize("name", firehose_s3_constructs.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(firehose_s3_constructs, name) is not None


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert sorted(firehose_s3_constructs.__all__) == sorted(firehose_s3_constructs._EXPORTS)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = firehose_s3_constructs.Nope


def test_producer_and_cli_do_not_import_aws_cdk() -> None:
    code = (
        "import sys, firehose_s3_client.producer, firehose_s3_client.cli; "
        "print('aws_cdk' in sys.modules, 'jsii' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"

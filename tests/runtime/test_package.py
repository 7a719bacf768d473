"""The package's public names: lazily imported, so ``import firehose_transform.contract`` stays cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import firehose_transform

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "lambda_src"


@pytest.mark.parametrize("name", firehose_transform.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(firehose_transform, name)
    assert value.__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        firehose_transform.Nope  # noqa: B018 - the attribute access is the test


def test_the_contract_loads_without_the_runtime() -> None:
    code = (
        "import sys, firehose_transform.contract\n"
        "print(sorted(m for m in sys.modules if m.startswith('firehose_transform')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=TRANSFORM_DIR, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['firehose_transform', 'firehose_transform.contract']"

"""Shared fixtures of the client tests: the sample app synthesized once per session, with bundling on.

The local engine (simulate, serve, the demo) runs the transform function's own asset (its handler.py,
firehose_transform/ and arm64 wheels), so the assembly must be built as ``cdk synth`` builds it: bundling on,
into a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cdk_helpers import synthesize_sample_app


@pytest.fixture(scope="session")
def sample_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cloud assembly of the sample app's five stacks (``cdk.out``), synthesized with bundling."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return synthesize_sample_app(tmp_path_factory.mktemp("sample-cdk-out"))

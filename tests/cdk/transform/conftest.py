"""The four TransformFunction configurations (cdk_helpers.transform), built and synthesized once per session."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_helpers.transform import CONFIGURATIONS, BuiltTransforms, build_transforms


@pytest.fixture(scope="session")
def transforms() -> BuiltTransforms:
    return build_transforms(nag=False)


@pytest.fixture(scope="session")
def transform_templates(transforms: BuiltTransforms) -> dict[str, dict[str, Any]]:
    assembly = transforms.app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in CONFIGURATIONS}

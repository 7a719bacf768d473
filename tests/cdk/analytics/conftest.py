"""One stack with the analytics test pipelines (cdk_helpers.analytics), built and synthesized once per session."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from cdk_helpers import make_app, template_json
from cdk_helpers.analytics import build_analytics_stack


@pytest.fixture(scope="session")
def analytics_built() -> dict[str, Any]:
    stack = cdk.Stack(make_app(), "Analytics")
    built = build_analytics_stack(stack)
    built["template"] = template_json(stack)
    return built


@pytest.fixture(scope="session")
def analytics_template(analytics_built: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = analytics_built["template"]
    return result

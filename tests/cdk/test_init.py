"""The public names of the package and of its subpackages."""

from __future__ import annotations

from types import ModuleType

import pytest

import firehose_s3_constructs
from firehose_s3_constructs import analytics, monitoring, transform

PACKAGES = [firehose_s3_constructs, transform, monitoring, analytics]


def _public(package: ModuleType) -> set[str]:
    return {
        name for name, value in vars(package).items() if not name.startswith("_") and not isinstance(value, ModuleType)
    }


@pytest.mark.parametrize("name", firehose_s3_constructs.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(firehose_s3_constructs, name) is not None


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_all_lists_exactly_the_exports(package: ModuleType) -> None:
    assert sorted(package.__all__) == sorted(_public(package))


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = firehose_s3_constructs.Nope  # type: ignore[attr-defined]


def test_subpackages_re_export_their_modules_names() -> None:
    from firehose_s3_constructs.monitoring.stream_monitoring import DeliveryStreamMonitoring
    from firehose_s3_constructs.transform.function import TransformFunction

    assert transform.TransformFunction is TransformFunction
    assert monitoring.DeliveryStreamMonitoring is DeliveryStreamMonitoring
    assert firehose_s3_constructs.TransformFunction is TransformFunction
    assert firehose_s3_constructs.QueryTable is analytics.QueryTable

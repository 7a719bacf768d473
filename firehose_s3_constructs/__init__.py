"""AWS CDK constructs for a secure Amazon Data Firehose to Amazon S3 pipeline.

Names are imported lazily (PEP 562), so ``firehose_s3_constructs.producer`` and the ``firehose-s3`` CLI
start without loading aws_cdk and its Node.js runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analytics import DynamicPartitioning, FormatConversion, QueryTable, QueryWorkgroup
    from .delivery_role import DeliveryRole
    from .monitoring import AlarmSpec, MonitoringOptions, PipelineMonitoring
    from .pipeline import DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, FirehoseToS3
    from .storage import BucketLifecycle, SecureBucket
    from .transform import ProcessorOptions, TransformFunction, TransformOptions, lambda_processor
    from .validation import ConfigurationError

_EXPORTS = {
    "AlarmSpec": "monitoring",
    "BucketLifecycle": "storage",
    "ConfigurationError": "validation",
    "DEFAULT_DATA_OUTPUT_PREFIX": "pipeline",
    "DEFAULT_ERROR_OUTPUT_PREFIX": "pipeline",
    "DeliveryRole": "delivery_role",
    "DynamicPartitioning": "analytics",
    "FirehoseToS3": "pipeline",
    "FormatConversion": "analytics",
    "MonitoringOptions": "monitoring",
    "PipelineMonitoring": "monitoring",
    "ProcessorOptions": "transform",
    "QueryTable": "analytics",
    "QueryWorkgroup": "analytics",
    "SecureBucket": "storage",
    "TransformFunction": "transform",
    "TransformOptions": "transform",
    "lambda_processor": "transform",
}

__all__ = [
    "DEFAULT_DATA_OUTPUT_PREFIX",
    "DEFAULT_ERROR_OUTPUT_PREFIX",
    "AlarmSpec",
    "BucketLifecycle",
    "ConfigurationError",
    "DeliveryRole",
    "DynamicPartitioning",
    "FirehoseToS3",
    "FormatConversion",
    "MonitoringOptions",
    "PipelineMonitoring",
    "ProcessorOptions",
    "QueryTable",
    "QueryWorkgroup",
    "SecureBucket",
    "TransformFunction",
    "TransformOptions",
    "lambda_processor",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

"""AWS CDK constructs for a secure Amazon Data Firehose to Amazon S3 pipeline.

The main construct is :class:`FirehoseToS3`; the others are its building blocks and options. The client
tools (producer, ``firehose-s3`` CLI, local simulator) live in the ``firehose_s3_client`` package, which never
imports aws_cdk; the transform Lambda's runtime is the ``firehose_transform`` package.
"""

from .analytics import DynamicPartitioning, FormatConversion, QueryTable, QueryWorkgroup
from .config import ResolvedPipeline, resolve
from .delivery_role import DeliveryRole
from .monitoring import AlarmSpec, DeliveryStreamMonitoring, MonitoringOptions, StreamSettings
from .options import DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, PipelineOptions
from .pipeline import FirehoseToS3
from .storage import BucketLifecycle, SecureBucket
from .transform import ProcessorOptions, TransformFunction, TransformOptions, lambda_processor
from .validation import ConfigurationError

__all__ = [
    "DEFAULT_DATA_OUTPUT_PREFIX",
    "DEFAULT_ERROR_OUTPUT_PREFIX",
    "AlarmSpec",
    "BucketLifecycle",
    "ConfigurationError",
    "DeliveryRole",
    "DeliveryStreamMonitoring",
    "DynamicPartitioning",
    "FirehoseToS3",
    "FormatConversion",
    "MonitoringOptions",
    "PipelineOptions",
    "ProcessorOptions",
    "QueryTable",
    "QueryWorkgroup",
    "ResolvedPipeline",
    "SecureBucket",
    "StreamSettings",
    "TransformFunction",
    "TransformOptions",
    "lambda_processor",
    "resolve",
]

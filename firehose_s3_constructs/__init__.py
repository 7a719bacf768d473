"""AWS CDK constructs for a secure Amazon Data Firehose to Amazon S3 pipeline.

The producer and CLI (``firehose_s3_constructs.producer``, ``.cli``) do not import aws_cdk; import them
from their modules.
"""

from .delivery_role import DeliveryRole
from .monitoring import AlarmSpec, MonitoringOptions, PipelineMonitoring
from .pipeline import DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, FirehoseToS3
from .storage import BucketLifecycle, SecureBucket
from .validation import ConfigurationError

__all__ = [
    "DEFAULT_DATA_OUTPUT_PREFIX",
    "DEFAULT_ERROR_OUTPUT_PREFIX",
    "AlarmSpec",
    "BucketLifecycle",
    "ConfigurationError",
    "DeliveryRole",
    "FirehoseToS3",
    "MonitoringOptions",
    "PipelineMonitoring",
    "SecureBucket",
]

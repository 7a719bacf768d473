"""AWS CDK constructs for a secure Amazon Data Firehose to Amazon S3 pipeline."""

from .pipeline import DEFAULT_DATA_OUTPUT_PREFIX, DEFAULT_ERROR_OUTPUT_PREFIX, FirehoseToS3
from .storage import BucketLifecycle, SecureBucket
from .validation import ConfigurationError

__all__ = [
    "DEFAULT_DATA_OUTPUT_PREFIX",
    "DEFAULT_ERROR_OUTPUT_PREFIX",
    "BucketLifecycle",
    "ConfigurationError",
    "FirehoseToS3",
    "SecureBucket",
]

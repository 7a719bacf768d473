"""The CloudWatch Logs group of a pipeline's delivery errors (Firehose's ``CloudWatchLoggingOptions``)."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compliance import acknowledge, in_packs, skip_checkov
from .encryption import allow_cloudwatch_logs
from .options import PipelineOptions

__all__ = ["error_log_group"]


def error_log_group(scope: Construct, o: PipelineOptions, encryption_key: kms.IKey | None) -> logs.ILogGroup | None:
    """The log group Firehose writes delivery errors to: none when ``error_logging`` is off, the given one, or
    one created in ``scope`` (``ErrorLogs``), encrypted with the pipeline's key when there is one."""
    if not o.error_logging:
        return None
    if o.error_log_group is not None:
        return o.error_log_group
    if encryption_key is not None:
        allow_cloudwatch_logs(encryption_key)
    log_group = logs.LogGroup(
        scope,
        "ErrorLogs",
        retention=o.log_retention,
        encryption_key=encryption_key,
        removal_policy=o.removal_policy,
    )
    if encryption_key is None:
        reason = (
            "CloudWatch Logs encrypts all log data at rest with service-managed keys; the error log group "
            "uses the pipeline's KMS key whenever one is configured (encryption_key or bucket_encryption=KMS)."
        )
        acknowledge(log_group, in_packs("CloudWatchLogGroupEncrypted", reason))
        skip_checkov(log_group, {"CKV_AWS_158": reason})
    return log_group

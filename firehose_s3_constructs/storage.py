"""Hardened S3 buckets: the data bucket, the source-record backup bucket and their access-log bucket.

Every bucket created here is versioned, blocks all public access, enforces TLS 1.2+ in its bucket policy,
is encrypted (SSE-S3, or SSE-KMS with S3 Bucket Keys when a key is given), uses bucket-owner-enforced
object ownership (no ACLs), expires noncurrent versions, aborts incomplete multipart uploads, and is
retained on stack deletion unless the caller asks for ``RemovalPolicy.DESTROY``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .compliance import acknowledge, in_packs, skip_checkov
from .validation import ConfigurationError, unresolved

__all__ = ["AccessLogging", "BucketLifecycle", "SecureBucket", "access_log_bucket", "log_server_access"]


@dataclass(frozen=True, kw_only=True)
class BucketLifecycle:
    """Lifecycle rules applied to a created bucket.

    Attributes:
        noncurrent_version_expiration: delete noncurrent object versions after this long. Default 90 days.
        abort_incomplete_multipart_upload_after: abort unfinished multipart uploads (Firehose uses them
            for intervals under 60 s) after this long. Default 7 days.
        transitions: optional storage-class transitions of current objects (e.g. to
            ``s3.StorageClass.INTELLIGENT_TIERING`` after 30 days). Default none.
        expiration: delete current objects after this long. Default never (data is kept).
    """

    noncurrent_version_expiration: Duration = Duration.days(90)
    abort_incomplete_multipart_upload_after: Duration = Duration.days(7)
    transitions: Sequence[s3.Transition] = field(default_factory=tuple)
    expiration: Duration | None = None

    def __post_init__(self) -> None:
        for name, value in (
            ("noncurrent_version_expiration", self.noncurrent_version_expiration),
            ("abort_incomplete_multipart_upload_after", self.abort_incomplete_multipart_upload_after),
        ):
            if unresolved(value):
                continue
            days = value.to_hours(integral=False) / 24
            if days < 1 or days != int(days):
                raise ConfigurationError(
                    f"lifecycle.{name} must be a whole number of days, at least 1 day, got {value.to_human_string()}"
                )

    def rules(self) -> list[s3.LifecycleRule]:
        """The bucket's lifecycle rules."""
        return [
            s3.LifecycleRule(
                id="ExpireNoncurrentVersionsAbortUploads",
                noncurrent_version_expiration=self.noncurrent_version_expiration,
                abort_incomplete_multipart_upload_after=self.abort_incomplete_multipart_upload_after,
                transitions=list(self.transitions) or None,
                expiration=self.expiration,
            )
        ]


@dataclass(frozen=True, kw_only=True)
class AccessLogging:
    """Server access logging of the buckets a construct creates (data, backup, Athena results).

    Attributes:
        bucket: deliver the logs to this bucket, e.g. a central logging bucket. Default None: a hardened
            log bucket is created. A bucket defined in this app gets the bucket-policy statement that lets the
            S3 logging service write each source bucket's logs; an imported bucket's policy cannot be changed
            here and must already allow ``logging.s3.amazonaws.com`` to put objects under ``prefix``
            (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
        prefix: prepended to each bucket's own log folder (``data-bucket/``, ``backup-bucket/``,
            ``athena-results-bucket/``); empty or ending with ``/``. Default "".
        enabled: log at all. Default True. False needs ``disabled_reason``.
        disabled_reason: why the buckets are not access-logged. It becomes the acknowledgment of the cdk-nag
            findings (AwsSolutions-S1 and S3BucketLoggingEnabled of the HIPAA, NIST and PCI packs) and the
            checkov skip (CKV_AWS_18), so it must be true. Required with ``enabled=False``.
    """

    bucket: s3.IBucket | None = None
    prefix: str = ""
    enabled: bool = True
    disabled_reason: str | None = None

    def __post_init__(self) -> None:
        if self.prefix and not unresolved(self.prefix) and not self.prefix.endswith("/"):
            raise ConfigurationError(f"AccessLogging.prefix must be empty or end with '/', got {self.prefix!r}")
        if self.enabled:
            if self.disabled_reason is not None:
                raise ConfigurationError("AccessLogging.disabled_reason is only used with enabled=False")
            return
        if self.bucket is not None or self.prefix:
            raise ConfigurationError("AccessLogging.bucket and prefix cannot be used with enabled=False")
        if not self.disabled_reason or not self.disabled_reason.strip():
            raise ConfigurationError(
                "AccessLogging(enabled=False) needs disabled_reason: say why these buckets need no server access "
                "logs (it acknowledges the AwsSolutions-S1 and S3BucketLoggingEnabled findings)"
            )


def log_server_access(bucket: s3.Bucket, logs_bucket: s3.IBucket, prefix: str) -> None:
    """Deliver ``bucket``'s server access logs to ``logs_bucket`` under ``prefix``, whatever the feature flags.

    aws-cdk-lib's ``server_access_logs_bucket`` grants the logging service through the target's bucket policy
    only with the ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` flag; without it, it switches the target
    to the ``LogDeliveryWrite`` ACL, which a bucket-owner-enforced bucket refuses. So the logging configuration
    and the bucket-policy statement are written here, the same with every flag set.
    """
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=logs_bucket.bucket_name, log_file_prefix=prefix
    )
    logs_bucket.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[logs_bucket.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(bucket).account},
            },
        )
    )


_REPLICATION_REASON = (
    "Cross-Region replication is a disaster-recovery choice of the deploying organisation (it needs a "
    "second bucket in another Region); the bucket is versioned so replication can be added without change."
)
_SSE_S3_REASON = (
    "SSE-S3 (AES-256, S3-managed keys) is this bucket's documented default encryption; pass encryption_key "
    "to FirehoseToS3 for SSE-KMS with a customer managed key."
)


class SecureBucket(Construct):
    """A hardened bucket for delivered or backed-up data.

    Args:
        encryption_key: SSE-KMS with this key and S3 Bucket Keys on; None = SSE-S3. Default None.
        access_logs_bucket: where server access logs go; None = not logged, which needs
            ``logging_disabled_reason``.
        access_logs_prefix: key prefix of this bucket's access logs in ``access_logs_bucket``.
        logging_disabled_reason: why the bucket has no access logs (acknowledges the findings); only when
            ``access_logs_bucket`` is None. Default None.
        removal_policy: what CloudFormation does on stack deletion. Default RETAIN. With DESTROY the
            objects are deleted too (``auto_delete_objects``), otherwise CloudFormation cannot delete it.
        lifecycle: lifecycle rules. Default :class:`BucketLifecycle` ().
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        access_logs_bucket: s3.IBucket | None,
        access_logs_prefix: str,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        lifecycle: BucketLifecycle | None = None,
        logging_disabled_reason: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        if (access_logs_bucket is None) == (logging_disabled_reason is None):
            raise ConfigurationError(
                "SecureBucket needs either access_logs_bucket or logging_disabled_reason (why it is not logged)"
            )
        destroy = removal_policy == RemovalPolicy.DESTROY
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS if encryption_key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key else None,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=(lifecycle or BucketLifecycle()).rules(),
            removal_policy=removal_policy,
            auto_delete_objects=destroy,
        )
        findings = in_packs("S3BucketReplicationEnabled", _REPLICATION_REASON)
        if encryption_key is None:
            findings.update(in_packs("S3DefaultEncryptionKMS", _SSE_S3_REASON))
        if access_logs_bucket is not None:
            log_server_access(self.bucket, access_logs_bucket, access_logs_prefix)
        else:
            assert logging_disabled_reason is not None
            findings.update({"AwsSolutions-S1": logging_disabled_reason})
            findings.update(in_packs("S3BucketLoggingEnabled", logging_disabled_reason))
            skip_checkov(self.bucket, {"CKV_AWS_18": logging_disabled_reason})
        acknowledge(self.bucket, findings)


def access_log_bucket(scope: Construct, id: str, *, removal_policy: RemovalPolicy) -> s3.Bucket:
    """The hardened bucket that receives server access logs of the data and backup buckets.

    S3 server access logging can deliver only to a bucket with SSE-S3 default encryption (not SSE-KMS:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), and a log
    bucket cannot usefully log to itself, so those findings are acknowledged on this bucket only.
    """
    bucket = s3.Bucket(
        scope,
        id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=BucketLifecycle().rules(),
        removal_policy=removal_policy,
        auto_delete_objects=removal_policy == RemovalPolicy.DESTROY,
    )
    own_logs = "This is the server-access-log bucket; logging it to itself would log its own log writes in a loop."
    sse_s3 = (
        "S3 server access logs can only be delivered to a bucket whose default encryption is SSE-S3; "
        "SSE-KMS is not supported for the log target bucket."
    )
    acknowledge(
        bucket,
        {
            **in_packs("S3BucketReplicationEnabled", _REPLICATION_REASON),
            **in_packs("S3DefaultEncryptionKMS", sse_s3),
        },
    )
    skip_checkov(bucket, {"CKV_AWS_18": own_logs})
    return bucket

"""The delivery stream's IAM role and its least-privilege policy, built from the pipeline's configuration.

Firehose assumes this role to read its source, call the transform function, write S3 objects, use KMS and
write error logs. The statements follow the access policy AWS documents for an S3 destination
(https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3) and nothing more:
no ``s3:DeleteObject``, no wildcard action, and no ``*`` resource where AWS allows a narrower one.

Every capability adds its statements here through one ``add_*`` method, so this module is the one place
where the pipeline's permissions are decided. The policy is a customer managed policy rather than an
inline one (the HIPAA, NIST 800-53 and PCI DSS packs reject inline policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .compliance import acknowledge
from .validation import static_part

__all__ = ["S3_BUCKET_ACTIONS", "S3_OBJECT_ACTIONS", "DeliveryRole", "object_resource"]

# The AWS-documented S3 set for Firehose, split by the resource type each action applies to
# (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
S3_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
S3_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")


def object_resource(bucket_arn: str, prefix: str) -> str:
    """The object ARN pattern covering every key Firehose can write under ``prefix``.

    Keys start with the prefix's literal text before its first ``!{...}`` expression; when the prefix
    starts with an expression (or is empty) any key is possible and the pattern is ``bucket/*``.
    """
    return f"{bucket_arn}/{static_part(prefix)}*"


class DeliveryRole(Construct):
    """The role Firehose assumes, and the customer managed policy that holds all its permissions.

    Attributes:
        role: the ``iam.Role``; pass ``role.without_policy_updates()`` to aws-cdk-lib's Firehose L2 so it
            adds nothing of its own.
        policy: the ``iam.ManagedPolicy`` attached to the role. The delivery stream must depend on it.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # sts:ExternalId = the account guards against the confused-deputy problem, as AWS documents for
        # Firehose roles (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
            description="Assumed by Amazon Data Firehose to deliver to S3 (least privilege)",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Least-privilege permissions of the Firehose delivery stream",
            roles=[self.role],
        )
        self._wildcard_findings: set[str] = set()

    def add_s3_destination(self, bucket: s3.IBucket, prefixes: Iterable[str], sid: str) -> None:
        """Write access to ``bucket``, objects limited to the static parts of ``prefixes``."""
        object_arns = sorted({object_resource(bucket.bucket_arn, p) for p in prefixes})
        self.policy.add_statements(
            iam.PolicyStatement(sid=f"{sid}Bucket", actions=list(S3_BUCKET_ACTIONS), resources=[bucket.bucket_arn]),
            iam.PolicyStatement(sid=f"{sid}Objects", actions=list(S3_OBJECT_ACTIONS), resources=object_arns),
        )
        for arn in object_arns:
            self._acknowledge_object_wildcard(bucket, arn)

    def add_s3_kms(self, key: kms.IKey, bucket: s3.IBucket, prefixes: Iterable[str], sid: str) -> None:
        """Use of the bucket's SSE-KMS key, only through S3 and only for this bucket.

        With S3 Bucket Keys, S3 asks KMS with the *bucket* ARN as encryption context; without them, with the
        object ARN. Both must be admitted or delivery fails with S3.KMS errors.
        """
        contexts = [bucket.bucket_arn, *sorted({object_resource(bucket.bucket_arn, p) for p in prefixes})]
        self.policy.add_statements(
            iam.PolicyStatement(
                sid=f"{sid}Kms",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": contexts},
                },
            )
        )

    def add_log_streams(self, log_group: logs.ILogGroup, stream_names: Sequence[str]) -> None:
        """``logs:PutLogEvents`` on exactly the error-log streams of the pipeline."""
        stack = Stack.of(self)
        arns = [
            stack.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"{log_group.log_group_name}:log-stream:{name}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for name in stream_names
        ]
        self.policy.add_statements(
            iam.PolicyStatement(sid="ErrorLogging", actions=["logs:PutLogEvents"], resources=arns)
        )

    def add_kinesis_source(self, stream: kinesis.IStream) -> None:
        """Read access to the source stream (and decryption when it uses a customer managed key)."""
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="ReadSourceStream",
                actions=[
                    "kinesis:DescribeStream",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ],
                resources=[stream.stream_arn],
            )
        )
        if stream.encryption_key is not None:
            # Otherwise reads fail with Kinesis.KMS.AccessDeniedException.
            self.policy.add_statements(
                iam.PolicyStatement(
                    sid="DecryptSourceStream",
                    actions=["kms:Decrypt"],
                    resources=[stream.encryption_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"kinesis.{Stack.of(self).region}.amazonaws.com"}},
                )
            )

    def add_lambda_processor(self, function: lambda_.IFunction) -> None:
        """Invoke the transform: the two actions AWS documents, on that function's ARN only."""
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="InvokeTransform",
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[function.function_arn],
            )
        )

    def add_statements(self, *statements: iam.PolicyStatement) -> None:
        """Extension point for capabilities that need permissions this module has no method for."""
        self.policy.add_statements(*statements)

    def _acknowledge_object_wildcard(self, bucket: s3.IBucket, arn: str) -> None:
        # cdk-nag reports an object pattern as "Resource::<BucketLogicalId.Arn>/<static>*".
        cfn_bucket = _cfn_bucket(bucket)
        if cfn_bucket is None:  # an imported bucket: nag reports its literal ARN, nothing to match here
            return
        logical_id = Stack.of(self).get_logical_id(cfn_bucket)
        suffix = arn.split("/", 1)[1] if "/" in arn else "*"
        finding = f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{suffix}]"
        if finding in self._wildcard_findings:
            return
        self._wildcard_findings.add(finding)
        acknowledge(
            self.policy,
            {
                finding: (
                    "Firehose names each object itself (prefix, timestamp and a random suffix), so object "
                    "actions need a key pattern; it is limited to the static part of the configured prefix."
                )
            },
        )


def _cfn_bucket(bucket: s3.IBucket) -> s3.CfnBucket | None:
    child = bucket.node.default_child
    return child if isinstance(child, s3.CfnBucket) else None

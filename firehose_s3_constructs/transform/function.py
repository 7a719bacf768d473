"""``TransformFunction``: the record-transform Lambda function with its own log group, role and key secret.

Example::

    transform = TransformFunction(
        stack, "Transform",
        options=TransformOptions(drop_fields=("debug",), hash_fields=("email",), partition_key_fields=("tenant",)),
    )
    processor = lambda_processor(transform.function, ProcessorOptions(retries=0))
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ..compliance import acknowledge, in_packs, skip_checkov
from ..encryption import allow_cloudwatch_logs
from ..validation import ConfigurationError
from .bundling import check_code_directory, function_code
from .options import TransformOptions

__all__ = ["TransformFunction"]

_TRACING_MODES = {lambda_.Tracing.ACTIVE: "Active", lambda_.Tracing.PASS_THROUGH: "PassThrough"}

_DLQ_REASON = (
    "Firehose invokes the transform synchronously (RequestResponse); a function DLQ applies only to "
    "asynchronous invocations. Failed batches are retried by Firehose and then written to the delivery "
    "stream's error prefix (processing-failed)."
)
_VPC_REASON = (
    "The transform reaches no VPC resource: it is invoked by Firehose and calls only Secrets Manager and "
    "CloudWatch through public AWS endpoints; a VPC would add NAT/endpoint cost and failure modes, no control."
)
_ROTATION_REASON = (
    "The secret is the pseudonymisation key of the keyed hashes: rotating it changes every hash and breaks "
    "joins across data written before and after. Rotate deliberately (a new key and a re-hash), not on a timer."
)
_SECRET_KMS_REASON = (
    "Secrets Manager encrypts the secret with its AWS managed key (aws/secretsmanager); pass encryption_key "
    "to TransformFunction to use a customer managed key."
)
_LOG_KMS_REASON = (
    "CloudWatch Logs encrypts all log data at rest with service-managed keys; the transform's log group uses "
    "a customer managed key whenever encryption_key is given."
)
_ENV_KMS_REASON = (
    "The environment holds only field names, the output format and a secret's ARN, never a secret; Lambda "
    "encrypts it at rest with an AWS managed key. Pass encryption_key for a customer managed key."
)
_LOG_STREAMS_REASON = (
    "Lambda names each log stream itself (date, version and instance id), so writing logs needs a stream "
    "pattern; it is limited to the streams of the function's own log group."
)
_CONCURRENCY_REASON = (
    "No concurrency is reserved by default: Lambda allows a reservation only while 100 executions stay "
    "unreserved, so it fails to deploy in accounts with a low concurrency quota (new accounts have 10 or 50). "
    "Set TransformOptions.reserved_concurrent_executions where the account has room; throttled invocations are "
    "retried by Firehose and raise the TransformThrottles alarm."
)
_XRAY_REASON = (
    "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so '*' is the "
    "only possible resource; the statement exists only because tracing is enabled."
)


class TransformFunction(Construct):
    """The Firehose record-transform function with its own log group, role and (when hashing) key secret.

    Args:
        scope: parent construct.
        id: construct id.
        options: what the transform does and how the function is sized. Default :class:`TransformOptions` ().
        encryption_key: customer managed key for the log group, the environment variables and the created
            hash-key secret. Default None (AWS managed encryption). The key's policy gets a statement letting
            CloudWatch Logs use it for this account's log groups in this Region (needed to create an
            encrypted log group); an imported key's policy is left unchanged and must already allow it.
        hash_key_secret: use this secret (its ``SecretString``) as the hash key instead of creating one. Only
            with ``options.hash_fields``. Default None (a 64-character random secret is created when
            ``hash_fields`` is set).
        removal_policy: of the log group and the created secret. Default RETAIN.

    Attributes:
        function: the ``lambda_.Function``. Its ``function_arn`` is what the delivery role may invoke.
        role: its execution role (no AWS managed policy; everything is in ``policy``).
        policy: the customer managed policy holding the role's permissions.
        log_group: the function's log group.
        secret: the hash-key secret (created or given), or None when nothing is hashed.
        options: the options it was built with.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        options: TransformOptions | None = None,
        encryption_key: kms.IKey | None = None,
        hash_key_secret: secretsmanager.ISecret | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        options = options if options is not None else TransformOptions()
        if hash_key_secret is not None and not options.hash_fields:
            raise ConfigurationError(
                "hash_key_secret is only used when options.hash_fields names fields to hash, got hash_fields=()",
                path=self.node.path,
            )
        try:
            code_directory = check_code_directory(options)
        except ConfigurationError as error:
            raise error.at(self) from None
        self.options = options
        self.encryption_key = encryption_key

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=options.log_retention,
            encryption_key=encryption_key,
            removal_policy=removal_policy,
        )
        if encryption_key is not None:
            allow_cloudwatch_logs(encryption_key)
        else:
            acknowledge(self.log_group, in_packs("CloudWatchLogGroupEncrypted", _LOG_KMS_REASON))
            skip_checkov(self.log_group, {"CKV_AWS_158": _LOG_KMS_REASON})

        self.secret = hash_key_secret
        if self.secret is None and options.hash_fields:
            self.secret = self._hash_key_secret(encryption_key, removal_policy)

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Execution role of the Firehose record-transform function (least privilege)",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Least-privilege permissions of the Firehose record-transform function",
            roles=[self.role],
            statements=self._statements(),
        )
        self._acknowledge_policy_wildcards()

        self.function = lambda_.Function(
            self,
            "Function",
            description="Amazon Data Firehose record transform (drop/mask/hash fields, JSON/CSV, partition keys)",
            runtime=options.runtime,
            architecture=options.architecture,
            handler=options.handler,
            code=function_code(options, code_directory),
            memory_size=options.memory_size_mb,
            timeout=options.timeout,
            role=self.role,
            environment=options.runtime_environment(self.secret.secret_arn if self.secret else None),
            environment_encryption=encryption_key,
            log_group=self.log_group,
            reserved_concurrent_executions=options.reserved_concurrent_executions,
        )
        # Tracing is set on the resource directly: the L2 would add the X-Ray statement to an inline policy.
        if options.tracing in _TRACING_MODES:
            cfn_function = self.function.node.default_child
            assert isinstance(cfn_function, lambda_.CfnFunction)
            cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(
                mode=_TRACING_MODES[options.tracing]
            )
        # The first invocation must find its permissions (logs, secret) in place.
        self.function.node.add_dependency(self.policy)
        self._acknowledge_function(encryption_key)

    # --- parts ---
    def _hash_key_secret(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> secretsmanager.ISecret:
        secret = secretsmanager.Secret(
            self,
            "HashKey",
            description="Key of the Firehose transform's keyed hashes (pseudonymisation); read by the function",
            encryption_key=encryption_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal_policy,
        )
        findings = {
            "AwsSolutions-SMG4": _ROTATION_REASON,
            **in_packs("SecretsManagerRotationEnabled", _ROTATION_REASON, ("HIPAA.Security", "NIST.800.53.R5")),
        }
        if encryption_key is None:
            findings.update(in_packs("SecretsManagerUsingKMSKey", _SECRET_KMS_REASON))
            skip_checkov(secret, {"CKV_AWS_149": _SECRET_KMS_REASON})
        acknowledge(secret, findings)
        return secret

    def _log_streams_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"{self.log_group.log_group_name}:log-stream:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _statements(self) -> list[iam.PolicyStatement]:
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._log_streams_arn()],
            )
        ]
        if self.secret is not None:
            secret = self.secret
            statements.append(
                iam.PolicyStatement(
                    sid="ReadHashKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[secret.secret_full_arn or f"{secret.secret_arn}-??????"],
                )
            )
            if secret.encryption_key is not None:
                statements.append(
                    iam.PolicyStatement(
                        sid="DecryptHashKey",
                        actions=["kms:Decrypt"],
                        resources=[secret.encryption_key.key_arn],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com"}
                        },
                    )
                )
        if self.options.tracing in _TRACING_MODES:
            statements.append(
                iam.PolicyStatement(
                    sid="XRay",
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                    resources=["*"],
                )
            )
        return statements

    def _acknowledge_policy_wildcards(self) -> None:
        stack = Stack.of(self)
        log_group = self.log_group.node.default_child
        assert isinstance(log_group, logs.CfnLogGroup)
        findings = {
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
            f"<{stack.get_logical_id(log_group)}>:log-stream:*]": _LOG_STREAMS_REASON
        }
        if self.options.tracing in _TRACING_MODES:
            findings["AwsSolutions-IAM5[Resource::*]"] = _XRAY_REASON
        acknowledge(self.policy, findings)

    def _acknowledge_function(self, encryption_key: kms.IKey | None) -> None:
        findings = {
            **in_packs("LambdaDLQ", _DLQ_REASON, ("HIPAA.Security", "NIST.800.53.R5")),
            **in_packs("LambdaInsideVPC", _VPC_REASON),
        }
        checks = {"CKV_AWS_116": _DLQ_REASON, "CKV_AWS_117": _VPC_REASON}
        if self.options.reserved_concurrent_executions is None:
            findings.update(in_packs("LambdaConcurrency", _CONCURRENCY_REASON, ("HIPAA.Security", "NIST.800.53.R5")))
            checks["CKV_AWS_115"] = _CONCURRENCY_REASON
        if encryption_key is None:
            checks["CKV_AWS_173"] = _ENV_KMS_REASON
        acknowledge(self.function, findings)
        skip_checkov(self.function, checks)

"""The Firehose processor that invokes a transform function, and how Firehose buffers and retries for it.

``lambda_processor`` renders the ``ProcessingConfiguration`` entry with every parameter explicit
(aws-cdk-lib's ``LambdaFunctionProcessor`` silently drops ``retries=0``). Limits come from
:mod:`firehose_transform.contract` (the Lambda runtime checks the same ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from aws_cdk import Duration, Size, SizeRoundingBehavior, Tokenization
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from firehose_transform import contract

from ..validation import ConfigurationError, check_range, unresolved, whole_seconds

__all__ = ["ProcessorOptions", "lambda_processor"]


def _lambda_buffer_mb(size: Size) -> float:
    """Firehose's "MB" as CDK mebibytes: ``Size.mebibytes(1)`` -> 1, ``Size.kibibytes(256)`` -> 0.25.

    A token (``Size.mebibytes(parameter.value_as_number)``) stays a token.
    """
    if size.is_unresolved():
        return size.to_mebibytes()
    return size.to_kibibytes(rounding=SizeRoundingBehavior.NONE) / 1024


def _rendered(number: float) -> str:
    """A processor parameter value: Firehose's ParameterValue is a string (a token stays a token)."""
    return Tokenization.stringify_number(number) if unresolved(number) else f"{number:g}"


@dataclass(frozen=True, kw_only=True)
class ProcessorOptions:
    """How Firehose buffers records for, and retries, the transform function (validated on creation).

    Attributes:
        buffer_size: invoke the function when this much data is buffered; 0.2-3 MB. Default 1 MiB.
            Firehose's BufferSizeInMBs is read as mebibytes, the unit of CDK's ``Size`` (aws-cdk-lib's own
            processor renders ``Size.mebibytes(n)`` as ``n`` too); fractions are allowed, e.g.
            ``Size.kibibytes(256)`` renders "0.25" (rounded to 3 decimals, which keeps it in range).
            The request Firehose sends is this buffer base64-encoded in JSON (about 4/3 of it), and the
            response must stay under Lambda's 6 MB synchronous payload limit.
        buffer_interval: invoke the function at least this often; 0-900 s, whole seconds. Default 60 s.
        retries: re-invocations after a failed invocation (network timeout, invocation limit) before
            Firehose sends the batch to the error prefix as ``processing-failed``; 0-300. Default 3. 0 is
            rendered (aws-cdk-lib's ``LambdaFunctionProcessor`` drops it and Firehose's default 3 applies).
            AWS documents the default 3 and no maximum; 300 is this library's ceiling.
    """

    buffer_size: Size = Size.mebibytes(contract.PROCESSOR_DEFAULT_BUFFER_MB)
    buffer_interval: Duration = Duration.seconds(contract.PROCESSOR_DEFAULT_INTERVAL_SECONDS)
    retries: int = contract.PROCESSOR_DEFAULT_RETRIES

    def __post_init__(self) -> None:
        check_range(
            "buffer_size",
            _lambda_buffer_mb(self.buffer_size),
            contract.PROCESSOR_MIN_BUFFER_MB,
            contract.PROCESSOR_MAX_BUFFER_MB,
            "MB",
        )
        check_range(
            "buffer_interval",
            whole_seconds("buffer_interval", self.buffer_interval),
            0,
            contract.PROCESSOR_MAX_INTERVAL_SECONDS,
            "seconds",
        )
        if unresolved(self.retries):
            return
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise ConfigurationError(
                f"retries must be a whole number between 0 and {contract.PROCESSOR_MAX_RETRIES}, got {self.retries!r}"
            )
        check_range("retries", self.retries, 0, contract.PROCESSOR_MAX_RETRIES)

    @property
    def buffer_size_mb(self) -> str:
        """BufferSizeInMBs as rendered: MiB, at most 3 decimals, no trailing zeros ("1", "0.25")."""
        mebibytes = _lambda_buffer_mb(self.buffer_size)
        return _rendered(mebibytes if unresolved(mebibytes) else round(mebibytes, 3))

    @property
    def buffer_interval_seconds(self) -> str:
        """BufferIntervalInSeconds as rendered."""
        seconds = whole_seconds("buffer_interval", self.buffer_interval)
        return _rendered(self.buffer_interval.to_seconds() if seconds is None else seconds)


@jsii.implements(firehose.IDataProcessor)
class _LambdaProcessor:
    """A Lambda processor rendering every parameter, NumberOfRetries 0 included."""

    def __init__(self, function: lambda_.IFunction, options: ProcessorOptions) -> None:
        self._function = function
        self._options = options

    @property
    def props(self) -> firehose.DataProcessorProps:
        return firehose.DataProcessorProps(
            buffer_interval=self._options.buffer_interval,
            buffer_size=self._options.buffer_size,
            retries=self._options.retries,
        )

    def bind(
        self,
        scope: Construct,
        *,
        role: iam.IRole,
        dynamic_partitioning_enabled: bool | None = None,
        prefix: str | None = None,
    ) -> firehose.DataProcessorConfig:
        # Like the L2, grant invocation to the destination's role, but only the two actions AWS documents,
        # on the function's ARN (the L2 also grants fn:*). A role.without_policy_updates() takes nothing.
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
            resource_arns=[self._function.function_arn],
        )
        function_arn = self._function.function_arn
        rendered = {
            # The L2 always sets the destination's role here; so do we.
            "RoleArn": role.role_arn,
            "LambdaArn": function_arn,
            "NumberOfRetries": _rendered(self._options.retries),
            "BufferSizeInMBs": self._options.buffer_size_mb,
            "BufferIntervalInSeconds": self._options.buffer_interval_seconds,
        }
        # With ``parameters`` set, the L2 renders them as they are (and ignores ``props``).
        return firehose.DataProcessorConfig(
            processor_type="Lambda",
            processor_identifier=firehose.DataProcessorIdentifier(
                parameter_name="LambdaArn", parameter_value=function_arn
            ),
            parameters=[
                firehose.CfnDeliveryStream.ProcessorParameterProperty(parameter_name=name, parameter_value=value)
                for name, value in rendered.items()
            ],
        )


def lambda_processor(function: lambda_.IFunction, options: ProcessorOptions | None = None) -> firehose.IDataProcessor:
    """A Firehose data processor that invokes ``function``; pass it to ``firehose.S3Bucket(processors=[...])``.

    Renders ``Type: Lambda`` with ``RoleArn`` (the destination's role, as aws-cdk-lib does), ``LambdaArn``,
    ``NumberOfRetries`` (0 included), ``BufferSizeInMBs`` and ``BufferIntervalInSeconds``, all explicit.

    The destination's role needs ``lambda:InvokeFunction`` and ``lambda:GetFunctionConfiguration`` on
    ``function.function_arn``. The processor adds them to a mutable role (nothing more: no ``:*``); with
    ``role.without_policy_updates()`` it adds nothing and the caller grants them
    (``DeliveryRole.add_lambda_processor``).

    Args:
        function: the transform function (e.g. ``TransformFunction.function``).
        options: buffering and retries. Default :class:`ProcessorOptions` () (1 MiB, 60 s, 3 retries).
    """
    return _LambdaProcessor(function, options if options is not None else ProcessorOptions())

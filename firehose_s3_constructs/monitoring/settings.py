"""What monitoring needs to know about a delivery stream: :class:`StreamSettings`.

``FirehoseToS3`` derives these settings from its resolved configuration. For a stream built elsewhere (or
imported with ``DeliveryStream.from_delivery_stream_name``), state them yourself::

    DeliveryStreamMonitoring(
        stack, "Monitoring",
        delivery_stream=firehose.DeliveryStream.from_delivery_stream_name(stack, "Stream", "orders"),
        settings=StreamSettings(buffering_interval=Duration.seconds(60), format_conversion=True),
    )

The settings decide which alarms can fire (only those are created) and derive the freshness thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_

from firehose_transform import contract

from ..validation import ConfigurationError, unresolved
from .options import seconds_in

__all__ = ["StreamSettings"]

#: Lambda's default timeout, which a ``lambda_.Function`` created without ``timeout`` gets.
_LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3)
#: The S3 destination's buffering interval range (API_BufferingHints), and the backup's (DG buffering-hints).
_MAX_INTERVAL_S = 900
_MIN_BACKUP_INTERVAL_S = 60


@dataclass(frozen=True, kw_only=True)
class StreamSettings:
    """The settings of a delivery stream that its alarms and dashboard depend on (checked on creation).

    Attributes:
        buffering_interval: the S3 destination's buffering interval, 0-900 s. Default 300 s (Firehose's
            default). The freshness threshold is derived from it.
        source_stream: the Kinesis source, or None for Direct PUT (default). Selects lag and read-throttling
            alarms instead of quota and ThrottledRecords alarms.
        transform_function: the Lambda processor's function, if any. Default None (no transform alarms).
        transform_timeout: the function's timeout, 1 s - 5 min (Firehose waits at most 5 minutes). Default
            None: read from a ``lambda_.Function``; required for an imported function.
        transform_buffer_interval: the Lambda processor's buffer interval (0-900 s), added to the expected
            latency. Default None: 60 s, Firehose's default. Only with ``transform_function``.
        transform_metrics_namespace: set when the function is this library's transform, which publishes
            embedded metrics (``RecordsProcessingFailed``, ...) to this namespace (its ``METRICS_NAMESPACE``);
            adds the TransformRecordsFailed alarm. Default None (no embedded metrics).
        backup_buffering_interval: the source-record backup's buffering interval, 60-900 s; setting it says
            backup is on and adds the backup alarms. Default None (no backup).
        stream_encryption_key: the customer managed key of the stream's server-side encryption (Direct PUT
            only); adds the KMSKey* alarms. Default None (AWS-owned key or none: nothing to alarm on).
        format_conversion: Parquet/ORC conversion is on; adds the FailedConversion alarm. Default False.
        dynamic_partitioning: dynamic partitioning is on; adds the PartitionCountExceeded alarm and the 1.5x
            latency factor. Default False.
        decompression: CloudWatch Logs records are decompressed; adds the DecompressionFailed alarm.
            Default False.
    """

    buffering_interval: Duration = Duration.seconds(300)
    source_stream: kinesis.IStream | None = None
    transform_function: lambda_.IFunction | None = None
    transform_timeout: Duration | None = None
    transform_buffer_interval: Duration | None = None
    transform_metrics_namespace: str | None = None
    backup_buffering_interval: Duration | None = None
    stream_encryption_key: kms.IKey | None = None
    format_conversion: bool = False
    dynamic_partitioning: bool = False
    decompression: bool = False

    def __post_init__(self) -> None:
        seconds_in("buffering_interval", self.buffering_interval, 0, _MAX_INTERVAL_S)
        if self.transform_function is None:
            for option, given in (
                ("transform_timeout", self.transform_timeout is not None),
                ("transform_buffer_interval", self.transform_buffer_interval is not None),
                ("transform_metrics_namespace", self.transform_metrics_namespace is not None),
            ):
                if given:
                    raise ConfigurationError(f"{option} needs transform_function, which is None")
        else:
            seconds_in("transform_timeout", self.transform_timeout_or_default, 1, contract.LAMBDA_MAX_TIMEOUT_SECONDS)
            seconds_in("transform_buffer_interval", self.transform_buffer_interval_or_default, 0, _MAX_INTERVAL_S)
        namespace = self.transform_metrics_namespace
        if namespace is not None and not unresolved(namespace) and not namespace.strip():
            raise ConfigurationError(f"transform_metrics_namespace must not be empty, got {namespace!r}")
        if self.backup_buffering_interval is not None:
            seconds_in("backup_buffering_interval", self.backup_buffering_interval, _MIN_BACKUP_INTERVAL_S, 900)
        if self.source_stream is not None and self.stream_encryption_key is not None:
            raise ConfigurationError(
                "stream_encryption_key cannot be used with source_stream: Firehose allows server-side "
                "encryption only for Direct PUT streams, so its KMS alarms could never fire"
            )

    @property
    def direct_put(self) -> bool:
        return self.source_stream is None

    @property
    def backup(self) -> bool:
        return self.backup_buffering_interval is not None

    @property
    def transform_emits_metrics(self) -> bool:
        return self.transform_metrics_namespace is not None

    @property
    def transform_timeout_or_default(self) -> Duration:
        """The transform's timeout: given, or read from a ``lambda_.Function``."""
        if self.transform_timeout is not None:
            return self.transform_timeout
        if isinstance(self.transform_function, lambda_.Function):
            return self.transform_function.timeout or _LAMBDA_DEFAULT_TIMEOUT
        raise ConfigurationError(
            "transform_timeout is required when transform_function is not a lambda_.Function "
            "(an imported function's timeout is unknown)"
        )

    @property
    def transform_buffer_interval_or_default(self) -> Duration:
        return self.transform_buffer_interval or Duration.seconds(contract.PROCESSOR_DEFAULT_INTERVAL_SECONDS)

"""``FirehoseToS3``: a Firehose delivery stream into hardened S3 storage, wired with least privilege.

The construct composes the units of this package (storage, delivery role, validation) around aws-cdk-lib's
``DeliveryStream`` and ``S3Bucket`` L2s, and owns nothing beyond the wiring.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Size, TimeZone
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .analytics import (
    DynamicPartitioning,
    FormatConversion,
    PipelineAnalytics,
    QueryTable,
    transform_partition_keys,
)
from .compliance import acknowledge, in_packs, skip_checkov
from .delivery_role import DeliveryRole
from .encryption import allow_cloudwatch_logs
from .monitoring import TRANSFORM_METRICS_NAMESPACE, MonitoringOptions, PipelineMonitoring
from .storage import BucketLifecycle, SecureBucket, access_log_bucket
from .transform import ProcessorOptions, TransformFunction, TransformOptions, lambda_processor
from .validation import (
    ConfigurationError,
    check_delivery_stream_name,
    check_file_extension,
    check_prefixes,
    check_time_zone,
)

__all__ = [
    "DEFAULT_DATA_OUTPUT_PREFIX",
    "DEFAULT_ERROR_OUTPUT_PREFIX",
    "FirehoseToS3",
]

_HIVE_HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
#: Hive-style partitions Athena can project or discover (arrival time, in ``time_zone``).
DEFAULT_DATA_OUTPUT_PREFIX = "data/" + _HIVE_HOURLY
#: Failed records by failure type (processing-failed, format-conversion-failed, ...) and arrival hour.
DEFAULT_ERROR_OUTPUT_PREFIX = "errors/!{firehose:error-output-type}/" + _HIVE_HOURLY
#: Source records backed up when a transform runs (Firehose appends its own YYYY/MM/dd/HH/).
BACKUP_OUTPUT_PREFIX = "source-records/"
_BACKUP_BUFFERING_INTERVAL = Duration.seconds(300)
# "The maximum supported function timeout is 5 minutes" (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html)
FIREHOSE_MAX_LAMBDA_SECONDS = 300


class FirehoseToS3(Construct):
    """An Amazon Data Firehose delivery stream that writes to a hardened S3 bucket.

    ``FirehoseToS3(scope, "Pipeline")`` alone gives a Direct PUT stream encrypted with an AWS-owned key,
    delivering GZIP JSON every 5 MiB or 300 s into Hive-style hourly partitions of a new versioned,
    SSE-S3-encrypted, TLS-only, access-logged bucket that is retained on stack deletion, with error
    logging to CloudWatch Logs and a role that can do exactly what delivery needs.

    Args:
        scope: parent construct.
        id: construct id.
        source_stream: read from this Kinesis Data Stream instead of Direct PUT. Default None (Direct PUT).
            A stream encrypted with a customer managed key is supported (the role gets ``kms:Decrypt``).
        bucket: deliver into this existing bucket instead of creating one. Default None (a hardened bucket
            is created). Its encryption key is used if it exposes one.
        encryption_key: SSE-KMS key for created buckets, for the objects Firehose writes and for the error
            log group. Default None (SSE-S3), unless ``bucket_encryption`` is KMS.
        bucket_encryption: ``s3.BucketEncryption.S3_MANAGED`` (default) or ``KMS``; with KMS and no
            ``encryption_key`` a customer managed key with rotation is created.
        stream_encryption_key: customer managed key for Firehose's own at-rest encryption. Default None:
            an AWS-owned key for Direct PUT; no stream encryption for a Kinesis source (AWS does not allow
            it there; the source stream's encryption covers the data).
        buffering_size: deliver when this much data is buffered; 1-128 MiB. Default 5 MiB, or 128 MiB with
            format conversion or dynamic partitioning (which need at least 64 MiB).
        buffering_interval: deliver at least this often; 0-900 s. Default 300 s.
        compression: S3 object compression. Default ``firehose.Compression.GZIP``; none with format
            conversion (Parquet/ORC compress inside; any S3-level compression is rejected then).
        data_output_prefix: S3 key prefix of delivered objects. Default :data:`DEFAULT_DATA_OUTPUT_PREFIX`
            (``data/year=!{timestamp:yyyy}/month=.../day=.../hour=.../``).
        error_output_prefix: S3 key prefix of failed records; must contain
            ``!{firehose:error-output-type}`` when it has expressions. Default
            :data:`DEFAULT_ERROR_OUTPUT_PREFIX`.
        file_extension: object file extension, e.g. ``.json.gz``. Default None (Firehose's own: ``.gz``
            for GZIP).
        time_zone: time zone of the prefix timestamps. Default None (UTC).
        delivery_stream_name: physical name. Default None (generated by CloudFormation).
        removal_policy: what happens to created buckets, keys and the log group on stack deletion. Default
            ``RemovalPolicy.RETAIN``; ``DESTROY`` also empties created buckets (``auto_delete_objects``).
        log_retention: retention of the error log group. Default one year.
        lifecycle: lifecycle of created buckets. Default :class:`BucketLifecycle` ().
        source_backup: also write every source record, before any transformation, to a backup bucket
            (Firehose ``S3BackupMode`` Enabled). Default None: on exactly when records are transformed, so
            the original of every transformed record is kept. AWS does not allow turning it off again
            once a stream has it.
        backup_bucket: the bucket for source-record backups. Default None (a hardened bucket like the
            data bucket is created when backup is on).
        monitoring: alarms, their SNS topic and the dashboard. Default :class:`MonitoringOptions` (): every
            alarm that can fire for this configuration, a new KMS-encrypted topic, and a dashboard;
            ``MonitoringOptions(enabled=False, dashboard=False)`` turns both off.
        transform: transform records with a Lambda function before delivery. A :class:`TransformOptions`
            builds this library's transform (drop, mask, hash fields, JSON to CSV, partition keys; see
            ``lambda_src/transform/README.md``); an ``lambda_.IFunction`` uses your own function, which must
            honour the Firehose record contract and finish within 5 minutes. Default None (no transform).
            With a transform, ``source_backup`` defaults to on.
        transform_processor: how Firehose batches records for the function: buffer size 0.2-3 MB, interval
            0-900 s, retries (0 honoured). Default :class:`ProcessorOptions` () = 1 MiB, 60 s, 3 retries.
        format_conversion: convert JSON records to Parquet (default) or ORC through a Glue table created from
            a typed schema or given. Default None. See ``docs/analytics.md``.
        dynamic_partitioning: partition objects by keys from the records (JQ and/or the transform). Default
            None. AWS cannot switch it on or off on an existing stream: changing it replaces the stream.
        query_table: a Glue table over the delivered data with partition projection matching
            ``data_output_prefix``, optionally an Athena workgroup. Default None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source_stream: kinesis.IStream | None = None,
        bucket: s3.IBucket | None = None,
        encryption_key: kms.IKey | None = None,
        bucket_encryption: s3.BucketEncryption = s3.BucketEncryption.S3_MANAGED,
        stream_encryption_key: kms.IKey | None = None,
        buffering_size: Size | None = None,
        buffering_interval: Duration = Duration.seconds(300),
        compression: firehose.Compression | None = None,
        data_output_prefix: str = DEFAULT_DATA_OUTPUT_PREFIX,
        error_output_prefix: str | None = DEFAULT_ERROR_OUTPUT_PREFIX,
        file_extension: str | None = None,
        time_zone: TimeZone | None = None,
        delivery_stream_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        lifecycle: BucketLifecycle | None = None,
        source_backup: bool | None = None,
        backup_bucket: s3.IBucket | None = None,
        monitoring: MonitoringOptions | None = None,
        transform: TransformOptions | lambda_.IFunction | None = None,
        transform_processor: ProcessorOptions | None = None,
        format_conversion: FormatConversion | None = None,
        dynamic_partitioning: DynamicPartitioning | None = None,
        query_table: QueryTable | None = None,
    ) -> None:
        super().__init__(scope, id)
        check_prefixes(data_output_prefix, error_output_prefix, dynamic_partitioning=dynamic_partitioning is not None)
        check_delivery_stream_name(delivery_stream_name)
        check_file_extension(file_extension)
        check_time_zone(time_zone.timezone_name if time_zone else None)
        _check_combinations(
            source_stream=source_stream,
            stream_encryption_key=stream_encryption_key,
            bucket_encryption=bucket_encryption,
            transform=transform,
            transform_processor=transform_processor,
        )

        self.encryption_key = self._data_key(encryption_key, bucket_encryption, bucket, removal_policy)
        self.delivery_role = DeliveryRole(self, "DeliveryRole")
        self.role: iam.IRole = self.delivery_role.role

        self.access_logs_bucket: s3.IBucket | None = None
        self.bucket = bucket or self._secure_bucket("Bucket", "data-bucket/", removal_policy, lifecycle)
        error_prefix_for_iam = error_output_prefix if error_output_prefix is not None else data_output_prefix
        data_prefixes = [data_output_prefix, error_prefix_for_iam]
        self.delivery_role.add_s3_destination(self.bucket, data_prefixes, sid="Delivery")
        if self.encryption_key is not None:
            self.delivery_role.add_s3_kms(self.encryption_key, self.bucket, data_prefixes, sid="Delivery")

        self.log_group = self._error_log_group(log_retention, removal_policy)
        self.transform: TransformFunction | None = None
        self.transform_function: lambda_.IFunction | None = None
        processors: list[firehose.IDataProcessor] = []
        processor_options = transform_processor or ProcessorOptions()
        if transform is not None:
            self.transform_function = self._transform_function(transform, removal_policy)
            self.delivery_role.add_lambda_processor(self.transform_function)
            processors.append(lambda_processor(self.transform_function, processor_options))
        transforms_records = transform is not None or format_conversion is not None
        backup = transforms_records if source_backup is None else source_backup
        if backup_bucket is not None and not backup:
            raise ConfigurationError("backup_bucket is set but source backup is off; set source_backup=True")
        self.backup_bucket: s3.IBucket | None = None
        s3_backup = self._source_backup(backup_bucket, removal_policy, lifecycle) if backup else None

        if source_stream is not None:
            self.delivery_role.add_kinesis_source(source_stream)

        self.analytics = PipelineAnalytics(
            self,
            "Analytics",
            delivery_role=self.delivery_role,
            bucket=self.bucket,
            data_output_prefix=data_output_prefix,
            error_output_prefix=error_output_prefix,
            buffering_size=buffering_size,
            buffering_interval=buffering_interval,
            compression=compression,
            format_conversion=format_conversion,
            dynamic_partitioning=dynamic_partitioning,
            query_table=query_table,
            lambda_processor=processors[0] if processors else None,
            lambda_keys=(
                transform_partition_keys(transform.partition_key_fields, transform.event_time_field)
                if isinstance(transform, TransformOptions)
                else None  # a user's own function: its keys are unknown, the prefix is trusted
            ),
            file_extension=file_extension,
            excluded_prefixes=[error_output_prefix] if error_output_prefix else [],
            encryption_key=self.encryption_key,
            access_logs_bucket=self.access_logs_bucket,
            removal_policy=removal_policy,
        )
        destination = firehose.S3Bucket(
            self.bucket,
            role=self.role.without_policy_updates(),
            buffering_size=self.analytics.buffering_size,
            buffering_interval=buffering_interval,
            compression=self.analytics.compression,
            data_output_prefix=data_output_prefix,
            error_output_prefix=error_output_prefix,
            file_extension=file_extension,
            time_zone=time_zone,
            encryption_key=self.encryption_key,
            logging_config=firehose.EnableLogging(self.log_group),
            s3_backup=s3_backup,
            processors=self.analytics.processors or None,
            data_format_conversion=self.analytics.data_format_conversion,
            dynamic_partitioning=self.analytics.dynamic_partitioning,
        )
        self.delivery_stream: firehose.IDeliveryStream = firehose.DeliveryStream(
            self,
            "DeliveryStream",
            destination=destination,
            delivery_stream_name=delivery_stream_name,
            source=firehose.KinesisStreamSource(source_stream) if source_stream else None,
            # Without our role the L2 creates an extra "Service Role" (never referenced for Direct PUT)
            # with kms:ReEncrypt* on a stream key. Firehose uses a grant on that key, created with the
            # deploying principal's credentials, so the delivery role needs no KMS rights for it.
            role=self.role.without_policy_updates(),
            encryption=self._stream_encryption(source_stream, stream_encryption_key),
        )
        # CloudFormation must not create the stream before its permissions exist, or the first
        # deliveries fail with access errors (aws/aws-cdk#7236).
        self.delivery_stream.node.add_dependency(self.delivery_role.policy)
        # The L2 creates one log stream per destination ("S3Destination", "S3Backup") in our group.
        self.log_streams = [c for c in self.log_group.node.children if isinstance(c, logs.LogStream)]
        self.delivery_role.add_log_streams(self.log_group, [s.log_stream_name for s in self.log_streams])
        if source_stream is not None:
            acknowledge(
                self.delivery_stream,
                {
                    "AwsSolutions-KDF1": (
                        "Firehose allows server-side encryption only for Direct PUT streams; with a Kinesis "
                        "source it keeps no data at rest and the source stream's own encryption applies."
                    )
                },
            )

        self.monitoring = PipelineMonitoring(
            self,
            "Monitoring",
            delivery_stream=self.delivery_stream,
            buffering_interval=buffering_interval,
            source_stream=source_stream,
            stream_encryption_key=stream_encryption_key,
            transform_function=self.transform_function,
            # An imported function's timeout is unknown; Firehose waits at most 5 minutes for any function.
            transform_timeout=self._transform_timeout(transform),
            transform_buffer_interval=processor_options.buffer_interval if transform is not None else None,
            transform_emits_metrics=self.transform is not None,
            transform_metrics_namespace=self._transform_metrics_namespace(),
            backup_enabled=backup,
            format_conversion=format_conversion is not None,
            dynamic_partitioning=dynamic_partitioning is not None,
            backup_buffering_interval=_BACKUP_BUFFERING_INTERVAL if backup else None,
            options=monitoring or MonitoringOptions(),
        )
        self.alarm_topic = self.monitoring.alarm_topic
        self.alarms = self.monitoring.alarms
        self.dashboard = self.monitoring.dashboard

    # --- grants and metrics -------------------------------------------------------------------------
    def grant_put_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call PutRecord and PutRecordBatch on this stream (Direct PUT only)."""
        return self.delivery_stream.grant_put_records(grantee)

    def metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None) -> cloudwatch.Metric:
        """Any ``AWS/Firehose`` metric of this stream (dimension ``DeliveryStreamName``)."""
        return self.delivery_stream.metric(metric_name, statistic=statistic, period=period or Duration.minutes(5))

    def metric_incoming_bytes(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Bytes ingested (Direct PUT), Sum. Default period 5 minutes."""
        return self.metric("IncomingBytes", period=period)

    def metric_incoming_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records ingested (Direct PUT), Sum. Default period 5 minutes."""
        return self.metric("IncomingRecords", period=period)

    def metric_throttled_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records rejected because the stream's throughput quota was exceeded, Sum."""
        return self.metric("ThrottledRecords", period=period)

    def metric_delivery_to_s3_data_freshness(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Age in seconds of the oldest record not yet delivered to S3, Maximum."""
        return self.metric("DeliveryToS3.DataFreshness", statistic="Maximum", period=period)

    def metric_delivery_to_s3_success(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Ratio of successful S3 puts to attempted puts, Average (1 = all succeeded)."""
        return self.metric("DeliveryToS3.Success", statistic="Average", period=period)

    def metric_delivery_to_s3_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records delivered to S3, Sum."""
        return self.metric("DeliveryToS3.Records", period=period)

    # --- wiring helpers -----------------------------------------------------------------------------
    def _data_key(
        self,
        encryption_key: kms.IKey | None,
        bucket_encryption: s3.BucketEncryption,
        bucket: s3.IBucket | None,
        removal_policy: RemovalPolicy,
    ) -> kms.IKey | None:
        if encryption_key is not None:
            return encryption_key
        if bucket is not None:
            return bucket.encryption_key
        if bucket_encryption != s3.BucketEncryption.KMS:
            return None
        return kms.Key(
            self,
            "DataKey",
            description="Encrypts the Firehose pipeline's S3 objects and error logs",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )

    def _secure_bucket(
        self, id: str, log_prefix: str, removal_policy: RemovalPolicy, lifecycle: BucketLifecycle | None
    ) -> s3.IBucket:
        if self.access_logs_bucket is None:
            self.access_logs_bucket = access_log_bucket(self, "AccessLogs", removal_policy=removal_policy)
        return SecureBucket(
            self,
            id,
            access_logs_bucket=self.access_logs_bucket,
            access_logs_prefix=log_prefix,
            encryption_key=self.encryption_key,
            removal_policy=removal_policy,
            lifecycle=lifecycle,
        ).bucket

    def _error_log_group(self, retention: logs.RetentionDays, removal_policy: RemovalPolicy) -> logs.LogGroup:
        if self.encryption_key is not None:
            allow_cloudwatch_logs(self.encryption_key)
        log_group = logs.LogGroup(
            self, "ErrorLogs", retention=retention, encryption_key=self.encryption_key, removal_policy=removal_policy
        )
        if self.encryption_key is None:
            reason = (
                "CloudWatch Logs encrypts all log data at rest with service-managed keys; the error log group "
                "uses the pipeline's KMS key whenever one is configured (encryption_key or bucket_encryption=KMS)."
            )
            acknowledge(log_group, in_packs("CloudWatchLogGroupEncrypted", reason))
            skip_checkov(log_group, {"CKV_AWS_158": reason})
        return log_group

    def _source_backup(
        self, backup_bucket: s3.IBucket | None, removal_policy: RemovalPolicy, lifecycle: BucketLifecycle | None
    ) -> firehose.DestinationS3BackupProps:
        """Every source record, before transformation, to the (created or given) backup bucket."""
        self.backup_bucket = backup_bucket or self._secure_bucket(
            "BackupBucket", "backup-bucket/", removal_policy, lifecycle
        )
        self.delivery_role.add_s3_destination(self.backup_bucket, [BACKUP_OUTPUT_PREFIX], sid="Backup")
        backup_key = self.encryption_key if backup_bucket is None else backup_bucket.encryption_key
        if backup_key is not None:
            self.delivery_role.add_s3_kms(backup_key, self.backup_bucket, [BACKUP_OUTPUT_PREFIX], sid="Backup")
        return firehose.DestinationS3BackupProps(
            bucket=self.backup_bucket,
            mode=firehose.BackupMode.ALL,
            data_output_prefix=BACKUP_OUTPUT_PREFIX,
            compression=firehose.Compression.GZIP,
            # The backup destination does not support zero buffering: at least 60 s (DG buffering).
            buffering_interval=_BACKUP_BUFFERING_INTERVAL,
            buffering_size=Size.mebibytes(5),
            encryption_key=backup_key,
            logging_config=firehose.EnableLogging(self.log_group),
        )

    def _transform_function(
        self, transform: TransformOptions | lambda_.IFunction, removal_policy: RemovalPolicy
    ) -> lambda_.IFunction:
        if isinstance(transform, TransformOptions):
            self.transform = TransformFunction(
                self,
                "Transform",
                options=transform,
                encryption_key=self.encryption_key,
                removal_policy=removal_policy,
            )
            return self.transform.function
        timeout = transform.timeout if isinstance(transform, lambda_.Function) else None
        if timeout is not None and timeout.to_seconds() > FIREHOSE_MAX_LAMBDA_SECONDS:
            raise ConfigurationError(
                f"transform function timeout must be at most {FIREHOSE_MAX_LAMBDA_SECONDS} seconds (Firehose waits "
                f"at most 5 minutes for a transform), got {timeout.to_seconds()} s"
            )
        return transform

    def _transform_timeout(self, transform: TransformOptions | lambda_.IFunction | None) -> Duration | None:
        if transform is None:
            return None
        if isinstance(transform, TransformOptions):
            return transform.timeout
        if isinstance(transform, lambda_.Function):
            return None  # monitoring reads it from the function
        return Duration.seconds(FIREHOSE_MAX_LAMBDA_SECONDS)

    def _transform_metrics_namespace(self) -> str:
        if self.transform is None:
            return TRANSFORM_METRICS_NAMESPACE
        return self.transform.options.environment.get("METRICS_NAMESPACE", TRANSFORM_METRICS_NAMESPACE)

    @staticmethod
    def _stream_encryption(
        source_stream: kinesis.IStream | None, key: kms.IKey | None
    ) -> firehose.StreamEncryption | None:
        if source_stream is not None:
            return None
        if key is not None:
            return firehose.StreamEncryption.customer_managed_key(key)
        return firehose.StreamEncryption.aws_owned_key()


def _check_combinations(
    *,
    source_stream: kinesis.IStream | None,
    stream_encryption_key: kms.IKey | None,
    bucket_encryption: s3.BucketEncryption,
    transform: TransformOptions | lambda_.IFunction | None,
    transform_processor: ProcessorOptions | None,
) -> None:
    """Options that are valid alone but not together."""
    if source_stream is not None and stream_encryption_key is not None:
        raise ConfigurationError(
            "stream_encryption_key cannot be used with source_stream: Firehose allows server-side "
            "encryption only for Direct PUT streams; encrypt the Kinesis source stream instead"
        )
    if bucket_encryption not in (s3.BucketEncryption.S3_MANAGED, s3.BucketEncryption.KMS):
        raise ConfigurationError(
            f"bucket_encryption must be BucketEncryption.S3_MANAGED or BucketEncryption.KMS, got {bucket_encryption}"
        )
    if transform_processor is not None and transform is None:
        raise ConfigurationError("transform_processor is set but transform is None; set transform as well")

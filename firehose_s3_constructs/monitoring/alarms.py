"""The built-in alarm set: only the alarms that can fire for the stream's :class:`StreamSettings`.

:class:`DeliveryStreamMonitoring` creates only the alarms that can fire for the pipeline it watches: quota and
throttling alarms for Direct PUT, lag and read-throttling alarms for a Kinesis source, transform alarms
only with a transform, backup alarms only with source-record backup, KMS alarms only with a customer
managed key for the stream's server-side encryption, and the format-conversion and dynamic-partitioning
alarms only when those features are on. Every alarm notifies the topic on ALARM **and** on OK.

Why each alarm is set up the way it is (all periods are 5 minutes; "3/3" = 3 datapoints out of 3
evaluation periods; every alarm treats missing data as *not breaching* except the Kinesis lag alarm):

=============================  =====================================================================
Alarm (metric, statistic)      Condition, evaluation, and why
=============================  =====================================================================
DeliveryFreshness              > :func:`freshness_threshold_seconds`, 1/1. Age of the oldest record not yet
(DeliveryToS3.DataFreshness,   in S3: it grows steadily while delivery is stuck, so one period over a
Maximum)                       threshold that already has headroom is enough. No data = an idle stream.
DeliverySuccess                < 1, 3/3. Ratio of successful S3 puts; Firehose retries failed puts, so
(DeliveryToS3.Success, Avg)    AWS says small dips are not data loss - only 15 minutes of failures alert.
                               (Average and Minimum are < 1 in exactly the same periods; Average is the
                               ratio a graph should show.)
ThrottledRecords (Sum)         > 0, 1/1 (Direct PUT). Throttled records were rejected; the producer must
                               retry them, so every occurrence matters (AWS alarm guidance).
Incoming{Bytes,Records,        (Sum / PERIOD) / *PerSecondLimit > ``quota_share``, 2 of 3 (Direct PUT).
PutRequests}Quota (math)       AWS's metric-math guidance. The limit uses **Minimum**: the quota only
                               changes when Firehose or a quota increase raises it, so Minimum is the
                               lowest limit in force during the period and the ratio errs towards early
                               warning; Maximum would hide the period in which the old, lower limit
                               applied. 2 of 3 ignores a single 5-minute burst (ThrottledRecords covers
                               rejections) but warns of a sustained approach to the quota.
KinesisLag                     > ``iterator_age_threshold`` in **milliseconds**, 2 of 3 (Kinesis source).
(KinesisMillisBehindLatest,    Firehose's own consumer lag, so other consumers of the stream do not
Maximum)                       trigger it. Missing data = *missing*: Firehose polls every shard once a
                               second, so a silent metric means no reads; the alarm then keeps its state
                               and goes INSUFFICIENT_DATA instead of falsely reporting OK.
ThrottledGetRecords /          > 0, 2 of 3 (Kinesis source). Firehose retries throttled reads; sustained
ThrottledDescribeStream /      throttling (another consumer sharing the shard's 5 reads/s, or account
ThrottledGetShardIterator      control-plane limits) builds lag.
(Sum)
TransformSuccess               < 1, 3/3 (transform). Ratio of successful invocations; Firehose retries
(ExecuteProcessing.Success,    (NumberOfRetries), then sends the batch to processing-failed.
Average)
TransformErrors (Lambda        > 0, 1/1 (transform). An invocation failed (exception, timeout, out of
Errors, Sum)                   memory); its batch is retried or lands in the error prefix.
TransformThrottles (Lambda     > 0, 2 of 3 (transform). Firehose retries throttled invocations; sustained
Throttles, Sum)                throttling means the concurrency limit is too low.
TransformDuration (Lambda      > ``transform_duration_share`` x timeout, in ms, 2 of 3 (transform). A trend
Duration, Maximum)             towards timeouts; one slow invocation does not alert.
TransformRecordsFailed         > 0, 1/1 (transform that is this library's, ``transform_emits_metrics``).
(RecordsProcessingFailed,      From the transform's embedded metrics (firehose_transform.contract): records the
Sum)                           function marked ProcessingFailed, now in the error prefix.
BackupFreshness                > backup interval + headroom (at least 60 s), 1/1 (backup).
(BackupToS3.DataFreshness,
Maximum)
BackupSuccess                  < 1, 3/3 (backup). As DeliverySuccess.
(BackupToS3.Success, Avg)
KMSKey{AccessDenied,Disabled,  > 0, 1/1 (customer managed key for stream SSE). Firehose cannot use the key;
InvalidState,NotFound} (Sum)   it holds records for up to 24 h and then discards them.
FailedConversion               > 0, 1/1 (format conversion). Records that failed Parquet/ORC conversion and
(FailedConversion.Records,     went to the error prefix.
Sum)
PartitionCountExceeded         > 0, 1/1 (dynamic partitioning). 1 while the active-partition limit is
(Maximum)                      exceeded; records go to the error prefix.
DecompressionFailed            > 0, 1/1 (decompression). Records that were not gzip CloudWatch Logs data,
(OutputDecompressedRecords.    written compressed to the error prefix (decompression-failed).
Failed, Sum)
=============================  =====================================================================

Extending: every alarm is created by :meth:`DeliveryStreamMonitoring.add_alarm`; alarms on ``AWS/Firehose``
metrics are described by an :class:`AlarmSpec` and added with :meth:`DeliveryStreamMonitoring.add_alarm_spec` or
:meth:`DeliveryStreamMonitoring.add_firehose_alarm`. A new feature adds its specs to a tuple like
:data:`FORMAT_CONVERSION_ALARMS` and a flag, or calls ``add_firehose_alarm`` on the pipeline's monitoring.
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import aws_cloudwatch as cloudwatch

from firehose_transform import contract

from .metrics import QUOTAS
from .options import LESS, AlarmSpec, MonitoringOptions
from .settings import StreamSettings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .stream_monitoring import DeliveryStreamMonitoring

__all__ = [
    "DECOMPRESSION_ALARMS",
    "DYNAMIC_PARTITIONING_ALARMS",
    "FORMAT_CONVERSION_ALARMS",
    "KMS_KEY_ALARMS",
    "add_metric_alarms",
    "built_in_specs",
]

_KMS_CHECK = "the key's state and key policy (Firehose uses it through a KMS grant); records are discarded after 24 h."
#: Alarms added when the stream's server-side encryption uses a customer managed key.
KMS_KEY_ALARMS: tuple[AlarmSpec, ...] = tuple(
    AlarmSpec(
        name=metric,
        metric_name=metric,
        threshold=0,
        meaning=f"Firehose got {what} from the stream's server-side encryption key and cannot encrypt records.",
        first_check=f"In KMS, {_KMS_CHECK}",
    )
    for metric, what in (
        ("KMSKeyAccessDenied", "AccessDenied"),
        ("KMSKeyDisabled", "KeyDisabled"),
        ("KMSKeyInvalidState", "InvalidState (e.g. pending deletion)"),
        ("KMSKeyNotFound", "NotFound"),
    )
)

#: Alarms added when record format conversion (Parquet/ORC) is on.
FORMAT_CONVERSION_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        name="FailedConversion",
        metric_name="FailedConversion.Records",
        threshold=0,
        meaning="Records failed Parquet/ORC conversion and were written to the error prefix.",
        first_check=(
            "objects under errors/format-conversion-failed/: lastErrorMessage names the field that does not "
            "match the Glue table's schema."
        ),
    ),
)

#: Alarms added when CloudWatch Logs records are decompressed (``Decompression`` processor).
DECOMPRESSION_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        name="DecompressionFailed",
        metric_name="OutputDecompressedRecords.Failed",
        threshold=0,
        meaning=(
            "Records could not be decompressed (not gzip CloudWatch Logs data) and were written as they are to "
            "the error prefix."
        ),
        first_check=(
            "objects under errors/decompression-failed/: a producer other than a CloudWatch Logs subscription "
            "is sending to this stream."
        ),
    ),
)

#: Alarms added when dynamic partitioning is on.
DYNAMIC_PARTITIONING_ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        name="PartitionCountExceeded",
        metric_name="PartitionCountExceeded",
        statistic="Maximum",
        threshold=0,
        meaning="More partitions are active than the stream's limit; records go to the error prefix.",
        first_check=(
            "PartitionCount on the dashboard and the partition keys' cardinality; request a higher "
            "active-partition limit or use coarser keys."
        ),
    ),
)


def _success_ratio_alarm(name: str, metric_name: str, *, meaning: str, first_check: str) -> AlarmSpec:
    """A ``*.Success`` ratio (Average) below 1 in 3 of 3 periods.

    Single failed puts or invocations are retried by Firehose and dip the average briefly without loss
    (DG monitoring-with-cloudwatch-metrics), so only failures that last 15 minutes alarm.
    """
    return AlarmSpec(
        name=name,
        metric_name=metric_name,
        statistic="Average",
        comparison=LESS,
        threshold=1,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        meaning=meaning,
        first_check=first_check,
    )


def built_in_specs(
    settings: StreamSettings,
    options: MonitoringOptions,
    *,
    freshness_threshold: int,
    backup_freshness_threshold: int | None,
) -> Iterator[AlarmSpec]:
    """The AWS/Firehose alarms that can fire for these settings."""
    yield AlarmSpec(
        name="DeliveryFreshness",
        metric_name="DeliveryToS3.DataFreshness",
        statistic="Maximum",
        threshold=freshness_threshold,
        meaning=(
            f"The oldest record not yet in S3 is older than {freshness_threshold} s (buffering "
            "interval plus headroom): delivery is stuck or slow."
        ),
        first_check=(
            "the stream's error log group (S3Destination stream) for S3.AccessDenied, S3.KMS.* or "
            "Lambda.* errors, then DeliveryToS3.Success on the dashboard."
        ),
    )
    yield _success_ratio_alarm(
        "DeliverySuccess",
        "DeliveryToS3.Success",
        meaning="S3 puts have been failing for 15 minutes (Firehose retries for up to 24 h).",
        first_check="the error log group (S3Destination) for the S3 error code; the bucket policy and KMS key.",
    )
    if settings.direct_put:
        yield AlarmSpec(
            name="ThrottledRecords",
            metric_name="ThrottledRecords",
            threshold=0,
            meaning="Direct PUT records were throttled: producers got errors and must retry them.",
            first_check=(
                "producers' FailedPutCount handling and the quota widgets; request a limit increase if "
                "ingest is near BytesPerSecondLimit."
            ),
        )
    else:
        yield AlarmSpec(
            name="KinesisLag",
            metric_name="KinesisMillisBehindLatest",
            statistic="Maximum",
            threshold=options.iterator_age_threshold.to_milliseconds(),
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cloudwatch.TreatMissingData.MISSING,
            meaning=(
                f"Firehose reads the Kinesis source more than "
                f"{options.iterator_age_threshold.to_human_string()} behind its newest record; data "
                "older than the stream's retention is lost."
            ),
            first_check=(
                "ThrottledGetRecords and the transform's duration on the dashboard; other consumers "
                "sharing the shards' read limit."
            ),
        )
        for api in ("GetRecords", "DescribeStream", "GetShardIterator"):
            yield AlarmSpec(
                name=f"Throttled{api}",
                metric_name=f"Throttled{api}",
                threshold=0,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                meaning=f"Firehose's {api} calls on the Kinesis source are being throttled.",
                first_check=(
                    "other consumers of the source stream (each shard allows 5 GetRecords/s) and the "
                    "account's Kinesis control-plane limits."
                ),
            )
    if settings.transform_function is not None:
        yield _success_ratio_alarm(
            "TransformSuccess",
            "ExecuteProcessing.Success",
            meaning=("Transform invocations have been failing for 15 minutes; failed batches go to the error prefix."),
            first_check="the function's log group and the error log group for Lambda.* error codes.",
        )
    if settings.backup:
        yield AlarmSpec(
            name="BackupFreshness",
            metric_name="BackupToS3.DataFreshness",
            statistic="Maximum",
            threshold=backup_freshness_threshold or 0,
            meaning=(f"The oldest source record not yet backed up is older than {backup_freshness_threshold} s."),
            first_check="the error log group (S3Backup stream) and the backup bucket's policy and key.",
        )
        yield _success_ratio_alarm(
            "BackupSuccess",
            "BackupToS3.Success",
            meaning="Backup puts to S3 have been failing for 15 minutes.",
            first_check="the error log group (S3Backup stream) for the S3 error code.",
        )
    if settings.stream_encryption_key is not None:
        yield from KMS_KEY_ALARMS
    if settings.format_conversion:
        yield from FORMAT_CONVERSION_ALARMS
    if settings.decompression:
        yield from DECOMPRESSION_ALARMS
    if settings.dynamic_partitioning:
        yield from DYNAMIC_PARTITIONING_ALARMS


def add_metric_alarms(monitoring: DeliveryStreamMonitoring) -> None:
    """Alarms on metric math (quota) and on metrics outside AWS/Firehose (Lambda, embedded)."""
    share = monitoring.options.quota_share
    if monitoring.settings.direct_put:
        for key, incoming, limit, what in QUOTAS:
            monitoring.add_alarm(
                f"{key}Quota",
                monitoring.metrics.quota_ratio(incoming, limit),
                threshold=share,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                meaning=(
                    f"Direct PUT {what} per second exceeded {share:.0%} of {limit} in 2 of the last 3 "
                    "five-minute periods."
                ),
                first_check=(
                    f"the quota widget: request a higher {limit} (Firehose quota increase) before producers "
                    "are throttled, or batch records with PutRecordBatch."
                ),
            )
    if monitoring.settings.transform_function is None:
        return
    monitoring.add_alarm(
        "TransformErrors",
        monitoring.metrics.transform_errors(),
        threshold=0,
        meaning="The transform function failed invocations (exception, timeout or out of memory).",
        first_check="the function's log group for the error or 'Task timed out'.",
    )
    monitoring.add_alarm(
        "TransformThrottles",
        monitoring.metrics.transform_throttles(),
        threshold=0,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        meaning="The transform function is being throttled; Firehose retries, then fails the batch.",
        first_check="the function's reserved concurrency and the account's Lambda concurrency.",
    )
    timeout_ms = monitoring.transform_timeout_ms
    monitoring.add_alarm(
        "TransformDuration",
        monitoring.metrics.transform_duration(),
        threshold=round(timeout_ms * monitoring.options.transform_duration_share, 3),
        evaluation_periods=3,
        datapoints_to_alarm=2,
        meaning=(
            f"The transform's longest invocation exceeded {monitoring.options.transform_duration_share:.0%} of its "
            f"{timeout_ms / 1000:g} s timeout in 2 of the last 3 five-minute periods."
        ),
        first_check="the function's memory size and the processor's buffer size (smaller batches run faster).",
    )
    if monitoring.settings.transform_emits_metrics:
        monitoring.add_alarm(
            "TransformRecordsFailed",
            monitoring.metrics.transform_embedded(contract.METRIC_RECORDS_FAILED),
            threshold=0,
            meaning="The transform marked records ProcessingFailed; they are in the error prefix.",
            first_check="objects under errors/processing-failed/ and the function's log for the reason.",
        )

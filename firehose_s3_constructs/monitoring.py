"""Alarms, an SNS notification topic and a dashboard for one Firehose -> S3 pipeline.

:class:`PipelineMonitoring` creates only the alarms that can fire for the pipeline it watches: quota and
throttling alarms for Direct PUT, lag and read-throttling alarms for a Kinesis source, transform alarms
only with a transform, backup alarms only with source-record backup, KMS alarms only with a customer
managed key for the stream's server-side encryption, and the format-conversion and dynamic-partitioning
alarms only when those features are on. Every alarm notifies the topic on ALARM **and** on OK.

Firehose metrics are read from namespace ``AWS/Firehose`` with the dimension ``DeliveryStreamName`` = the
stream's real name (``delivery_stream.metric(...)``; a Ref to the stream in the template), and are
published once a minute (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html).

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
Incoming{Bytes,Records,        (Sum / 300 s) / *PerSecondLimit > ``quota_share``, 2 of 3 (Direct PUT).
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
(RecordsProcessingFailed,      From the transform's embedded metrics (docs/CONTRACTS.md): records the
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
=============================  =====================================================================

Extending: every alarm is created by :meth:`PipelineMonitoring.add_alarm`; alarms on ``AWS/Firehose``
metrics are described by an :class:`AlarmSpec` and added with :meth:`PipelineMonitoring.add_alarm_spec` or
:meth:`PipelineMonitoring.add_firehose_alarm`. A new feature adds its specs to a tuple like
:data:`FORMAT_CONVERSION_ALARMS` and a flag, or calls ``add_firehose_alarm`` on the pipeline's monitoring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from .validation import ConfigurationError, check_range, whole_seconds

__all__ = [
    "DYNAMIC_PARTITIONING_ALARMS",
    "FIREHOSE_NAMESPACE",
    "FORMAT_CONVERSION_ALARMS",
    "FRESHNESS_CAP_SECONDS",
    "FRESHNESS_FLOOR_SECONDS",
    "KMS_KEY_ALARMS",
    "TRANSFORM_METRICS_DIMENSION",
    "TRANSFORM_METRICS_NAMESPACE",
    "AlarmSpec",
    "MonitoringOptions",
    "PipelineMonitoring",
    "freshness_threshold_seconds",
]

FIREHOSE_NAMESPACE = "AWS/Firehose"
#: The transform's embedded-metric namespace and dimension (docs/CONTRACTS.md, default METRICS_NAMESPACE).
TRANSFORM_METRICS_NAMESPACE = "FirehoseS3Constructs/Transform"
TRANSFORM_METRICS_DIMENSION = "FunctionName"

#: The freshness threshold is never below one minute (the metric's resolution) ...
FRESHNESS_FLOOR_SECONDS = 60
#: ... nor above one hour: later than that an alarm no longer protects the 24 h Firehose retry window.
FRESHNESS_CAP_SECONDS = 3600
#: Dynamic partitioning buffers in several stages: delivery can take up to 1.5x the interval (AWS docs
#: "Buffer data for dynamic partitioning").
DYNAMIC_PARTITIONING_LATENCY_FACTOR = 1.5
#: Firehose's default BufferIntervalInSeconds for a Lambda processor.
DEFAULT_TRANSFORM_BUFFER_INTERVAL = Duration.seconds(60)
#: aws-cdk-lib's default buffering interval for the S3 backup (``DestinationS3BackupProps``).
DEFAULT_BACKUP_BUFFERING_INTERVAL = Duration.seconds(300)

_PERIOD = Duration.minutes(5)
_PERIOD_SECONDS = 300
_GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
_LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
_NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING
_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}")


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm on an ``AWS/Firehose`` metric of the monitored delivery stream.

    Attributes:
        name: key in :attr:`PipelineMonitoring.alarms` and construct id prefix; PascalCase, unique.
        metric_name: the Firehose metric, e.g. ``"FailedConversion.Records"``.
        threshold: the value compared with the statistic.
        comparison: default ``GREATER_THAN_THRESHOLD``.
        statistic: default ``"Sum"``.
        period: default 5 minutes.
        evaluation_periods: default 1.
        datapoints_to_alarm: default 1 (at most ``evaluation_periods``).
        treat_missing_data: default ``NOT_BREACHING`` (an idle stream publishes nothing).
        meaning: what ALARM means; first sentence of the alarm description.
        first_check: the first thing to look at when it fires; appended to the description.
    """

    name: str
    metric_name: str
    threshold: float
    comparison: cloudwatch.ComparisonOperator = _GT
    statistic: str = "Sum"
    period: Duration = Duration.minutes(5)
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    treat_missing_data: cloudwatch.TreatMissingData = _NOT_BREACHING
    meaning: str = ""
    first_check: str = ""


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


def _check_share(option: str, value: float, *, include_one: bool) -> None:
    """A share strictly above 0 and below 1 (or up to 1 when ``include_one``)."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not (value > 0 and (value <= 1 if include_one else value < 1)):
        interval = "(0, 1]" if include_one else "(0, 1)"
        upper = "at most 1" if include_one else "less than 1"
        raise ConfigurationError(f"{option} must be greater than 0 and {upper} (range {interval}), got {value!r}")


def _seconds_in(option: str, value: Duration, low: int, high: int) -> int:
    seconds = whole_seconds(option, value)
    check_range(option, seconds, low, high, "seconds")
    return seconds


@dataclass(frozen=True, kw_only=True)
class MonitoringOptions:
    """How :class:`PipelineMonitoring` (and ``FirehoseToS3``) alarms and notifies.

    Attributes:
        enabled: create the alarms and the notification topic. Default True. When False, ``topic``,
            ``email`` and ``extra_actions`` are ignored and no alarm exists.
        topic: send notifications to this existing topic instead of creating one. Default None: a topic
            encrypted with a new customer managed key (rotation on; CloudWatch may use it), TLS-only.
            A topic you pass must let ``cloudwatch.amazonaws.com`` publish (and use its KMS key, if any).
        email: subscribe this address to the topic (it must confirm the subscription). Default None.
        dashboard: create a CloudWatch dashboard for the pipeline. Default True (independent of
            ``enabled``).
        freshness_headroom: added to the expected delivery latency to get the DataFreshness threshold
            (see :func:`freshness_threshold_seconds`). 0-3600 s. Default 5 minutes.
        quota_share: alarm when Direct PUT ingest per second exceeds this share of the stream's bytes,
            records or put-requests per-second limit. Exclusive range (0, 1). Default 0.8.
        iterator_age_threshold: alarm when Firehose reads a Kinesis source this far behind its newest
            record. 1 minute-7 days. Default 15 minutes.
        transform_duration_share: alarm when the transform function's maximum duration exceeds this share
            of its timeout. Range (0, 1]. Default 0.8.
        extra_actions: more actions added to every alarm's ALARM state (not OK), e.g. an
            ``cloudwatch_actions.SsmAction``. Default none.
    """

    enabled: bool = True
    topic: sns.ITopic | None = None
    email: str | None = None
    dashboard: bool = True
    freshness_headroom: Duration = Duration.minutes(5)
    quota_share: float = 0.8
    iterator_age_threshold: Duration = Duration.minutes(15)
    transform_duration_share: float = 0.8
    extra_actions: Sequence[cloudwatch.IAlarmAction] = ()

    def __post_init__(self) -> None:
        _seconds_in("MonitoringOptions.freshness_headroom", self.freshness_headroom, 0, FRESHNESS_CAP_SECONDS)
        _check_share("MonitoringOptions.quota_share", self.quota_share, include_one=False)
        _seconds_in("MonitoringOptions.iterator_age_threshold", self.iterator_age_threshold, 60, 7 * 86400)
        _check_share("MonitoringOptions.transform_duration_share", self.transform_duration_share, include_one=True)
        if self.email is not None and not Token.is_unresolved(self.email) and not _EMAIL.fullmatch(self.email):
            raise ConfigurationError(
                f"MonitoringOptions.email must look like an email address (name@domain.tld), got {self.email!r}"
            )


def freshness_threshold_seconds(
    *,
    buffering_interval_s: int,
    headroom_s: int,
    dynamic_partitioning: bool = False,
    transform_buffer_interval_s: int = 0,
) -> int:
    """The DeliveryToS3.DataFreshness threshold, derived from the buffering, never a fixed number.

    ``clamp(ceil(buffering_interval * factor) + transform_buffer_interval + headroom, 60, 3600)`` seconds,
    where ``factor`` is 1.5 with dynamic partitioning (multi-stage buffering can deliver up to 1.5x the
    interval later) and 1 otherwise, and ``transform_buffer_interval`` is the Lambda processor's buffer
    interval (records wait for it before the transform, then for the S3 buffer). The one-hour cap is always
    above the expected latency (at most 900 x 1.5 + 900 = 2250 s) and keeps the alarm well inside the 24 h
    Firehose retries for. Examples (headroom 300 s): 300 s interval -> 600 s; 0 s -> 300 s; 900 s with
    dynamic partitioning -> 1650 s.
    """
    factor = DYNAMIC_PARTITIONING_LATENCY_FACTOR if dynamic_partitioning else 1.0
    expected = math.ceil(buffering_interval_s * factor) + transform_buffer_interval_s
    return min(max(expected + headroom_s, FRESHNESS_FLOOR_SECONDS), FRESHNESS_CAP_SECONDS)


_DEFAULT_OPTIONS = MonitoringOptions()


def _success_ratio_alarm(name: str, metric_name: str, *, meaning: str, first_check: str) -> AlarmSpec:
    """A ``*.Success`` ratio (Average) below 1 in 3 of 3 periods.

    Single failed puts or invocations are retried by Firehose and dip the average briefly without loss
    (DG monitoring-with-cloudwatch-metrics), so only failures that last 15 minutes alarm.
    """
    return AlarmSpec(
        name=name,
        metric_name=metric_name,
        statistic="Average",
        comparison=_LT,
        threshold=1,
        evaluation_periods=3,
        datapoints_to_alarm=3,
        meaning=meaning,
        first_check=first_check,
    )


class PipelineMonitoring(Construct):
    """Alarms (with SNS notifications) and a dashboard for one Firehose delivery stream into S3.

    Args:
        scope: parent construct.
        id: construct id.
        delivery_stream: the stream to watch; its name is the ``DeliveryStreamName`` dimension.
        buffering_interval: the S3 destination's buffering interval (0-900 s); the freshness threshold is
            derived from it.
        source_stream: the Kinesis source, or None for Direct PUT (default). Selects lag and read-throttling
            alarms instead of quota and ThrottledRecords alarms.
        transform_function: the Lambda processor, if any. Default None (no transform alarms).
        transform_timeout: the function's timeout (1-900 s). Default None: read from a
            ``lambda_.Function``; required for an imported function.
        transform_buffer_interval: the Lambda processor's buffer interval (0-900 s), added to the expected
            latency. Default None: 60 s, Firehose's default. Only with ``transform_function``.
        transform_emits_metrics: the function is this library's transform, which publishes
            ``RecordsProcessingFailed``; adds the TransformRecordsFailed alarm. Default False.
        transform_metrics_namespace: the function's ``METRICS_NAMESPACE`` environment variable. Default
            :data:`TRANSFORM_METRICS_NAMESPACE` (the runtime's default, docs/CONTRACTS.md).
        backup_enabled: source records are backed up to S3; adds backup alarms. Default False.
        backup_buffering_interval: the backup's buffering interval (60-900 s). Default None: 300 s,
            aws-cdk-lib's default. Only with ``backup_enabled``.
        stream_encryption_key: the customer managed key of the stream's server-side encryption (Direct PUT
            only); adds the KMSKey* alarms. Default None (AWS-owned key or none: nothing to alarm on).
        format_conversion: Parquet/ORC conversion is on; adds :data:`FORMAT_CONVERSION_ALARMS`. Default False.
        dynamic_partitioning: dynamic partitioning is on; adds :data:`DYNAMIC_PARTITIONING_ALARMS` and the
            1.5x latency factor. Default False.
        options: :class:`MonitoringOptions`. Default ``MonitoringOptions()``.

    Attributes:
        alarm_topic: the topic every alarm notifies on ALARM and OK; None when alarms are off.
        alarm_topic_key: the KMS key of a created topic; None otherwise.
        alarms: alarm name -> ``cloudwatch.Alarm`` (empty when alarms are off).
        dashboard: the ``cloudwatch.Dashboard``, or None.
        freshness_threshold: the DeliveryToS3.DataFreshness threshold in seconds.
        backup_freshness_threshold: the BackupToS3.DataFreshness threshold in seconds, or None.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        delivery_stream: firehose.IDeliveryStream,
        buffering_interval: Duration,
        source_stream: kinesis.IStream | None = None,
        transform_function: lambda_.IFunction | None = None,
        transform_timeout: Duration | None = None,
        transform_buffer_interval: Duration | None = None,
        transform_emits_metrics: bool = False,
        transform_metrics_namespace: str = TRANSFORM_METRICS_NAMESPACE,
        backup_enabled: bool = False,
        backup_buffering_interval: Duration | None = None,
        stream_encryption_key: kms.IKey | None = None,
        format_conversion: bool = False,
        dynamic_partitioning: bool = False,
        options: MonitoringOptions = _DEFAULT_OPTIONS,
    ) -> None:
        super().__init__(scope, id)
        interval_s = _seconds_in("buffering_interval", buffering_interval, 0, 900)
        if transform_function is None:
            for option, given in (
                ("transform_timeout", transform_timeout is not None),
                ("transform_buffer_interval", transform_buffer_interval is not None),
                ("transform_emits_metrics", transform_emits_metrics),
            ):
                if given:
                    raise ConfigurationError(f"{option} needs transform_function, which is None")
        if not transform_metrics_namespace or Token.is_unresolved(transform_metrics_namespace):
            raise ConfigurationError(
                "transform_metrics_namespace must be a non-empty literal namespace, "
                f"got {transform_metrics_namespace!r}"
            )
        if backup_buffering_interval is not None and not backup_enabled:
            raise ConfigurationError("backup_buffering_interval needs backup_enabled=True, which is False")
        if source_stream is not None and stream_encryption_key is not None:
            raise ConfigurationError(
                "stream_encryption_key cannot be used with source_stream: Firehose allows server-side "
                "encryption only for Direct PUT streams, so its KMS alarms could never fire"
            )

        self.delivery_stream = delivery_stream
        self.options = options
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.alarm_topic: sns.ITopic | None = None
        self.alarm_topic_key: kms.IKey | None = None
        self.dashboard: cloudwatch.Dashboard | None = None
        self._source_stream = source_stream
        self._transform = transform_function
        self._transform_emits_metrics = transform_emits_metrics
        self._transform_metrics_namespace = transform_metrics_namespace
        self._backup_enabled = backup_enabled
        self._kms = stream_encryption_key is not None
        self._format_conversion = format_conversion
        self._dynamic_partitioning = dynamic_partitioning
        self._transform_timeout_ms: float | None = None
        self._alarm_actions: list[cloudwatch.IAlarmAction] = []

        transform_interval_s = 0
        if transform_function is not None:
            timeout = transform_timeout or _function_timeout(transform_function)
            self._transform_timeout_ms = _seconds_in("transform_timeout", timeout, 1, 900) * 1000.0
            transform_interval_s = _seconds_in(
                "transform_buffer_interval", transform_buffer_interval or DEFAULT_TRANSFORM_BUFFER_INTERVAL, 0, 900
            )
        headroom_s = whole_seconds("MonitoringOptions.freshness_headroom", options.freshness_headroom)
        self.freshness_threshold = freshness_threshold_seconds(
            buffering_interval_s=interval_s,
            headroom_s=headroom_s,
            dynamic_partitioning=dynamic_partitioning,
            transform_buffer_interval_s=transform_interval_s,
        )
        self.backup_freshness_threshold: int | None = None
        if backup_enabled:
            backup_s = _seconds_in(
                "backup_buffering_interval", backup_buffering_interval or DEFAULT_BACKUP_BUFFERING_INTERVAL, 60, 900
            )
            self.backup_freshness_threshold = freshness_threshold_seconds(
                buffering_interval_s=backup_s, headroom_s=headroom_s
            )

        if options.enabled:
            self.alarm_topic = options.topic or self._create_topic()
            if options.email is not None:
                sns.Subscription(
                    self,
                    "EmailSubscription",
                    topic=self.alarm_topic,
                    protocol=sns.SubscriptionProtocol.EMAIL,
                    endpoint=options.email,
                )
            self._alarm_actions = [cloudwatch_actions.SnsAction(self.alarm_topic)]
            for spec in self._built_in_specs():
                self.add_alarm_spec(spec)
            self._add_metric_alarms()
        if options.dashboard:
            self.dashboard = self._create_dashboard()

    # --- the one place every alarm is created -------------------------------------------------------
    def add_alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = _GT,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int = 1,
        treat_missing_data: cloudwatch.TreatMissingData = _NOT_BREACHING,
        meaning: str = "",
        first_check: str = "",
    ) -> cloudwatch.Alarm | None:
        """Create alarm ``name`` on any metric or math expression, notifying the topic on ALARM and OK.

        Returns None (and creates nothing) when alarms are off. Raises :class:`ConfigurationError` for a
        name that is not PascalCase or already used, or for inconsistent evaluation settings.
        """
        if not _NAME.fullmatch(name):
            raise ConfigurationError(f"alarm name must be PascalCase letters and digits (at most 64), got {name!r}")
        if name in self.alarms:
            raise ConfigurationError(f"alarm name {name!r} is already used by this pipeline's monitoring")
        # 1440 one-minute periods = CloudWatch's one-day evaluation limit (add_alarm_spec checks the product).
        check_range(f"{name}.evaluation_periods", evaluation_periods, 1, 1440)
        check_range(f"{name}.datapoints_to_alarm", datapoints_to_alarm, 1, evaluation_periods)
        if not self.options.enabled:
            return None
        description = " ".join(part for part in (meaning, f"First check: {first_check}" if first_check else "") if part)
        alarm = cloudwatch.Alarm(
            self,
            f"{name}Alarm",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=treat_missing_data,
            alarm_description=description or None,
        )
        alarm.add_alarm_action(*self._alarm_actions, *self.options.extra_actions)
        alarm.add_ok_action(*self._alarm_actions)
        self.alarms[name] = alarm
        if self.dashboard is not None:  # added after construction: show it on the dashboard too
            self.dashboard.add_widgets(cloudwatch.AlarmWidget(alarm=alarm, title=name, width=12))
        return alarm

    def add_alarm_spec(self, spec: AlarmSpec) -> cloudwatch.Alarm | None:
        """Create the alarm an :class:`AlarmSpec` describes, on this stream's ``AWS/Firehose`` metric."""
        period_s = whole_seconds(f"{spec.name}.period", spec.period)
        if period_s not in (10, 30) and (period_s < 60 or period_s % 60):
            raise ConfigurationError(f"{spec.name}.period must be 10 s, 30 s or a multiple of 60 s, got {period_s} s")
        if period_s * spec.evaluation_periods > 86400:
            raise ConfigurationError(
                f"{spec.name}: period x evaluation_periods must be at most one day (86400 s), "
                f"got {period_s} s x {spec.evaluation_periods}"
            )
        return self.add_alarm(
            spec.name,
            self.firehose_metric(spec.metric_name, statistic=spec.statistic, period=spec.period),
            threshold=spec.threshold,
            comparison=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data,
            meaning=spec.meaning,
            first_check=spec.first_check,
        )

    def add_firehose_alarm(
        self,
        name: str,
        metric_name: str,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = _GT,
        statistic: str = "Sum",
        period: Duration = _PERIOD,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int = 1,
        treat_missing_data: cloudwatch.TreatMissingData = _NOT_BREACHING,
        meaning: str = "",
        first_check: str = "",
    ) -> cloudwatch.Alarm | None:
        """Shorthand for ``add_alarm_spec(AlarmSpec(...))``: an alarm on one of this stream's metrics."""
        return self.add_alarm_spec(
            AlarmSpec(
                name=name,
                metric_name=metric_name,
                threshold=threshold,
                comparison=comparison,
                statistic=statistic,
                period=period,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=datapoints_to_alarm,
                treat_missing_data=treat_missing_data,
                meaning=meaning,
                first_check=first_check,
            )
        )

    def firehose_metric(
        self, metric_name: str, *, statistic: str = "Sum", period: Duration = _PERIOD, label: str | None = None
    ) -> cloudwatch.Metric:
        """``AWS/Firehose`` ``metric_name`` of this stream (dimension ``DeliveryStreamName``)."""
        return self.delivery_stream.metric(metric_name, statistic=statistic, period=period, label=label)

    # --- the built-in alarm set ---------------------------------------------------------------------
    def _built_in_specs(self) -> Iterator[AlarmSpec]:
        """The AWS/Firehose alarms that can fire for this configuration."""
        yield AlarmSpec(
            name="DeliveryFreshness",
            metric_name="DeliveryToS3.DataFreshness",
            statistic="Maximum",
            threshold=self.freshness_threshold,
            meaning=(
                f"The oldest record not yet in S3 is older than {self.freshness_threshold} s (buffering "
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
        if self._source_stream is None:
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
                threshold=self.options.iterator_age_threshold.to_milliseconds(),
                evaluation_periods=3,
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.MISSING,
                meaning=(
                    f"Firehose reads the Kinesis source more than "
                    f"{self.options.iterator_age_threshold.to_human_string()} behind its newest record; data "
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
        if self._transform is not None:
            yield _success_ratio_alarm(
                "TransformSuccess",
                "ExecuteProcessing.Success",
                meaning=(
                    "Transform invocations have been failing for 15 minutes; failed batches go to the error prefix."
                ),
                first_check="the function's log group and the error log group for Lambda.* error codes.",
            )
        if self._backup_enabled:
            yield AlarmSpec(
                name="BackupFreshness",
                metric_name="BackupToS3.DataFreshness",
                statistic="Maximum",
                threshold=self.backup_freshness_threshold or 0,
                meaning=(
                    f"The oldest source record not yet backed up is older than {self.backup_freshness_threshold} s."
                ),
                first_check="the error log group (S3Backup stream) and the backup bucket's policy and key.",
            )
            yield _success_ratio_alarm(
                "BackupSuccess",
                "BackupToS3.Success",
                meaning="Backup puts to S3 have been failing for 15 minutes.",
                first_check="the error log group (S3Backup stream) for the S3 error code.",
            )
        if self._kms:
            yield from KMS_KEY_ALARMS
        if self._format_conversion:
            yield from FORMAT_CONVERSION_ALARMS
        if self._dynamic_partitioning:
            yield from DYNAMIC_PARTITIONING_ALARMS

    def _add_metric_alarms(self) -> None:
        """Alarms on metric math (quota) and on metrics outside AWS/Firehose (Lambda, embedded)."""
        share = self.options.quota_share
        if self._source_stream is None:
            for key, incoming, limit, what in _QUOTAS:
                self.add_alarm(
                    f"{key}Quota",
                    self._quota_ratio(incoming, limit),
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
        fn = self._transform
        if fn is None:
            return
        self.add_alarm(
            "TransformErrors",
            fn.metric_errors(statistic="Sum", period=_PERIOD),
            threshold=0,
            meaning="The transform function failed invocations (exception, timeout or out of memory).",
            first_check="the function's log group for the error or 'Task timed out'.",
        )
        self.add_alarm(
            "TransformThrottles",
            fn.metric_throttles(statistic="Sum", period=_PERIOD),
            threshold=0,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            meaning="The transform function is being throttled; Firehose retries, then fails the batch.",
            first_check="the function's reserved concurrency and the account's Lambda concurrency.",
        )
        timeout_ms = self._transform_timeout_ms or 0.0
        self.add_alarm(
            "TransformDuration",
            fn.metric_duration(statistic="Maximum", period=_PERIOD),
            threshold=round(timeout_ms * self.options.transform_duration_share, 3),
            evaluation_periods=3,
            datapoints_to_alarm=2,
            meaning=(
                f"The transform's longest invocation exceeded {self.options.transform_duration_share:.0%} of its "
                f"{timeout_ms / 1000:g} s timeout in 2 of the last 3 five-minute periods."
            ),
            first_check="the function's memory size and the processor's buffer size (smaller batches run faster).",
        )
        if self._transform_emits_metrics:
            self.add_alarm(
                "TransformRecordsFailed",
                self._transform_metric("RecordsProcessingFailed"),
                threshold=0,
                meaning="The transform marked records ProcessingFailed; they are in the error prefix.",
                first_check="objects under errors/processing-failed/ and the function's log for the reason.",
            )

    # --- metrics --------------------------------------------------------------------------------------
    def _quota_ratio(self, incoming: str, limit: str) -> cloudwatch.MathExpression:
        """AWS's guidance: ``(incoming Sum over 5 min / 300) / limit``; the limit at its Minimum."""
        return self._quota_math(incoming, limit, scale="", label=f"{incoming} per second / {limit}")

    def _quota_math(self, incoming: str, limit: str, *, scale: str, label: str) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression=scale + quota_expression(incoming, limit),
            using_metrics={
                _metric_id(incoming): self.firehose_metric(incoming, statistic="Sum"),
                _metric_id(limit): self.firehose_metric(limit, statistic="Minimum"),
            },
            period=_PERIOD,
            label=label,
        )

    def _transform_metric(self, metric_name: str, *, label: str | None = None) -> cloudwatch.Metric:
        """An embedded metric of the transform (a label would make an alarm render it as metric math)."""
        assert self._transform is not None
        return cloudwatch.Metric(
            namespace=self._transform_metrics_namespace,
            metric_name=metric_name,
            dimensions_map={TRANSFORM_METRICS_DIMENSION: self._transform.function_name},
            statistic="Sum",
            period=_PERIOD,
            label=label,
        )

    # --- topic and dashboard --------------------------------------------------------------------------
    def _create_topic(self) -> sns.Topic:
        """A TLS-only topic encrypted with a rotating customer managed key CloudWatch may use.

        CloudWatch cannot publish to a topic encrypted with the AWS managed ``alias/aws/sns`` key, and the
        topic policy that ``enforce_ssl`` creates replaces SNS's default policy, so both the key policy and
        the topic policy grant ``cloudwatch.amazonaws.com`` explicitly (the topic policy only for alarms of
        this account). The key protects nothing but notifications in flight, so it is scheduled for deletion
        with the stack instead of being retained.
        """
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the Firehose pipeline's alarm notifications (CloudWatch may use it)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseTheKey",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Firehose pipeline alarms",
            master_key=key,
            enforce_ssl=True,
        )
        stack = Stack.of(self)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )
        self.alarm_topic_key = key
        return topic

    def _create_dashboard(self) -> cloudwatch.Dashboard:
        """Ingest against quota (or Kinesis lag), delivery, transform, backup and error widgets."""
        rows: list[list[cloudwatch.IWidget]] = []
        source = "Direct PUT" if self._source_stream is None else "Kinesis Data Stream"
        rows.append(
            [
                cloudwatch.TextWidget(
                    markdown=(
                        f"# Firehose {self.delivery_stream.delivery_stream_name} -> S3\n"
                        f"Source: {source}. Delivery freshness threshold: {self.freshness_threshold} s."
                    ),
                    width=24,
                    height=2,
                )
            ]
        )
        if self.alarms:
            rows.append([cloudwatch.AlarmStatusWidget(alarms=list(self.alarms.values()), title="Alarms", width=24)])
        rows.append(self._ingest_widgets())
        rows.append(self._delivery_widgets())
        if self._transform is not None:
            rows.append(self._transform_widgets())
        if self._backup_enabled:
            rows.append(self._backup_widgets())
        errors = self._error_widgets()
        if errors:
            rows.append(errors)
        return cloudwatch.Dashboard(self, "Dashboard", widgets=rows)

    def _graph(
        self,
        title: str,
        left: Sequence[cloudwatch.IMetric],
        *,
        annotation: float | None = None,
        annotation_label: str = "alarm threshold",
        width: int = 8,
    ) -> cloudwatch.GraphWidget:
        annotations = (
            [cloudwatch.HorizontalAnnotation(value=annotation, label=annotation_label)]
            if annotation is not None
            else None
        )
        return cloudwatch.GraphWidget(title=title, left=list(left), left_annotations=annotations, width=width)

    def _ingest_widgets(self) -> list[cloudwatch.IWidget]:
        m = self.firehose_metric
        if self._source_stream is None:
            percent = [
                self._quota_math(incoming, limit, scale="100 * ", label=f"{key} % of quota")
                for key, incoming, limit, _ in _QUOTAS
            ]
            return [
                self._graph(
                    "Ingest against quota (%)",
                    percent,
                    annotation=100 * self.options.quota_share,
                    annotation_label="quota alarm",
                ),
                self._graph(
                    "Incoming (Sum)",
                    [m(name, label=name) for name in ("IncomingBytes", "IncomingRecords", "IncomingPutRequests")],
                ),
                self._graph("Throttled records (Sum)", [m("ThrottledRecords", label="ThrottledRecords")]),
            ]
        lag = [
            m("KinesisMillisBehindLatest", statistic="Maximum", label="Firehose ms behind latest"),
            self._source_stream.metric_get_records_iterator_age_milliseconds(
                statistic="Maximum", period=_PERIOD, label="Stream iterator age (all consumers)"
            ),
        ]
        return [
            self._graph(
                "Read from Kinesis (Sum)",
                [m(f"DataReadFromKinesisStream.{unit}", label=unit) for unit in ("Records", "Bytes")],
            ),
            self._graph("Consumer lag (ms)", lag, annotation=self.options.iterator_age_threshold.to_milliseconds()),
            self._graph(
                "Read throttling (Sum)",
                [m(f"Throttled{api}", label=api) for api in ("GetRecords", "DescribeStream", "GetShardIterator")],
            ),
        ]

    def _delivery_widgets(self) -> list[cloudwatch.IWidget]:
        m = self.firehose_metric
        return [
            self._graph(
                "Delivery freshness (s, Maximum)",
                [m("DeliveryToS3.DataFreshness", statistic="Maximum", label="DataFreshness")],
                annotation=self.freshness_threshold,
            ),
            self._graph(
                "Delivery success (Average)", [m("DeliveryToS3.Success", statistic="Average", label="Success")]
            ),
            self._graph("Delivered (Sum)", [m(f"DeliveryToS3.{unit}", label=unit) for unit in ("Records", "Bytes")]),
        ]

    def _transform_widgets(self) -> list[cloudwatch.IWidget]:
        fn = self._transform
        assert fn is not None
        m = self.firehose_metric
        results: list[cloudwatch.IMetric] = [
            m("SucceedProcessing.Records", label="SucceedProcessing.Records"),
            fn.metric_errors(statistic="Sum", period=_PERIOD, label="Lambda Errors"),
            fn.metric_throttles(statistic="Sum", period=_PERIOD, label="Lambda Throttles"),
        ]
        if self._transform_emits_metrics:
            results += [
                self._transform_metric(name, label=name)
                for name in ("RecordsOk", "RecordsDropped", "RecordsProcessingFailed")
            ]
        timeout_ms = self._transform_timeout_ms or 0.0
        return [
            self._graph(
                "Transform success (Average)",
                [m("ExecuteProcessing.Success", statistic="Average", label="ExecuteProcessing.Success")],
            ),
            self._graph(
                "Transform duration (ms)",
                [
                    fn.metric_duration(statistic="Maximum", period=_PERIOD, label="Lambda Duration Maximum"),
                    m("ExecuteProcessing.Duration", statistic="Average", label="ExecuteProcessing.Duration Average"),
                ],
                annotation=round(timeout_ms * self.options.transform_duration_share, 3),
            ),
            self._graph("Transform results and errors (Sum)", results),
        ]

    def _backup_widgets(self) -> list[cloudwatch.IWidget]:
        m = self.firehose_metric
        return [
            self._graph(
                "Backup freshness (s, Maximum)",
                [m("BackupToS3.DataFreshness", statistic="Maximum", label="DataFreshness")],
                annotation=self.backup_freshness_threshold,
            ),
            self._graph("Backup success (Average)", [m("BackupToS3.Success", statistic="Average", label="Success")]),
            self._graph("Backed up (Sum)", [m(f"BackupToS3.{unit}", label=unit) for unit in ("Records", "Bytes")]),
        ]

    def _error_widgets(self) -> list[cloudwatch.IWidget]:
        m = self.firehose_metric
        widgets: list[cloudwatch.IWidget] = []
        if self._kms:
            widgets.append(
                self._graph(
                    "Stream KMS key errors (Sum)", [m(spec.metric_name, label=spec.name) for spec in KMS_KEY_ALARMS]
                )
            )
        if self._format_conversion:
            widgets.append(
                self._graph(
                    "Format conversion (Sum)",
                    [m(name, label=name) for name in ("SucceedConversion.Records", "FailedConversion.Records")],
                )
            )
        if self._dynamic_partitioning:
            widgets.append(
                self._graph(
                    "Dynamic partitions (Maximum)",
                    [
                        m(name, statistic="Maximum", label=name)
                        for name in ("PartitionCount", "ActivePartitionsLimit", "PartitionCountExceeded")
                    ],
                )
            )
        return widgets


#: (alarm key, incoming metric, limit metric, what) for the Direct PUT quota alarms.
_QUOTAS = (
    ("IncomingBytes", "IncomingBytes", "BytesPerSecondLimit", "bytes"),
    ("IncomingRecords", "IncomingRecords", "RecordsPerSecondLimit", "records"),
    ("IncomingPutRequests", "IncomingPutRequests", "PutRequestsPerSecondLimit", "put requests"),
)


def quota_expression(incoming: str, limit: str) -> str:
    """The metric-math ratio of a quota alarm, with ids ``<incoming>``/``<limit>`` in snake case.

    ``(IncomingBytes Sum over 5 min / 300 s) / BytesPerSecondLimit`` (AWS's guidance); the ids differ per
    quota so the three ratios can share one dashboard graph.
    """
    return f"({_metric_id(incoming)} / {_PERIOD_SECONDS}) / {_metric_id(limit)}"


def _metric_id(metric_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", metric_name).lower()


#: Lambda's default timeout, which a ``lambda_.Function`` created without ``timeout`` gets.
_LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3)


def _function_timeout(function: lambda_.IFunction) -> Duration:
    if isinstance(function, lambda_.Function):
        return function.timeout or _LAMBDA_DEFAULT_TIMEOUT
    raise ConfigurationError(
        "transform_timeout is required when transform_function is not a lambda_.Function "
        "(an imported function's timeout is unknown)"
    )

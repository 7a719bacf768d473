"""``DeliveryStreamMonitoring``: alarms (with SNS notifications) and a dashboard for any Firehose delivery stream.

Works on a stream this library built (``FirehoseToS3`` uses it) and on any other, including one imported with
``DeliveryStream.from_delivery_stream_name``: state its settings with :class:`StreamSettings`. Which alarms
exist and why each is set up as it is: :mod:`firehose_s3_constructs.monitoring.alarms`.
"""

from __future__ import annotations

import re

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from firehose_transform import contract

from ..validation import ConfigurationError, check_range, literal_seconds
from .alarms import add_metric_alarms, built_in_specs
from .dashboard import build_dashboard
from .metrics import StreamMetrics
from .options import GREATER, NOT_BREACHING, PERIOD, AlarmSpec, MonitoringOptions, freshness_threshold_seconds
from .settings import StreamSettings
from .topic import create_alarm_topic

__all__ = ["DeliveryStreamMonitoring"]

_NAME = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
#: The largest buffering interval Firehose allows (S3 destination, backup and Lambda processor alike).
_MAX_INTERVAL_S = 900
_DEFAULT_SETTINGS = StreamSettings()
_DEFAULT_OPTIONS = MonitoringOptions()


class DeliveryStreamMonitoring(Construct):
    """Alarms (notifying an SNS topic on ALARM and OK) and a dashboard for one Firehose delivery stream.

    Args:
        scope: parent construct.
        id: construct id.
        delivery_stream: the stream to watch; its name is the ``DeliveryStreamName`` dimension. Any
            ``IDeliveryStream``, e.g. ``DeliveryStream.from_delivery_stream_name(scope, "S", "name")``.
        settings: what the stream does (source, buffering, transform, backup, features), which decides the
            alarms and thresholds. Default :class:`StreamSettings` () (Direct PUT, 300 s, nothing else).
        options: how alarms are set and notify. Default :class:`MonitoringOptions` ().

    Attributes:
        settings, options, metrics (the :class:`StreamMetrics` factory of this stream).
        alarm_topic: the topic every alarm notifies on ALARM and OK; None when alarms are off.
        alarm_topic_key: the KMS key of a created topic; None otherwise.
        alarms: alarm name -> ``cloudwatch.Alarm`` (empty when alarms are off).
        dashboard: the ``cloudwatch.Dashboard``, or None.
        freshness_threshold: the DeliveryToS3.DataFreshness threshold in seconds.
        backup_freshness_threshold: the BackupToS3.DataFreshness threshold in seconds, or None.
        transform_timeout_ms: the transform's timeout in milliseconds (0 without a transform).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        delivery_stream: firehose.IDeliveryStream,
        settings: StreamSettings = _DEFAULT_SETTINGS,
        options: MonitoringOptions = _DEFAULT_OPTIONS,
    ) -> None:
        super().__init__(scope, id)
        self.delivery_stream = delivery_stream
        self.settings = settings
        self.options = options
        self.metrics = StreamMetrics(delivery_stream, settings)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self.alarm_topic: sns.ITopic | None = None
        self.alarm_topic_key: kms.IKey | None = None
        self.dashboard: cloudwatch.Dashboard | None = None
        self._alarm_actions: list[cloudwatch.IAlarmAction] = []
        self._set_thresholds()
        if options.enabled:
            self._create_notifications()
            for spec in built_in_specs(
                settings,
                options,
                freshness_threshold=self.freshness_threshold,
                backup_freshness_threshold=self.backup_freshness_threshold,
            ):
                self.add_alarm_spec(spec)
            add_metric_alarms(self)
        if options.dashboard:
            self.dashboard = build_dashboard(self)

    def _set_thresholds(self) -> None:
        """Derive the thresholds; an interval or timeout given as a token counts as its maximum (900 s, 300 s).

        A token is known at deploy time only, and a threshold must be a number at synth time: the maximum
        keeps the alarms from firing early, whatever the value turns out to be.
        """
        settings = self.settings
        headroom_s = int(self.options.freshness_headroom.to_seconds())
        transform_interval_s = 0
        self.transform_timeout_ms = 0.0
        if settings.transform_function is not None:
            timeout_s = _seconds_or(settings.transform_timeout_or_default, contract.LAMBDA_MAX_TIMEOUT_SECONDS)
            self.transform_timeout_ms = timeout_s * 1000.0
            transform_interval_s = _seconds_or(settings.transform_buffer_interval_or_default, _MAX_INTERVAL_S)
        self.freshness_threshold = freshness_threshold_seconds(
            buffering_interval_s=_seconds_or(settings.buffering_interval, _MAX_INTERVAL_S),
            headroom_s=headroom_s,
            dynamic_partitioning=settings.dynamic_partitioning,
            transform_buffer_interval_s=transform_interval_s,
        )
        self.backup_freshness_threshold: int | None = None
        if settings.backup_buffering_interval is not None:
            self.backup_freshness_threshold = freshness_threshold_seconds(
                buffering_interval_s=_seconds_or(settings.backup_buffering_interval, _MAX_INTERVAL_S),
                headroom_s=headroom_s,
            )

    def _create_notifications(self) -> None:
        if self.options.topic is not None:
            self.alarm_topic = self.options.topic
        else:
            self.alarm_topic, self.alarm_topic_key = create_alarm_topic(self)
        if self.options.email is not None:
            sns.Subscription(
                self,
                "EmailSubscription",
                topic=self.alarm_topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=self.options.email,
            )
        self._alarm_actions = [cloudwatch_actions.SnsAction(self.alarm_topic)]

    # --- the one place every alarm is created -------------------------------------------------------
    def add_alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator = GREATER,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int = 1,
        treat_missing_data: cloudwatch.TreatMissingData = NOT_BREACHING,
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
        period_s = literal_seconds(f"{spec.name}.period", spec.period, "CloudWatch needs a literal alarm period")
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
        comparison: cloudwatch.ComparisonOperator = GREATER,
        statistic: str = "Sum",
        period: Duration = PERIOD,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int = 1,
        treat_missing_data: cloudwatch.TreatMissingData = NOT_BREACHING,
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
        self, metric_name: str, *, statistic: str = "Sum", period: Duration = PERIOD, label: str | None = None
    ) -> cloudwatch.Metric:
        """``AWS/Firehose`` ``metric_name`` of this stream (dimension ``DeliveryStreamName``)."""
        return self.metrics.firehose(metric_name, statistic=statistic, period=period, label=label)


def _seconds_or(value: Duration, maximum: int) -> int:
    """Whole seconds of ``value``, or ``maximum`` when it is a token."""
    return maximum if value.is_unresolved() else int(value.to_seconds())

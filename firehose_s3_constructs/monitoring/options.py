"""How alarms are set and notify: :class:`MonitoringOptions`, :class:`AlarmSpec` and the freshness threshold."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns

from ..validation import ConfigurationError, check_range, literal_number, literal_seconds, whole_seconds

__all__ = [
    "DYNAMIC_PARTITIONING_LATENCY_FACTOR",
    "FRESHNESS_CAP_SECONDS",
    "FRESHNESS_FLOOR_SECONDS",
    "PERIOD",
    "AlarmSpec",
    "MonitoringOptions",
    "freshness_threshold_seconds",
    "literal_seconds_in",
    "seconds_in",
]

#: The freshness threshold is never below one minute (the metric's resolution) ...
FRESHNESS_FLOOR_SECONDS = 60
#: ... nor above one hour: later than that an alarm no longer protects the 24 h Firehose retry window.
FRESHNESS_CAP_SECONDS = 3600
#: Dynamic partitioning buffers in several stages: delivery can take up to 1.5x the interval (AWS docs
#: "Buffer data for dynamic partitioning").
DYNAMIC_PARTITIONING_LATENCY_FACTOR = 1.5
#: The period of every built-in alarm and dashboard graph.
PERIOD = Duration.minutes(5)
GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
LESS = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}")


@dataclass(frozen=True, kw_only=True)
class AlarmSpec:
    """One alarm on an ``AWS/Firehose`` metric of the monitored delivery stream.

    Attributes:
        name: key in :attr:`DeliveryStreamMonitoring.alarms` and construct id prefix; PascalCase, unique.
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
    comparison: cloudwatch.ComparisonOperator = GREATER
    statistic: str = "Sum"
    period: Duration = PERIOD
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    treat_missing_data: cloudwatch.TreatMissingData = NOT_BREACHING
    meaning: str = ""
    first_check: str = ""


#: Why monitoring options must be literals.
_THRESHOLDS = "the alarm thresholds and descriptions are computed from it at synth time"


def _check_share(option: str, value: float, *, include_one: bool) -> None:
    """A share strictly above 0 and below 1 (or up to 1 when ``include_one``)."""
    literal_number(option, value, _THRESHOLDS)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or not (value > 0 and (value <= 1 if include_one else value < 1)):
        interval = "(0, 1]" if include_one else "(0, 1)"
        upper = "at most 1" if include_one else "less than 1"
        raise ConfigurationError(f"{option} must be greater than 0 and {upper} (range {interval}), got {value!r}")


def seconds_in(option: str, value: Duration, low: int, high: int) -> int | None:
    """Whole seconds of ``value`` within ``low``-``high``; None for a token (which passes)."""
    seconds = whole_seconds(option, value)
    check_range(option, seconds, low, high, "seconds")
    return seconds


def literal_seconds_in(option: str, value: Duration, low: int, high: int) -> int:
    """Like :func:`seconds_in`, for a value the alarm thresholds are computed from (no token)."""
    seconds = literal_seconds(option, value, _THRESHOLDS)
    check_range(option, seconds, low, high, "seconds")
    return seconds


@dataclass(frozen=True, kw_only=True)
class MonitoringOptions:
    """How :class:`DeliveryStreamMonitoring` (and ``FirehoseToS3``) alarms and notifies.

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
        literal_seconds_in("MonitoringOptions.freshness_headroom", self.freshness_headroom, 0, FRESHNESS_CAP_SECONDS)
        _check_share("MonitoringOptions.quota_share", self.quota_share, include_one=False)
        literal_seconds_in("MonitoringOptions.iterator_age_threshold", self.iterator_age_threshold, 60, 7 * 86400)
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

"""MonitoringOptions, AlarmSpec and the freshness threshold: defaults, one test per rule, documentation."""

from __future__ import annotations

import re

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from cdk_helpers import ROOT

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.monitoring import (
    FRESHNESS_CAP_SECONDS,
    FRESHNESS_FLOOR_SECONDS,
    AlarmSpec,
    MonitoringOptions,
    freshness_threshold_seconds,
)


def test_options_defaults() -> None:
    options = MonitoringOptions()
    assert options.enabled is True
    assert options.topic is None
    assert options.email is None
    assert options.dashboard is True
    assert options.freshness_headroom.to_seconds() == 300
    assert options.quota_share == 0.8
    assert options.iterator_age_threshold.to_minutes() == 15
    assert options.transform_duration_share == 0.8
    assert tuple(options.extra_actions) == ()


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1, "0.5", True])
def test_quota_share_out_of_range(value: float) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"quota_share must be greater than 0 and less than 1 .*\(0, 1\).*{value}"
    ):
        MonitoringOptions(quota_share=value)


@pytest.mark.parametrize("value", [0, 1.01])
def test_transform_duration_share_out_of_range(value: float) -> None:
    with pytest.raises(ConfigurationError, match=rf"transform_duration_share .*at most 1 .*\(0, 1\].*{value}"):
        MonitoringOptions(transform_duration_share=value)


def test_transform_duration_share_of_one_is_allowed() -> None:
    assert MonitoringOptions(transform_duration_share=1).transform_duration_share == 1


@pytest.mark.parametrize(
    ("value", "shown"), [(Duration.seconds(30), "30 seconds"), (Duration.days(8), "691200 seconds")]
)
def test_iterator_age_threshold_out_of_range(value: Duration, shown: str) -> None:
    with pytest.raises(
        ConfigurationError, match=rf"iterator_age_threshold must be between 60 and 604800 seconds, got {shown}"
    ):
        MonitoringOptions(iterator_age_threshold=value)


def test_freshness_headroom_out_of_range() -> None:
    with pytest.raises(ConfigurationError, match=r"freshness_headroom must be between 0 and 3600 seconds, got 3601"):
        MonitoringOptions(freshness_headroom=Duration.seconds(3601))


def test_fractional_duration_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"freshness_headroom must be a whole number of seconds, got 1.5 s"):
        MonitoringOptions(freshness_headroom=Duration.millis(1500))


@pytest.mark.parametrize("value", ["not-an-email", "ops@localhost", "two words@example.com"])
def test_email_must_look_like_an_email(value: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"email must look like an email address .*{re.escape(value)}"):
        MonitoringOptions(email=value)


def test_errors_name_the_options_class() -> None:
    with pytest.raises(ConfigurationError, match=r"^MonitoringOptions\.quota_share must be"):
        MonitoringOptions(quota_share=2)


def test_alarm_spec_defaults() -> None:
    spec = AlarmSpec(name="Custom", metric_name="DeliveryToS3.ObjectCount", threshold=1)
    assert spec.comparison == cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
    assert spec.statistic == "Sum"
    assert spec.period.to_seconds() == 300
    assert (spec.evaluation_periods, spec.datapoints_to_alarm) == (1, 1)
    assert spec.treat_missing_data == cloudwatch.TreatMissingData.NOT_BREACHING
    assert (spec.meaning, spec.first_check) == ("", "")


# --- the freshness threshold ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("interval", "headroom", "dp", "transform", "expected"),
    [
        (300, 300, False, 0, 600),
        (0, 300, False, 0, 300),
        (0, 0, False, 0, 60),  # floor
        (900, 300, True, 0, 1650),  # 1.5 x 900 + 300
        (61, 0, True, 0, 92),  # ceil(91.5)
        (300, 300, False, 60, 660),
        (900, 3600, True, 900, 3600),  # cap
    ],
)
def test_freshness_threshold(interval: int, headroom: int, dp: bool, transform: int, expected: int) -> None:
    assert (
        freshness_threshold_seconds(
            buffering_interval_s=interval,
            headroom_s=headroom,
            dynamic_partitioning=dp,
            transform_buffer_interval_s=transform,
        )
        == expected
    )


def test_freshness_floor_and_cap() -> None:
    assert (FRESHNESS_FLOOR_SECONDS, FRESHNESS_CAP_SECONDS) == (60, 3600)


# --- the documentation ----------------------------------------------------------------------------------
def test_every_option_is_documented() -> None:
    text = (ROOT / "docs" / "alarms.md").read_text()
    for option in MonitoringOptions.__dataclass_fields__:
        assert f"`{option}`" in text, option

"""The dashboard: one row per concern, the alarms' status on top, and only the widgets a stream can fill."""

from __future__ import annotations

import json

import pytest
from cdk_helpers import resources_of
from cdk_helpers.monitoring import Monitored


@pytest.mark.parametrize(
    ("config", "present", "absent"),
    [
        (
            "direct",
            [
                "BytesPerSecondLimit",
                "ThrottledRecords",
                "DeliveryToS3.DataFreshness",
                "DeliveryToS3.Success",
                '"type": "alarm"',
            ],
            ["KinesisMillisBehindLatest", "ExecuteProcessing", "BackupToS3", "KMSKey"],
        ),
        (
            "full",
            [
                "ExecuteProcessing.Duration",
                "RecordsProcessingFailed",
                "BackupToS3.DataFreshness",
                "KMSKeyAccessDenied",
                "FailedConversion.Records",
                "PartitionCount",
                "48000",
            ],
            ["KinesisMillisBehindLatest"],
        ),
        (
            "kinesis_source",
            ["KinesisMillisBehindLatest", "GetRecords.IteratorAgeMilliseconds", "ThrottledGetRecords", "900000"],
            ["BytesPerSecondLimit", "RecordsProcessingFailed"],
        ),
        ("off", ["DeliveryToS3.DataFreshness", "BytesPerSecondLimit"], ['"type": "alarm"']),
        ("extended", ["ObjectCountHigh", "FailedConversion"], []),
    ],
)
def test_dashboard_widgets(config: str, present: list[str], absent: list[str], request: pytest.FixtureRequest) -> None:
    built: Monitored = request.getfixturevalue(config)
    assert built.monitoring.dashboard is not None
    (dashboard,) = resources_of(built.template, "AWS::CloudWatch::Dashboard").values()
    assert "DashboardName" not in dashboard["Properties"]  # CloudFormation generates a unique name
    text = json.dumps(built.dashboard_widgets())
    for needle in present:
        assert needle in text, needle
    for needle in absent:
        assert needle not in text, needle


def test_dashboard_sections_and_alarm_status(direct: Monitored, full: Monitored) -> None:
    widgets = direct.dashboard_widgets()
    titles = [w["properties"].get("title") for w in widgets]
    for title in ("Alarms", "Ingest against quota (%)", "Throttled records (Sum)", "Delivery freshness (s, Maximum)"):
        assert title in titles, title
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(direct.monitoring.alarms)
    full_titles = {w["properties"].get("title") for w in full.dashboard_widgets()}
    assert {"Transform duration (ms)", "Backup freshness (s, Maximum)", "Stream KMS key errors (Sum)"} <= full_titles


def test_header_states_the_source_and_the_freshness_threshold(direct: Monitored, kinesis_source: Monitored) -> None:
    (header, *_) = direct.dashboard_widgets()
    assert header["type"] == "text"
    assert "Source: Direct PUT. Delivery freshness threshold: 600 s." in header["properties"]["markdown"]
    (header, *_) = kinesis_source.dashboard_widgets()
    assert "Source: Kinesis Data Stream. Delivery freshness threshold: 660 s." in header["properties"]["markdown"]


def test_alarms_added_later_are_on_the_dashboard(extended: Monitored) -> None:
    alarm_widgets = [w for w in extended.dashboard_widgets() if "alarms" in w["properties"].get("annotations", {})]
    assert {w["properties"]["title"] for w in alarm_widgets} >= {"ObjectCountHigh", "FailedConversion"}


def test_no_dashboard_when_turned_off(custom: Monitored) -> None:
    assert custom.monitoring.dashboard is None
    assert not resources_of(custom.template, "AWS::CloudWatch::Dashboard")

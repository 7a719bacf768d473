"""Prefix evaluation, the default and error prefixes, and object names, against DG s3-prefixes / s3-object-name."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firehose_s3_client.simulate.prefix import (
    PrefixEvaluationError,
    PrefixTemplateError,
    error_prefix_for,
    evaluate_prefix,
    object_name,
    random_string,
    validate_prefix,
    with_default_timestamp,
)
from firehose_transform.contract import MAX_EVALUATED_PREFIX_CHARS

WEB_LOGS = "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
WEB_LOGS_ERRORS = (
    "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
    "hour=!{timestamp:HH}/"
)
IOT = "iot/device_type=!{partitionKeyFromQuery:device_type}/dt=!{partitionKeyFromQuery:dt}/"
ARRIVAL = datetime(2026, 11, 26, 9, 41, 3, 250_000, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


def evaluate(template: str, **kwargs: object) -> str:
    options: dict[str, object] = {"arrival": ARRIVAL, "time_zone": None, "rng": random.Random(7)}
    options.update(kwargs)
    return evaluate_prefix(template, **options)  # type: ignore[arg-type]


def test_the_web_log_stacks_data_and_error_prefixes() -> None:
    assert evaluate(WEB_LOGS) == "data/year=2026/month=11/day=26/hour=09/"
    assert (
        evaluate(WEB_LOGS_ERRORS, error_output_type="processing-failed")
        == "errors/processing-failed/year=2026/month=11/day=26/hour=09/"
    )


def test_the_iot_stacks_partition_keys() -> None:
    keys = {"device_type": "thermostat", "dt": "2026-11-20"}
    assert evaluate(IOT, query_keys=keys) == "iot/device_type=thermostat/dt=2026-11-20/"


def test_the_dg_example_with_quoted_literals_inside_one_timestamp() -> None:
    # DG s3-prefixes, "Example prefixes": the same keys from one pattern with 'quoted' text.
    at = datetime(2018, 7, 6, 23, 30, tzinfo=UTC)
    data = evaluate(
        "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/", arrival=at
    )
    error = evaluate(
        "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}",
        arrival=at,
        error_output_type="processing-failed",
    )
    assert data == "myPrefix/year=2018/month=07/day=06/hour=23/"
    assert error == "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed"


@given(moment=moments)
def test_every_timestamp_in_one_prefix_is_the_same_instant(moment: datetime) -> None:
    split = evaluate("!{timestamp:yyyy}-!{timestamp:MM}-!{timestamp:dd}T!{timestamp:HH:mm:ss.SSS}", arrival=moment)
    assert split == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@pytest.mark.parametrize(
    ("zone", "arrival", "expected"),
    [
        ("Asia/Tokyo", datetime(2026, 11, 26, 20, 0, tzinfo=UTC), "2026/11/27/05/"),
        ("America/New_York", datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "2026/03/08/01/"),  # before the DST jump
        ("America/New_York", datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "2026/03/08/03/"),  # 2 AM does not exist
        ("Asia/Kolkata", datetime(2026, 12, 31, 18, 30, tzinfo=UTC), "2027/01/01/00/"),
        (None, datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2026/12/31/23/"),
        ("", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2026/12/31/23/"),
    ],
)
def test_custom_time_zone(zone: str | None, arrival: datetime, expected: str) -> None:
    assert evaluate("!{timestamp:yyyy/MM/dd/HH/}", arrival=arrival, time_zone=zone) == expected


def test_an_unknown_time_zone_is_named() -> None:
    with pytest.raises(PrefixTemplateError, match="'Mars/Olympus' is not an IANA time zone"):
        evaluate("x/", time_zone="Mars/Olympus")


def test_random_strings_are_eleven_hex_characters_new_for_every_use() -> None:
    rng = random.Random(1)
    evaluated = evaluate("r=!{firehose:random-string}/s=!{firehose:random-string}/", rng=rng)
    first, second = re.fullmatch(r"r=([0-9a-f]{11})/s=([0-9a-f]{11})/", evaluated).groups()  # type: ignore[union-attr]
    assert first != second
    assert evaluate("!{firehose:random-string}", rng=random.Random(1)) == first  # reproducible from the seed
    assert len({random_string(rng) for _ in range(1000)}) == 1000


def test_a_partition_key_named_like_a_firehose_value_is_still_a_key() -> None:
    assert evaluate("!{partitionKeyFromQuery:random-string}/", query_keys={"random-string": "k"}) == "k/"


def test_lambda_keys_come_from_their_own_mapping() -> None:
    template = "!{partitionKeyFromLambda:tenant}/!{partitionKeyFromQuery:tenant}/"
    assert evaluate(template, lambda_keys={"tenant": "L"}, query_keys={"tenant": "Q"}) == "L/Q/"


@pytest.mark.parametrize(
    ("namespace", "source"),
    [("partitionKeyFromQuery", "MetadataExtractionQuery"), ("partitionKeyFromLambda", "Lambda function")],
)
def test_a_missing_partition_key_fails_the_record(namespace: str, source: str) -> None:
    with pytest.raises(PrefixEvaluationError) as caught:
        evaluate(f"x/!{{{namespace}:tenant}}/", query_keys={"other": "v"}, lambda_keys={})
    assert caught.value.error_code == "DynamicPartitioning.MetadataExtractionFailed"
    assert "'tenant'" in caught.value.error_message
    assert source in caught.value.error_message


def test_the_evaluated_prefix_may_be_512_characters_but_not_513() -> None:
    template = "p/!{partitionKeyFromQuery:k}"
    fits = "v" * (MAX_EVALUATED_PREFIX_CHARS - 2)
    assert len(evaluate(template, query_keys={"k": fits})) == MAX_EVALUATED_PREFIX_CHARS
    with pytest.raises(PrefixEvaluationError, match="513 characters; Firehose allows at most 512"):
        evaluate(template, query_keys={"k": fits + "v"})


def test_the_error_output_type_is_needed_where_it_is_used() -> None:
    with pytest.raises(PrefixTemplateError, match="ErrorOutputPrefix only"):
        evaluate("e/!{firehose:error-output-type}/")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("a/!{timestamp:yyyy", "'!{' may appear only"),
        ("a/!{time:yyyy}/", "unknown namespace 'time'"),
        ("a/!{firehose:uuid}/", "firehose namespace has only random-string, error-output-type"),
        ("a/!{timestamp:}/", "empty expression"),
        ("a/!{timestamp:YYYY}/", "week-based-year"),
        ("a" * 1025, "at most 1024 characters"),
    ],
)
def test_malformed_templates_are_rejected(template: str, message: str) -> None:
    with pytest.raises(PrefixTemplateError, match=re.escape(message)):
        evaluate(template)


@pytest.mark.parametrize(
    ("prefix", "dynamic_partitioning", "expected"),
    [
        (None, False, "!{timestamp:yyyy/MM/dd/HH/}"),
        ("", False, "!{timestamp:yyyy/MM/dd/HH/}"),
        ("logs/", False, "logs/!{timestamp:yyyy/MM/dd/HH/}"),
        ("logs", False, "logs!{timestamp:yyyy/MM/dd/HH/}"),  # appended as the rule says, no '/' inserted
        ("r/!{firehose:random-string}/", False, "r/!{firehose:random-string}/!{timestamp:yyyy/MM/dd/HH/}"),
        (WEB_LOGS, False, WEB_LOGS),
        (IOT, True, IOT),
        ("static/", True, "static/"),
    ],
)
def test_the_default_timestamp_is_appended_only_without_one_and_without_dynamic_partitioning(
    prefix: str | None, dynamic_partitioning: bool, expected: str
) -> None:
    assert with_default_timestamp(prefix, dynamic_partitioning=dynamic_partitioning) == expected


def test_default_prefix_evaluates_hourly() -> None:
    template = with_default_timestamp(None, dynamic_partitioning=False)
    assert evaluate(template, arrival=datetime(2018, 8, 27, 10, 30, tzinfo=UTC)) == "2018/08/27/10/"


def test_an_unset_error_prefix_follows_the_dg_example() -> None:
    template = error_prefix_for(None, "myFirehosePrefix/")
    assert template == "myFirehosePrefix/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}"
    at = datetime(2018, 8, 27, 10, 30, tzinfo=UTC)
    assert evaluate(template, arrival=at, error_output_type="processing-failed") == (
        "myFirehosePrefix/processing-failed/2018/08/27/10/"
    )
    assert error_prefix_for("", None) == "!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH/}"


def test_a_set_error_prefix_is_used_as_is_without_a_default_timestamp() -> None:
    template = error_prefix_for("myFirehoseFailures/!{firehose:error-output-type}/", WEB_LOGS)
    assert evaluate(template, error_output_type="format-conversion-failed") == (
        "myFirehoseFailures/format-conversion-failed/"
    )


def test_an_unset_error_prefix_with_an_expression_prefix_is_rejected() -> None:
    with pytest.raises(PrefixTemplateError, match="ErrorOutputPrefix cannot be null or empty"):
        error_prefix_for(None, "!{timestamp:yyyy/MM/dd}")


@pytest.mark.parametrize(
    ("template", "error_prefix", "dynamic_partitioning", "message"),
    [
        ("d/!{firehose:error-output-type}/", False, False, "Prefix cannot contain !{firehose:error-output-type}"),
        (IOT, False, False, "exist only with dynamic partitioning"),
        ("e/!{timestamp:yyyy}/", True, False, "must contain !{firehose:error-output-type}"),
        ("e/!{firehose:error-output-type}/!{partitionKeyFromQuery:k}/", True, True, "cannot use partition keys"),
    ],
)
def test_prefix_rules(template: str, error_prefix: bool, dynamic_partitioning: bool, message: str) -> None:
    with pytest.raises(PrefixTemplateError, match=re.escape(message)):
        validate_prefix(template, error_prefix=error_prefix, dynamic_partitioning=dynamic_partitioning)


@pytest.mark.parametrize(
    ("template", "error_prefix", "dynamic_partitioning"),
    [(WEB_LOGS, False, False), (WEB_LOGS_ERRORS, True, False), (IOT, False, True), ("static/", True, False)],
)
def test_valid_prefixes_pass(template: str, error_prefix: bool, dynamic_partitioning: bool) -> None:
    validate_prefix(template, error_prefix=error_prefix, dynamic_partitioning=dynamic_partitioning)


@given(moment=moments, zone=st.sampled_from([None, "Asia/Tokyo", "America/Los_Angeles", "Australia/Adelaide"]))
def test_object_names_carry_the_time_in_the_custom_time_zone(moment: datetime, zone: str | None) -> None:
    name = object_name(
        stream_name="web-logs", version=1, moment=moment, time_zone=zone, uuid="0b1c-uuid", extension=".json.gz"
    )
    local = moment.astimezone(ZoneInfo(zone) if zone else UTC)
    assert name == f"web-logs-1-{local.strftime('%Y-%m-%d-%H-%M-%S')}-0b1c-uuid.json.gz"


def test_object_name_example() -> None:
    name = object_name(
        stream_name="s", version=3, moment=ARRIVAL + timedelta(days=40), time_zone=None, uuid="u", extension=""
    )
    assert name == "s-3-2027-01-05-09-41-03-u"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        evaluate("x/", arrival=datetime(2026, 1, 1))  # naive: the point of the test

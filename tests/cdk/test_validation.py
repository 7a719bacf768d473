"""The checks every option rule is built from: ranges, whole units, prefixes, and ConfigurationError's path."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, Size
from cdk_helpers import make_app

from firehose_s3_constructs.validation import (
    ConfigurationError,
    PrefixExpression,
    check_buffering,
    check_range,
    literal_number,
    literal_seconds,
    parse_prefix,
    prefix_keys,
    static_part,
    unresolved,
    whole_mebibytes,
    whole_seconds,
)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("data/year=!{timestamp:yyyy}/", "data/year="),
        ("!{firehose:random-string}/x", ""),
        ("plain/", "plain/"),
        ("", ""),
    ],
)
def test_static_part(prefix: str, expected: str) -> None:
    assert static_part(prefix) == expected


def test_parse_prefix_returns_every_expression_in_order() -> None:
    expressions = parse_prefix("p", "a/!{timestamp:yyyy}/k=!{partitionKeyFromQuery:k}/!{firehose:random-string}")
    assert expressions == [
        PrefixExpression("timestamp", "yyyy"),
        PrefixExpression("partitionKeyFromQuery", "k"),
        PrefixExpression("firehose", "random-string"),
    ]
    assert [e.text for e in expressions] == [
        "!{timestamp:yyyy}",
        "!{partitionKeyFromQuery:k}",
        "!{firehose:random-string}",
    ]
    assert prefix_keys("d/a=!{partitionKeyFromQuery:a}/b=!{partitionKeyFromLambda:b}/", "partitionKeyFromLambda") == [
        "b"
    ]


@pytest.mark.parametrize(
    ("size", "interval", "minimums", "message"),
    [
        (Size.mebibytes(129), Duration.seconds(60), {}, "buffering_size must be between 1 and 128 MiB, got 129 MiB"),
        (
            Size.mebibytes(32),
            Duration.seconds(60),
            {"minimum_size_mib": 64, "reason": "why"},
            r"buffering_size must be between 64 and 128 MiB \(why\), got 32 MiB",
        ),
        (
            Size.mebibytes(64),
            Duration.seconds(30),
            {"minimum_interval_s": 60},
            "buffering_interval must be between 60 and 900 seconds, got 30 s",
        ),
    ],
)
def test_check_buffering_ranges(size: Size, interval: Duration, minimums: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_buffering(buffering_size=size, buffering_interval=interval, **minimums)  # type: ignore[arg-type]


def test_check_buffering_accepts_the_limits() -> None:
    check_buffering(buffering_size=Size.mebibytes(128), buffering_interval=Duration.seconds(900))
    check_buffering(buffering_size=Size.mebibytes(1), buffering_interval=Duration.seconds(0))


def test_whole_units() -> None:
    assert whole_seconds("t", Duration.minutes(2)) == 120
    assert whole_mebibytes("s", Size.gibibytes(1)) == 1024
    with pytest.raises(ConfigurationError, match=r"t must be a whole number of seconds, got 1.5 s"):
        whole_seconds("t", Duration.millis(1500))
    with pytest.raises(ConfigurationError, match=r"s must be a whole number of MiB, got 0.5 MiB"):
        whole_mebibytes("s", Size.kibibytes(512))


def test_check_range_names_the_option_the_range_and_the_value() -> None:
    check_range("n", 3, 1, 3)
    with pytest.raises(ConfigurationError, match=r"^n must be between 1 and 3 seconds, got 4 seconds$"):
        check_range("n", 4, 1, 3, "seconds")


def test_configuration_error_is_located_at_a_construct_once() -> None:
    scope = cdk.Stack(make_app(), "Stack")
    error = ConfigurationError("x must be y, got z")
    assert (str(error), error.path, error.message) == ("x must be y, got z", None, "x must be y, got z")
    located = error.at(scope)
    assert (str(located), located.path, located.message) == ("Stack: x must be y, got z", "Stack", "x must be y, got z")
    assert located.at(cdk.Stack(make_app(), "Other")) is located
    assert isinstance(located, ValueError)


def test_tokens_pass_and_literals_are_required_only_where_synth_computes_with_them() -> None:
    stack = cdk.Stack(make_app(), "Stack")
    number = cdk.CfnParameter(stack, "Number", type="Number").value_as_number
    seconds = Duration.seconds(number)
    size = Size.mebibytes(number)
    assert unresolved(seconds)
    assert unresolved(size)
    assert unresolved(number)
    assert not unresolved(Duration.seconds(1))
    assert whole_seconds("t", seconds) is None
    assert whole_mebibytes("s", size) is None
    check_range("n", number, 1, 3)
    check_range("n", None, 1, 3)
    check_buffering(buffering_size=size, buffering_interval=seconds)
    assert literal_seconds("t", Duration.minutes(1), "the threshold") == 60
    with pytest.raises(ConfigurationError, match=r"^t must be a literal Duration, not a token: the threshold$"):
        literal_seconds("t", seconds, "the threshold")
    with pytest.raises(ConfigurationError, match=r"^n must be a literal number, not a token: the threshold$"):
        literal_number("n", number, "the threshold")
    assert literal_number("n", 0.5, "the threshold") == 0.5

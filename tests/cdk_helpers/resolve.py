"""What the resolve tests share (test_config, test_partition_rules, test_table_rules): prefixes, scratch
constructs the options refer to, and the rejection check. Pure: nothing is synthesized."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from cdk_helpers import make_app
from firehose_s3_constructs import ConfigurationError, PipelineOptions, resolve

HOURLY = "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
ERRORS = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"


@dataclass(frozen=True)
class Scratch:
    """Constructs the options refer to, in a stack that is never synthesized."""

    stream: kinesis.Stream
    key: kms.Key
    bucket: s3.IBucket
    imported_function: lambda_.IFunction
    function: lambda_.Function
    slow_function: lambda_.Function


def inline_function(stack: cdk.Stack, id: str, timeout: Duration) -> lambda_.Function:
    """A user's own transform function (inline code that returns the event)."""
    return lambda_.Function(
        stack,
        id,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        timeout=timeout,
    )


def make_scratch() -> Scratch:
    """The scratch constructs, in a stack of their own."""
    stack = cdk.Stack(make_app(), "Scratch")
    return Scratch(
        stream=kinesis.Stream(stack, "Source"),
        key=kms.Key(stack, "Key", enable_key_rotation=True),
        bucket=s3.Bucket.from_bucket_name(stack, "Existing", "backup"),
        imported_function=lambda_.Function.from_function_arn(
            stack, "Imported", "arn:aws:lambda:eu-west-1:111122223333:function:transform"
        ),
        function=inline_function(stack, "Mine", Duration.minutes(2)),
        slow_function=inline_function(stack, "Slow", Duration.minutes(6)),
    )


def rejected(options: PipelineOptions, pattern: str) -> None:
    """Assert that resolve refuses ``options`` with a message matching ``pattern``."""
    with pytest.raises(ConfigurationError, match=pattern):
        resolve(options)

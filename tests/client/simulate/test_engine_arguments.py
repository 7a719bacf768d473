"""engine_arguments: the options simulate and serve share, with the same names, defaults and checks."""

from __future__ import annotations

import argparse

import pytest

from firehose_s3_client.errors import EXIT_USAGE, CliError
from firehose_s3_client.simulate.engine_arguments import add_engine_arguments, check_engine_arguments
from firehose_transform.contract import DEFAULT_ACTIVE_PARTITIONS


def _parser(*, per_stack: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="test")
    parser.add_argument("--out")
    add_engine_arguments(parser, per_stack=per_stack)
    return parser


def test_defaults_are_the_engines() -> None:
    args = _parser(per_stack=False).parse_args([])
    assert (args.processor, args.endpoint_url, args.bucket, args.secret) == (None, None, [], [])
    assert (args.seed, args.region, args.function_log, args.quiet) == (0, "us-east-1", None, False)
    assert args.active_partitions == DEFAULT_ACTIVE_PARTITIONS == 500


@pytest.mark.parametrize(("per_stack", "metavar"), [(False, "LOGICAL_ID=NAME"), (True, "[STACK/]LOGICAL_ID=NAME")])
def test_serve_may_name_the_stack_of_a_bucket(per_stack: bool, metavar: str) -> None:
    assert f"--bucket {metavar}" in _parser(per_stack=per_stack).format_help()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--out DIR is required"),
        (["--out", "d", "--bucket", "B=b"], "--bucket only applies with --endpoint-url"),
        (["--out", "d", "--active-partitions", "0"], "--active-partitions must be at least 1"),
    ],
)
def test_bad_combinations_are_usage_errors(argv: list[str], message: str) -> None:
    args = _parser(per_stack=True).parse_args(argv)
    with pytest.raises(CliError, match=message) as caught:
        check_engine_arguments(args)
    assert caught.value.exit_code == EXIT_USAGE


def test_an_endpoint_with_buckets_needs_no_out() -> None:
    check_engine_arguments(_parser(per_stack=False).parse_args(["--endpoint-url", "http://s3", "--bucket", "B=b"]))

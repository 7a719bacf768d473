"""What the ``firehose-s3`` subcommands share: the parser class, AWS and producer options, clients, messages."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any, NoReturn

import boto3
from botocore.exceptions import ClientError, NoCredentialsError

from firehose_s3_client.aws_clients import DEFAULT_READ_TIMEOUT_SECONDS, create_boto3_client
from firehose_s3_client.console import one_line
from firehose_s3_client.errors import EXIT_STATUSES, EXIT_USAGE
from firehose_s3_client.failures import FailedRecord
from firehose_s3_client.producer import DEFAULT_MAX_BUFFERED_SECONDS, MAX_RECORD_BYTES, FirehoseProducer, RetryPolicy

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_SECONDS",
    "HelpFormatter",
    "Parser",
    "add_aws_options",
    "add_producer_options",
    "client_error_message",
    "client_from_args",
    "exit_status_epilog",
    "failure_message",
    "make_producer",
]

#: The CLI's connect timeout: shorter than botocore's 60 s, so an unreachable endpoint is retried within the
#: retry budget instead of using it up in one attempt.
DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0

_CREDENTIAL_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
        "AuthFailure",
    }
)


def exit_status_epilog() -> str:
    """The exit-status table of ``--help`` (from :data:`~firehose_s3_client.errors.EXIT_STATUSES`)."""
    rows = [
        textwrap.fill(meaning, width=100, initial_indent=f"  {status:<5}", subsequent_indent=" " * 7)
        for status, meaning in EXIT_STATUSES
    ]
    return (
        "exit status:\n"
        + "\n".join(rows)
        + "\n\nErrors are one line on stderr; FIREHOSE_S3_DEBUG=1 shows the traceback."
    )


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that the exit-status epilog keeps its layout."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("exit status:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (no usage dump); pass ``epilog=exit_status_epilog()`` for the table."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS connection")
    group.add_argument("--region", help="AWS region (default: AWS_REGION/AWS_DEFAULT_REGION or the profile's)")
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: AWS_PROFILE or default)")
    group.add_argument("--endpoint-url", help="custom endpoint, e.g. http://127.0.0.1:5000 for a local moto server")


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def add_producer_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sending")
    group.add_argument(
        "--aggregate-bytes",
        type=int,
        default=MAX_RECORD_BYTES,
        metavar="N",
        help=f"aggregate size cap in bytes, 5120-{MAX_RECORD_BYTES} (default: %(default)s)",
    )
    group.add_argument(
        "--max-retry-seconds",
        type=float,
        default=60.0,
        metavar="S",
        help="time budget per batch: throttling, 5xx answers and connection failures are retried with backoff, "
        "and a last attempt is made when it ends (default: %(default)s)",
    )
    group.add_argument(
        "--max-attempts", type=_at_least_one, metavar="N", help="also stop after N calls per batch (default: no cap)"
    )
    group.add_argument(
        "--connect-timeout",
        type=_positive,
        default=DEFAULT_CONNECT_TIMEOUT_SECONDS,
        metavar="S",
        help="seconds to wait for a connection (default: %(default)s)",
    )
    group.add_argument(
        "--read-timeout",
        type=_positive,
        default=DEFAULT_READ_TIMEOUT_SECONDS,
        metavar="S",
        help="seconds to wait for an answer (default: %(default)s)",
    )
    group.add_argument(
        "--max-buffered-seconds",
        type=_positive,
        default=DEFAULT_MAX_BUFFERED_SECONDS,
        metavar="S",
        help="send buffered records once the oldest has waited S seconds, for slow input (default: %(default)s)",
    )


def client_from_args(service: str, args: argparse.Namespace, *, botocore_retries: bool = False) -> Any:
    """A client from --region/--profile/--endpoint-url (and the timeouts, when the command has them).

    Fails fast (before any input is read) when no credentials can be found.
    """
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    if session.get_credentials() is None:
        raise NoCredentialsError()
    timeouts = {name: getattr(args, name) for name in ("connect_timeout", "read_timeout") if getattr(args, name, None)}
    return create_boto3_client(
        service, session=session, endpoint_url=args.endpoint_url, botocore_retries=botocore_retries, **timeouts
    )


def make_producer(
    args: argparse.Namespace, *, on_failure: Callable[[list[FailedRecord]], None], aggregate: bool
) -> FirehoseProducer:
    return FirehoseProducer(
        args.stream,
        client=client_from_args("firehose", args),
        aggregate=aggregate,
        aggregate_max_bytes=args.aggregate_bytes,
        retry=RetryPolicy(max_attempts=args.max_attempts, max_elapsed_seconds=args.max_retry_seconds),
        max_buffered_seconds=args.max_buffered_seconds,
        on_failure=on_failure,
    )


def client_error_message(exc: ClientError, *, stream: str | None, bucket: str | None) -> str:
    """One line for an AWS error answer, naming the stream or bucket it is about."""
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code", "Unknown"))
    message = one_line(error.get("Message", "") or exc)
    operation = getattr(exc, "operation_name", "request")
    if code == "ResourceNotFoundException" and stream:
        return f"delivery stream {stream!r} not found ({code}: {message})"
    if code in {"NoSuchBucket", "404"} and bucket:
        return f"bucket {bucket!r} does not exist ({code})"
    if code in _CREDENTIAL_ERROR_CODES:
        return f"AWS rejected the credentials ({code}: {message})"
    if "AccessDenied" in code or code == "403":
        return f"access denied for {operation} ({code}: {message})"
    return f"{operation} failed ({code}: {message})"


def failure_message(failure: FailedRecord, stream: str) -> str:
    """Why sending stopped, from the first record that could not be delivered."""
    code, message = failure.error_code, one_line(failure.error_message)
    if code == "ResourceNotFoundException":
        return f"delivery stream {stream!r} not found ({message})"
    if code == "NoCredentialsError":
        return "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile)"
    if code in _CREDENTIAL_ERROR_CODES:
        return f"AWS rejected the credentials ({code}: {message})"
    if "AccessDenied" in code:
        return f"access denied to delivery stream {stream!r} ({code}: {message})"
    if failure.retryable:
        return f"sending to {stream!r} still failed when the retries ran out ({code}: {message})"
    return f"sending to {stream!r} failed ({code}: {message})"

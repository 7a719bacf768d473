"""``firehose-s3``: send records to Firehose, verify what reached S3, replay errors, run a stack's stream locally.

Commands (each takes ``--region``, ``--profile`` and ``--endpoint-url``)::

    firehose-s3 put --stream NAME [--failed-output F] [--manifest M] [--raw] [FILE|-]
    firehose-s3 verify --bucket B [--prefix P] [--since TIME] [--expect N | --manifest M] [--timeout S]
    firehose-s3 replay --bucket B --prefix ERROR_PREFIX --stream NAME [--dry-run]
    firehose-s3 simulate --app cdk.out --stack STACK --input FILE --out DIR     (docs/simulate.md)
    firehose-s3 query --app cdk.out --stack STACK --data DIR "SQL"               (docs/query.md)
    firehose-s3 serve --app cdk.out [--stack STACK ...] --out DIR               (docs/serve.md)
    firehose-s3 --version

Exit status (the same table is in ``--help`` and docs/producer.md):

    0    success: put delivered every record it read (skipped lines are reported, they do not change this);
         verify found the expected records and no error or unreadable object; replay re-sent every record;
         simulate completed (failed records included: they are in the error output); query ran; serve shut down
         cleanly, every buffer flushed
    1    something was not delivered or not found: put stopped (retries ran out, a permanent error such as a
         missing stream or denied access) and listed the undelivered records; verify's check failed; replay left
         records; or an AWS error (missing stream or bucket, credentials, region, profile, access); simulate,
         query or serve could not run (a missing or unreadable cloud assembly, an unknown stack or stream, a
         configuration the local engine does not reproduce, named)
    2    bad command line or input: unknown option, unreadable or unwritable file, bad --since, a --strict
         violation, a manifest that is not one, input with no valid record (put /bin/ls)
    130  interrupted (Ctrl-C; for serve, a second Ctrl-C during the flush); put still accounted for every record
         read
    143  terminated (SIGTERM); put still accounted for every record read

Errors are one line on stderr (``firehose-s3: error: ...``), never a traceback (set ``FIREHOSE_S3_DEBUG=1`` to
get the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from firehose_s3_client import put_command, replay_command, verify_command
from firehose_s3_client.cli_common import Parser, client_error_message, exit_status_epilog
from firehose_s3_client.console import one_line
from firehose_s3_client.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, PROG, CliError
from firehose_s3_client.simulate import commands as simulator_commands

__all__ = ["build_parser", "main", "version"]

DISTRIBUTION = "firehose-s3-constructs"


def version() -> str:
    """The installed distribution's version (``unknown`` when running from a source tree that is not installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``firehose-s3`` argument parser."""
    parser = Parser(
        prog=PROG,
        description="Send JSON lines to an Amazon Data Firehose stream, verify delivery to S3, replay error records.",
        epilog=exit_status_epilog(),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    put_command.add_command(commands)
    verify_command.add_command(commands)
    replay_command.add_command(commands)
    simulator_commands.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``firehose-s3`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    stream = getattr(args, "stream", None)
    bucket = getattr(args, "bucket", None)
    try:
        return int(args.handler(args))
    except CliError as exc:
        message, code = str(exc), exc.exit_code
    except ProfileNotFound:
        message, code = f"AWS profile {args.profile!r} not found", EXIT_FAILED
    except NoRegionError:
        message, code = "no AWS region configured: pass --region or set AWS_REGION", EXIT_FAILED
    except (NoCredentialsError, PartialCredentialsError):
        message = "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --profile)"
        code = EXIT_FAILED
    except ClientError as exc:
        message, code = client_error_message(exc, stream=stream, bucket=bucket), EXIT_FAILED
    except BotoCoreError as exc:
        message, code = str(exc), EXIT_FAILED
    except ValueError as exc:  # e.g. an out-of-range producer option
        message, code = str(exc), EXIT_USAGE
    except KeyboardInterrupt:
        message, code = "interrupted", EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get("FIREHOSE_S3_DEBUG"):
            raise
        message, code = f"unexpected {type(exc).__name__}: {exc}", EXIT_FAILED
    sys.stdout.flush()
    sys.stderr.write(f"{PROG}: error: {one_line(message)}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())

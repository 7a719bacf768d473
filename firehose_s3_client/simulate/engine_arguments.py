"""The command-line options ``simulate`` and ``serve`` share: how the engine runs a stream and where it writes.

Both commands take them with the same names, defaults and checks, so a pipeline tried with one behaves the
same under the other. ``serve`` may serve several stacks at once, so its ``--bucket`` and ``--secret`` may
name the stack (``STACK/LOGICAL_ID=VALUE``); ``simulate`` runs one stack and takes ``LOGICAL_ID=VALUE``.
Kept free of the engine's imports: the CLI builds its parser without loading the engine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from firehose_s3_client.errors import EXIT_FAILED, EXIT_USAGE, CliError
from firehose_transform.contract import DEFAULT_ACTIVE_PARTITIONS

__all__ = ["add_engine_arguments", "check_engine_arguments", "write_report"]


def add_engine_arguments(parser: argparse.ArgumentParser, *, per_stack: bool) -> None:
    """Add the engine's options; with ``per_stack``, ``--bucket`` and ``--secret`` may be prefixed ``STACK/``."""
    scope = "[STACK/]" if per_stack else ""
    parser.add_argument("--processor", help="run module:function as the Lambda transform instead of the asset")
    parser.add_argument("--endpoint-url", help="put objects to this S3 API instead of --out")
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar=f"{scope}LOGICAL_ID=NAME",
        help="bucket name for --endpoint-url",
    )
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar=f"{scope}LOGICAL_ID=VALUE",
        help="local value of a stack secret",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of object UUIDs and random strings (default 0)")
    parser.add_argument("--region", default="us-east-1", help="simulated region (default us-east-1)")
    parser.add_argument("--function-log", type=Path, help="append the Lambda functions' output here")
    parser.add_argument(
        "--active-partitions",
        type=int,
        default=DEFAULT_ACTIVE_PARTITIONS,
        help=f"active dynamic partitions allowed (default {DEFAULT_ACTIVE_PARTITIONS}, the Firehose quota)",
    )
    parser.add_argument("--quiet", action="store_true", help="print no summary")


def check_engine_arguments(args: argparse.Namespace) -> None:
    """Raise a usage :class:`CliError` for engine options that cannot go together or are out of range."""
    if args.out is None and args.endpoint_url is None:
        raise CliError("--out DIR is required (or --endpoint-url URL with --bucket LOGICAL_ID=NAME)", EXIT_USAGE)
    if args.bucket and args.endpoint_url is None:
        raise CliError("--bucket only applies with --endpoint-url", EXIT_USAGE)
    if args.active_partitions < 1:
        raise CliError("--active-partitions must be at least 1", EXIT_USAGE)


def write_report(path: Path, document: dict[str, Any]) -> None:
    """Write ``--report``'s JSON document; an unwritable path is a one-line :class:`CliError` (exit 1)."""
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write the report {str(path)!r}: {error.strerror or error}", EXIT_FAILED) from None

"""Registers the local-engine subcommands (``simulate``, ``query``, ``serve``) on the ``firehose-s3`` parser.

Each command module imports its heavy dependencies only when it runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from firehose_s3_client.serve import serve_command
from firehose_s3_client.simulate import query_command, simulate_command


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``simulate``, ``query`` and ``serve`` subcommands to ``firehose-s3``'s subparsers."""
    simulate_command.add_command(commands)
    query_command.add_command(commands)
    serve_command.add_command(commands)

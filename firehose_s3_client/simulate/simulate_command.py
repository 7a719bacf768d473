"""The ``firehose-s3 simulate``  command (being built: registers nothing yet)."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``simulate`` to the subparsers."""
    del commands

"""The ``firehose-s3`` command's exit statuses and its one-line error, shared by every subcommand module."""

from __future__ import annotations

PROG = "firehose-s3"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """An error reported as one line on stderr (``firehose-s3: error: ...``), with an exit status."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code

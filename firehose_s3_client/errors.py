"""The ``firehose-s3`` command's exit statuses and its one-line error, shared by every subcommand module."""

from __future__ import annotations

PROG = "firehose-s3"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
#: 128 + the signal number, as shells report a command stopped by a signal.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: (status, meaning) of every exit status, for ``--help`` (the CLI module docstring and docs/producer.md repeat
#: it; a test keeps the three in step).
EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (
        EXIT_OK,
        "success: put delivered every record it read (skipped lines are reported, they do not change this); "
        "verify found the expected records and no error or unreadable object; replay re-sent every record; "
        "simulate completed (failed records included: they are in the error output); query ran; serve shut down "
        "cleanly, every buffer flushed",
    ),
    (
        EXIT_FAILED,
        "something was not delivered or not found: put stopped (retries ran out, a permanent error such as a "
        "missing stream or denied access) and listed the undelivered records; verify's check failed; replay left "
        "records; or an AWS error (missing stream or bucket, credentials, region, profile, access); simulate, "
        "query or serve could not run (a missing or unreadable cloud assembly, an unknown stack or stream, a "
        "configuration the local engine does not reproduce, named)",
    ),
    (
        EXIT_USAGE,
        "bad command line or input: unknown option, unreadable or unwritable file, bad --since, a --strict "
        "violation, a manifest that is not one, input with no valid record (put /bin/ls)",
    ),
    (
        EXIT_INTERRUPTED,
        "interrupted (Ctrl-C; for serve, a second Ctrl-C during the flush); put still accounted for every record read",
    ),
    (EXIT_TERMINATED, "terminated (SIGTERM); put still accounted for every record read"),
)


class CliError(Exception):
    """An error reported as one line on stderr (``firehose-s3: error: ...``), with an exit status."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code

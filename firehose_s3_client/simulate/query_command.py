"""The ``firehose-s3 query`` command: Athena SQL over simulated output through the stack's Glue tables.

::

    firehose-s3 query --app cdk.out --stack STACK --data DIR "SQL" [--format table|csv|json]

``DIR`` is what ``firehose-s3 simulate --out DIR`` wrote (``DIR/<bucket logical ID>/<key>``). The tables are
the stack's ``AWS::Glue::Table`` resources, named ``"<database>"."<table>"`` as in the template (see
:mod:`.query` and docs/query.md). Exit status: 0 when the query ran (whatever it returned); 1 when it could
not run (missing or unreadable cloud assembly, unknown stack, a table this engine cannot read, a SQL error, an
object whose data does not fit its table, an injected partition column the query does not filter); 2 for a
bad command line (a missing option, an unknown ``--format``, a ``--data`` that is not a directory, empty SQL).
Errors are one line on stderr, never a traceback. A referenced table with no objects is noted on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from firehose_s3_client.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG, CliError

__all__ = ["add_command", "run"]

_FORMATS = ("table", "csv", "json")  # query.FORMATS, repeated so that --help does not import duckdb


def add_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``query`` to the subparsers."""
    parser = commands.add_parser(
        "query",
        help="run Athena SQL over simulated output through the stack's Glue tables (DuckDB)",
        description=(
            "Run SQL over the objects `firehose-s3 simulate` wrote, through the stack's Glue tables: database and "
            "table names as in the template, columns and types from the table, partition columns from its "
            "projection. Trino functions the README uses are defined as macros. See docs/query.md."
        ),
    )
    parser.add_argument("--app", required=True, type=Path, help="the cloud assembly directory (cdk.out)")
    parser.add_argument("--stack", required=True, help="the stack (artifact ID or stack name)")
    parser.add_argument("--data", required=True, type=Path, help="what `simulate --out` wrote (DIR/<bucket>/<key>)")
    parser.add_argument("--format", choices=_FORMATS, default="table", help="output format (default table)")
    parser.add_argument("sql", help='the query, e.g. \'SELECT count(*) FROM "db"."table"\'')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``firehose-s3 query``."""
    if not args.data.is_dir():
        raise CliError(f"--data {args.data} is not a directory (the --out of `firehose-s3 simulate`)", EXIT_USAGE)
    if not args.sql.strip():
        raise CliError("the SQL query is empty", EXIT_USAGE)
    from firehose_s3_client.simulate.assembly import AssemblyError, load_stack
    from firehose_s3_client.simulate.glue_table import SchemaError
    from firehose_s3_client.simulate.query import QueryError, format_result, run_query

    notices: list[str] = []
    try:
        stack = load_stack(args.app, args.stack)
        result = run_query(stack, args.data, args.sql, notices)
    except (AssemblyError, SchemaError, QueryError) as error:
        raise CliError(str(error), EXIT_FAILED) from None
    finally:
        for notice in notices:
            sys.stderr.write(f"{PROG}: note: {notice}\n")
    sys.stdout.write(format_result(result, args.format))
    return EXIT_OK

"""`firehose-s3 query` as users run it: a subprocess, one-line errors, documented exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from firehose_s3_client.cli import main
from firehose_s3_client.simulate import query, query_command
from firehose_s3_client.simulate.compression import compress

BUCKET = "DataBucket"
TABLE = {
    "Type": "AWS::Glue::Table",
    "Properties": {
        "DatabaseName": {"Ref": "Db"},
        "TableInput": {
            "Name": "events",
            "StorageDescriptor": {
                "Columns": [{"Name": "id", "Type": "string"}, {"Name": "n", "Type": "int"}],
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "Location": {"Fn::Join": ["", ["s3://", {"Ref": BUCKET}, "/data/"]]},
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("query-cli")
    app = root / "cdk.out"
    app.mkdir()
    resources = {
        "Db": {"Type": "AWS::Glue::Database", "Properties": {"DatabaseInput": {"Name": "app_db"}}},
        BUCKET: {"Type": "AWS::S3::Bucket"},
        "Events": TABLE,
    }
    (app / "App.template.json").write_text(json.dumps({"Resources": resources}))
    artifact = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "App.template.json"}}
    (app / "manifest.json").write_text(json.dumps({"artifacts": {"App": artifact}}))
    data = root / "local-s3"
    objects = data / BUCKET / "data" / "2026" / "11" / "26" / "09"
    objects.mkdir(parents=True)
    body = b'{"id": "a", "n": 1}\n{"id": "b", "n": 2}\n{"id": "c"}\n'
    (objects / "s-1-2026-11-26-09-00-00-u.gz").write_bytes(compress(body, "GZIP", entry_name="x"))
    return app, data


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """``firehose-s3`` run by its entry point in this process (the subprocess tests below cover the console)."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def firehose_s3(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firehose_s3_client.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def query_args(paths: tuple[Path, Path], sql: str, *extra: str) -> list[str]:
    app, data = paths
    return ["query", "--app", str(app), "--stack", "App", "--data", str(data), *extra, sql]


def test_a_query_prints_a_table(paths: tuple[Path, Path]) -> None:
    done = firehose_s3(*query_args(paths, "SELECT id, n FROM app_db.events ORDER BY id"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "id | n   ",
        "---+-----",
        "a  | 1   ",
        "b  | 2   ",
        "c  | NULL",
        "(3 rows)",
    ]
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("csv", ['"total","with_n"', '"3","2"']),
        ("json", ['{"total": 3, "with_n": 2}']),
    ],
)
def test_csv_and_json_output(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str], fmt: str, expected: list[str]
) -> None:
    sql = 'SELECT count(*) AS total, count(n) AS with_n FROM "app_db"."events"'
    done = in_process(capsys, *query_args(paths, sql, "--format", fmt))
    assert (done.returncode, done.stdout.splitlines()) == (0, expected)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--app", "/nonexistent/cdk.out", "--stack", "App", "--data", "{data}", "SELECT 1"],
            1,
            "cloud assembly not found",
        ),
        (
            ["--app", "{app}", "--stack", "Nope", "--data", "{data}", "SELECT 1"],
            1,
            "stack 'Nope' is not in the cloud assembly",
        ),
        (
            ["--app", "{app}", "--stack", "App", "--data", "{data}", "SELECT nope FROM app_db.events"],
            1,
            'Referenced column "nope" not found',
        ),
        (["--app", "{app}", "--stack", "App", "--data", "{data}/missing", "SELECT 1"], 2, "is not a directory"),
        (["--app", "{app}", "--stack", "App", "--data", "{data}", "  "], 2, "the SQL query is empty"),
        (
            ["--app", "{app}", "--stack", "App", "--data", "{data}", "--format", "xml", "SELECT 1"],
            2,
            "invalid choice: 'xml'",
        ),
        (["--app", "{app}", "--data", "{data}", "SELECT 1"], 2, "the following arguments are required: --stack"),
    ],
)
def test_errors_are_one_line_with_a_documented_status(
    paths: tuple[Path, Path], capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    app, data = paths
    done = in_process(capsys, "query", *(a.format(app=app, data=data) for a in args))
    assert done.returncode == code
    error_lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1, done.stderr
    assert message in error_lines[0]
    assert "Traceback" not in done.stderr


def test_bad_data_is_one_line_from_the_console(paths: tuple[Path, Path], tmp_path: Path) -> None:
    app, _ = paths
    objects = tmp_path / BUCKET / "data"
    objects.mkdir(parents=True)
    (objects / "bad.json").write_bytes(b'{"id": "a", "n": "not a number"}\n')
    done = firehose_s3(
        "query", "--app", str(app), "--stack", "App", "--data", str(tmp_path), "SELECT * FROM app_db.events"
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "firehose-s3: error: HIVE_BAD_DATA: data/bad.json line 1: Data does not match the schema. "
        'For input string: "not a number"'
    )


def test_an_empty_table_is_a_note_not_an_error(
    paths: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _ = paths
    done = in_process(
        capsys,
        "query",
        "--app",
        str(app),
        "--stack",
        "App",
        "--data",
        str(tmp_path),
        "SELECT count(*) AS c FROM app_db.events",
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[-2:] == ["0", "(1 row)"]
    assert done.stderr == f"firehose-s3: note: no objects of app_db.events under {tmp_path / BUCKET / 'data'}\n"


def test_help_and_parsing_do_not_import_duckdb_or_pyarrow(capsys: pytest.CaptureFixture[str]) -> None:
    code = (
        "import sys; from firehose_s3_client.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('duckdb', 'pyarrow', 'jq') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
    helped = in_process(capsys, "query", "--help")
    assert helped.returncode == 0
    assert "--format {table,csv,json}" in helped.stdout


def test_the_command_lists_the_formats_the_library_renders() -> None:
    assert query_command._FORMATS == query.FORMATS

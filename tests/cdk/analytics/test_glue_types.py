"""Glue column types: parsed to their canonical spelling, or refused with the column and the reason."""

from __future__ import annotations

import pytest

from firehose_s3_constructs import ConfigurationError
from firehose_s3_constructs.analytics import check_schema, parse_glue_type
from firehose_s3_constructs.analytics.glue_types import TABLE_FORMATS, check_glue_name


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("string", "string"),
        ("BIGINT", "bigint"),
        ("timestamp", "timestamp"),
        ("decimal", "decimal(10,0)"),
        ("decimal(38, 9)", "decimal(38,9)"),
        ("varchar(64)", "varchar(64)"),
        ("array<struct<k:string, v:array<int>>>", "array<struct<k:string,v:array<int>>>"),
        ("map<string, map<int,boolean>>", "map<string,map<int,boolean>>"),
        (" STRUCT < lat : double , lon : double > ", "struct<lat:double,lon:double>"),
    ],
)
def test_glue_types_are_parsed_to_their_canonical_spelling(given: str, canonical: str) -> None:
    assert parse_glue_type("c", given) == canonical


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("set<string>", "set<...> is not supported.*use array"),
        ("array<set<int>>", "set<...> is not supported"),
        ("integer", "unknown type 'integer'.*did you mean 'int'"),
        ("strin", "unknown type 'strin'"),
        ("struct<a:int", "unexpected end of type"),
        ("struct<a int>", "expected ':'"),
        ("struct<a:int,a:string>", "'a' appears twice"),
        ("map<array<int>,string>", "map keys must be a primitive"),
        ("decimal(39,2)", "precision must be between 1 and 38"),
        ("decimal(5,6)", "scale must be between 0 and the precision"),
        ("varchar", "varchar needs a length"),
        ("int int", "after a complete type"),
        ("uniontype<int,string>", "uniontype is not supported"),
        ("", "non-empty"),
    ],
)
def test_bad_glue_types_name_the_column_and_the_type(given: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=f"column 'payload'.*{reason}"):
        parse_glue_type("payload", given)


def test_schema_is_canonical_and_names_are_checked() -> None:
    assert check_schema({"id": "BIGINT", "tags": "array< string >"}) == {"id": "bigint", "tags": "array<string>"}
    with pytest.raises(ConfigurationError, match=r"column 'tags': invalid Glue type 'set<string>'"):
        check_schema({"id": "string", "tags": "set<string>"})
    with pytest.raises(ConfigurationError, match="column name 'Device-Id' must be"):
        check_schema({"Device-Id": "string"})


def test_glue_names_are_lowercase_letters_digits_and_underscores() -> None:
    check_glue_name("table_name", "web_logs_2")
    with pytest.raises(ConfigurationError, match="table_name"):
        check_glue_name("table_name", "Web-Logs")


def test_table_formats() -> None:
    assert sorted(TABLE_FORMATS) == ["json", "orc", "parquet"]
    assert TABLE_FORMATS["json"].serde == "org.openx.data.jsonserde.JsonSerDe"
    assert TABLE_FORMATS["parquet"].classification == "parquet"

"""JSON -> CSV output: column order, csv-module quoting, nested values, missing columns, no header."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from firehose_transform.csv_output import CsvEncoder, cell
from firehose_transform.engine import Engine

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


def test_columns_in_configured_order_without_header(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    engine = make_engine(output_format="csv", csv_columns=("ts", "user", "status"))
    records = engine.process(event_of({"status": 200, "user": "u1", "ts": "2024-01-01T00:00:00Z", "extra": "x"}))
    assert decode(records["records"][0]) == b"2024-01-01T00:00:00Z,u1,200\n"


def test_missing_columns_and_nulls_are_empty(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    engine = make_engine(output_format="csv", csv_columns=("a", "b", "c"))
    records = engine.process(event_of({"b": None}, {"c": 3}))["records"]
    assert [decode(r) for r in records] == [b",,\n", b",,3\n"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("carriage\rreturn", '"carriage\rreturn"'),
        ("é ü 😀", "é ü 😀"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-(2**63), "-9223372036854775808"),
        (1.5, "1.5"),
        (1e-05, "1e-05"),
        (1e22, "1e+22"),
        ({"b": 1, "a": [1, "x,y"]}, '"{""b"":1,""a"":[1,""x,y""]}"'),
        ([], "[]"),
    ],
)
def test_cell_quoting_follows_the_csv_module(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode, value: Any, text: str
) -> None:
    engine = make_engine(output_format="csv", csv_columns=("id", "v"))
    line = decode(engine.process(event_of({"id": 7, "v": value}))["records"][0]).decode()
    assert line == f"7,{text}\n"
    # and the csv module reads the cell text back
    assert next(csv.reader(io.StringIO(line))) == ["7", cell(value)]


def test_single_empty_column_is_quoted_as_the_csv_module_does() -> None:
    assert CsvEncoder(["a"]).line({"a": ""}) == b'""\n'
    assert CsvEncoder(["a", "b"]).line({}) == b",\n"


def test_csv_drops_and_masks_before_writing(make_engine: EngineFactory, event_of: EventFactory, decode: Decode) -> None:
    engine = make_engine(
        output_format="csv", csv_columns=("email", "pw", "n"), mask_fields=("email",), drop_fields=("pw",)
    )
    record = engine.process(event_of({"email": "jo@x.io", "pw": "secret", "n": 1}))["records"][0]
    assert decode(record) == b"j***@x.io,,1\n"


def test_multi_document_record_becomes_several_lines(
    make_engine: EngineFactory, event_of: EventFactory, decode: Decode
) -> None:
    engine = make_engine(output_format="csv", csv_columns=("a",))
    record = engine.process(event_of(b'{"a": 1}\n{"a": "x,y"}\n'))["records"][0]
    assert decode(record) == b'1\n"x,y"\n'


def test_invalid_documents_still_fail_in_csv_mode(make_engine: EngineFactory, event_of: EventFactory) -> None:
    engine = make_engine(output_format="csv", csv_columns=("a",))
    records = engine.process(event_of(b"[1]", b'{"a": NaN}', b'{"a": 18446744073709551616}'))["records"]
    assert {r["result"] for r in records} == {"ProcessingFailed"}


def test_non_json_values_from_a_user_function_fail_the_record(
    make_engine: EngineFactory, event_of: EventFactory
) -> None:
    def add_bad(doc: dict[str, Any], meta: Any) -> dict[str, Any]:
        doc["a"] = {1, 2} if doc["kind"] == "set" else float("nan")
        return doc

    engine = make_engine(user_function=add_bad, output_format="csv", csv_columns=("a",))
    records = engine.process(event_of({"kind": "set"}, {"kind": "nan"}))["records"]
    assert [r["result"] for r in records] == ["ProcessingFailed", "ProcessingFailed"]


def test_cell_rejects_non_json_types() -> None:
    with pytest.raises(TypeError):
        cell(object())
    with pytest.raises(ValueError, match="NaN"):
        cell(float("inf"))

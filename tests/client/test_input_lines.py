"""Reading put's input: numbered lines from files and pipes, line endings, idle ticks, the size rule, binary input."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest

from firehose_s3_client.errors import CliError
from firehose_s3_client.input_lines import TICK_SECONDS, check_record, number_lines, open_input, sniff_binary
from firehose_transform.contract import MAX_RECORD_BYTES


def test_lines_are_numbered_with_blank_ones_and_their_endings_removed(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a":1}\r\n\n  \n{"b":2}\n{"c":3}')
    with open_input(str(path)) as source:
        assert list(number_lines(source, "in")) == [
            (1, b'{"a":1}'),
            (2, b""),
            (3, b"  "),
            (4, b'{"b":2}'),
            (5, b'{"c":3}'),  # no final newline
        ]


def test_only_one_line_ending_is_removed() -> None:
    assert list(number_lines(io.BytesIO(b"x\r\r\n"), "in")) == [(1, b"x\r")]


def test_a_pipe_is_read_in_the_background_with_ticks_while_it_is_idle() -> None:
    read_end, write_end = os.pipe()
    writer = os.fdopen(write_end, "wb")
    with os.fdopen(read_end, "rb") as reader:
        lines = number_lines(reader, "pipe")
        writer.write(b"one\n")
        writer.flush()
        assert next(lines) == (1, b"one")
        started = time.monotonic()
        assert next(lines) is None  # nothing came: a tick, so the caller can check for a stop request
        assert time.monotonic() - started >= TICK_SECONDS * 0.5

        def finish_writing() -> None:
            writer.write(b"two\nthree\n")
            writer.close()

        threading.Timer(0.05, finish_writing).start()
        rest = [item for item in lines if item is not None]
    assert rest == [(2, b"two"), (3, b"three")]


def test_an_abandoned_iterator_resumes_where_it_stopped() -> None:
    lines = number_lines(io.BytesIO(b"a\nb\nc\n"), "in")
    for item in lines:
        if item == (1, b"a"):
            break
    assert list(lines) == [(2, b"b"), (3, b"c")]


def test_an_unreadable_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError) as excinfo:
        open_input(str(tmp_path / "missing.jsonl"))
    assert excinfo.value.exit_code == 2
    assert "No such file" in str(excinfo.value)


def test_the_record_limit_counts_the_newline() -> None:
    assert check_record(b"{}".ljust(MAX_RECORD_BYTES - 1), raw=True) is None
    too_large = check_record(b"x" * MAX_RECORD_BYTES, raw=True)
    assert too_large is not None
    assert too_large.reason == "too_large"
    assert "1,024,001 bytes with its newline" in too_large.explanation


def test_raw_lines_are_not_checked_as_json() -> None:
    assert check_record(b"plain text", raw=True) is None
    rejection = check_record(b"plain text", raw=False)
    assert rejection is not None
    assert rejection.reason == "invalid_json"


@pytest.mark.parametrize(
    ("first", "binary"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00", True),
        ('{"a": 1}'.encode("utf-16-le"), True),
        ('{"a": 1}'.encode("utf-16"), True),
        (b'{"a": "caf\xe9"}', False),  # not UTF-8, but text: that line is skipped, the file is read
        (b'{"a": 1}', False),
    ],
)
def test_binary_input_is_recognised_by_its_first_line(first: bytes, binary: bool) -> None:
    assert (sniff_binary(first) is not None) is binary

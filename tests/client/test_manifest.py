"""Manifests: digests by content, the file format, and the check of what arrived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firehose_s3_client.errors import CliError
from firehose_s3_client.manifest import FORMAT, Manifest, ManifestCheck, preview, record_digest


def test_the_digest_is_of_the_json_content() -> None:
    same = [b'{"a":1,"b":"\xc3\xa9"}', b'{ "b" : "\\u00e9", "a" : 1 }', b'  {"b":"\xc3\xa9","a":1}\r']
    assert len({record_digest(line) for line in same}) == 1
    assert record_digest(b'{"a":1}') != record_digest(b'{"a":1.0}')
    assert record_digest(b'{"a":1}') != record_digest(b'{"a":2}')


def test_lines_that_are_not_json_objects_are_digested_as_bytes() -> None:
    assert record_digest(b"plain,csv,line") != record_digest(b"plain,csv,line ")
    assert record_digest(b"[1, 2]") != record_digest(b"[1,2]")  # an array is not a record of the transform
    assert len(record_digest(b"x")) == 32


def test_a_manifest_round_trips(tmp_path: Path) -> None:
    manifest = Manifest("events.jsonl", "stream-1")
    manifest.add(1, record_digest(b'{"a":1}'))
    manifest.add(3, record_digest(b'{"a":2}'))
    path = tmp_path / "m.json"
    manifest.write(str(path))
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT
    assert document["count"] == 2
    loaded = Manifest.read(str(path))
    assert (loaded.input, loaded.stream, loaded.lines, loaded.digests) == (
        "events.jsonl",
        "stream-1",
        [1, 3],
        manifest.digests,
    )
    assert not list(tmp_path.glob("*.tmp"))  # written atomically


def test_an_unwritable_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="cannot write the manifest"):
        Manifest("in", "s").write(str(tmp_path / "missing-dir" / "m.json"))


def check_of(*lines: bytes) -> ManifestCheck:
    manifest = Manifest("in", "s")
    for number, line in enumerate(lines, start=1):
        manifest.add(number, record_digest(line))
    return ManifestCheck(manifest)


def test_the_check_finds_missing_unexpected_and_duplicate_records() -> None:
    check = check_of(b'{"n":1}', b'{"n":2}', b'{"n":2}', b'{"n":3}')
    check.add_data("k1", b'{"n":1}\n{"n":2}\n\n{"n":9}\n')
    check.add_data("k2", b'{"n":1}\n')
    assert check.missing_lines() == [3, 4]  # one of the two {"n":2}, and {"n":3}
    assert [(a.key, a.line) for a in check.unexpected] == [("k1", 4)]
    assert check.duplicates() == 1
    assert check.arrived_expected == 2
    assert not check.complete()


def test_records_in_error_objects_complete_the_check_only_when_counted() -> None:
    check = check_of(b'{"n":1}', b'{"n":2}')
    check.add_data("k", b'{"n":1}\n')
    check.add_error_record(b'{"n": 2}\n')
    assert not check.complete()
    assert check.complete(counting_errors=True)
    assert check.missing_in_error_objects() == 1


def test_preview_shows_the_first_items() -> None:
    assert preview([1, 2, 3]) == "1, 2, 3"
    assert preview(range(30), limit=3) == "0, 1, 2, ... (first 3 of 30)"

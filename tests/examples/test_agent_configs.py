"""The agent configurations of examples/: Kinesis Agent and Fluent Bit send to the stream the way the docs say."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from firehose_transform import contract

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def read_fluent_bit(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Classic Fluent Bit configuration: ``[SECTION]`` headers, then ``key value`` lines; '#' comments."""
    section: str | None = None
    entries: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            if section is not None:
                yield section, entries
            section, entries = line[1:-1], {}
            continue
        assert section is not None, f"{path}: entry outside a section: {line!r}"
        key, _, value = line.partition(" ")
        entries[key.lower()] = value.strip()
    if section is not None:
        yield section, entries


def test_kinesis_agent_example() -> None:
    config = json.loads((EXAMPLES / "kinesis-agent" / "agent.json").read_text())
    assert config["firehose.endpoint"] == "https://firehose.${AWS_REGION}.amazonaws.com"
    (flow,) = config["flows"]
    assert flow["deliveryStream"] == "${DELIVERY_STREAM}"
    assert flow["filePattern"].startswith("/var/log/")
    (option,) = flow["dataProcessingOptions"]
    assert (option["optionName"], option["logFormat"]) == ("LOGTOJSON", "COMBINEDAPACHELOG")
    assert len(option["customFieldNames"]) == 9  # COMBINEDAPACHELOG's nine fields
    # Packs lines into records just under Firehose's 1,000 KiB record limit (5 KiB billing per record).
    assert contract.MAX_RECORD_BYTES == 1_024_000
    assert 512 * 1024 <= flow["aggregatedRecordSizeBytes"] < contract.MAX_RECORD_BYTES
    assert flow["maxBufferSizeRecords"] <= contract.MAX_BATCH_RECORDS == 500


def test_fluent_bit_example() -> None:
    sections = list(read_fluent_bit(EXAMPLES / "fluent-bit" / "fluent-bit.conf"))
    by_name = dict(sections)
    output = by_name["OUTPUT"]
    assert output["name"] == "kinesis_firehose"
    assert output["delivery_stream"] == "${DELIVERY_STREAM}"
    assert output["region"] == "${AWS_REGION}"
    assert output["time_key"] == "ts"
    assert by_name["INPUT"]["name"] == "tail"
    parsers = {e["name"]: e for _, e in read_fluent_bit(EXAMPLES / "fluent-bit" / by_name["SERVICE"]["parsers_file"])}
    parser = parsers[by_name["INPUT"]["parser"]]
    # Fluent Bit's Onigmo named groups (?<name>...) are Python's (?P<name>...).
    pattern = re.compile(parser["regex"].replace("(?<", "(?P<"))
    line = (
        '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /products/42?x=1 HTTP/1.1" 200 5120 '
        '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"'
    )
    match = pattern.match(line)
    assert match is not None
    assert match.groupdict() == {
        "ip": "203.0.113.9",
        "ident": "-",
        "user": "-",
        "time": "10/Oct/2026:13:55:36 +0000",
        "method": "GET",
        "path": "/products/42?x=1",
        "protocol": "HTTP/1.1",
        "status": "200",
        "bytes": "5120",
        "referrer": "https://example.com/",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    }
    assert parser["types"] == "status:integer bytes:integer"

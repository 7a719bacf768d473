"""The response stays under the Lambda limit of 6,291,556 bytes, as the runtime serializes it."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

from firehose_transform import engine as engine_module
from firehose_transform.contract import LAMBDA_RESPONSE_LIMIT
from firehose_transform.engine import Engine
from firehose_transform.fast_path import CHUNK
from firehose_transform.observability import BatchStats
from firehose_transform.protocol import RESPONSE_LIMIT, response_size
from firehose_transform.response_limit import batch_response_size, fit_response
from firehose_transform.shapes import ResponseRecord

EngineFactory = Callable[..., Engine]
EventFactory = Callable[..., dict[str, Any]]
Decode = Callable[[Any], bytes]


def runtime_size(response: Any) -> int:
    """What the Lambda Python runtime posts: default separators; ASCII escapes before 3.12, UTF-8 after."""
    ascii_form = len(json.dumps(response).encode("utf-8"))
    utf8_form = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    assert utf8_form <= ascii_form
    return ascii_form


def test_engine_accounting_matches_the_serialization(make_engine: EngineFactory, event_of: EventFactory) -> None:
    event = event_of({"a": "é" * 10}, b"bad", '%%%"\\', {"email": "x"}, b'{"a": 1}\n{"b": 2}')
    for fast in (True, False):
        engine = make_engine(drop_fields=("email",), partition_key_fields=("a",))
        engine.fast_loop = fast
        response = engine.process(event)
        stats = BatchStats()
        engine.fit_response(list(response["records"]), event["records"], stats)  # no-op: it fits
        assert runtime_size(response) == response_size(response["records"])


def test_the_ids_are_sized_where_the_response_is_built(
    make_engine: EngineFactory, event_of: EventFactory, monkeypatch: Any
) -> None:
    # Column-wise chunks, a chunk that goes record by record (one bad record) and the exact path only;
    # digit ids (one pass) and ids that need escapes (sized one by one). The engine's counters size the
    # response exactly as the runtime serializes it.
    payloads: list[bytes | str | dict[str, Any]] = [{"i": index, "email": "x"} for index in range(3 * CHUNK)]
    payloads[CHUNK + 5] = b"not json"
    event = event_of(*payloads)
    for index, record in enumerate(event["records"]):
        record["recordId"] = f"4954698668313554428650745793632162567570019247{index:010d}"
    tricky_ids = ['quote"', "back\\slash", "tab\t", "é", "\U0001f600", "", "a-b_c"]
    for record, record_id in zip(event["records"][2 * CHUNK :], tricky_ids, strict=False):
        record["recordId"] = record_id
    seen: list[int] = []

    def checked_fit(out: list[ResponseRecord], records: Any, stats: BatchStats, logger: Any) -> list[ResponseRecord]:
        stats.data_chars = sum(len(record["data"]) for record in out)  # the fast path keeps only a bound
        assert batch_response_size(out, stats) == len(json.dumps({"records": out}))
        seen.append(stats.id_chars)
        return fit_response(out, records, stats, logger)

    monkeypatch.setattr(engine_module, "fit_response", checked_fit)
    for fast in (True, False):
        engine = make_engine(drop_fields=("email",))
        engine.fast_loop = fast
        response = engine.process(event)
        assert [r["result"] for r in response["records"]].count("ProcessingFailed") == 1
    assert len(seen) == 2
    assert seen[0] == seen[1] == sum(len(json.dumps(r["recordId"])) for r in event["records"])


def _big_event(count: int, size: int) -> dict[str, Any]:
    """``count`` records of about ``size`` bytes of JSON each (random text: base64 does not compress it)."""
    records = []
    for index in range(count):
        payload = json.dumps({"i": index, "text": base64.b64encode(os.urandom(size * 3 // 4)).decode()}).encode()
        records.append(
            {
                "recordId": f"495469866831355442865074579363216256757001924711{index:08d}",
                "approximateArrivalTimestamp": 1_700_000_000_000,
                "data": base64.b64encode(payload).decode(),
            }
        )
    return {"invocationId": "i", "deliveryStreamArn": "arn", "region": "us-east-1", "records": records}


def test_enlarging_user_function_overflow_becomes_processing_failed(
    make_engine: EngineFactory, decode: Decode, log_stream: Any
) -> None:
    event = _big_event(1400, 2000)  # ~2.8 MB of data, a normal Firehose batch
    assert runtime_size({"records": event["records"]}) < LAMBDA_RESPONSE_LIMIT

    def triple(doc: dict[str, Any], meta: Any) -> dict[str, Any]:
        doc["copy1"] = doc["text"]
        doc["copy2"] = doc["text"]
        return doc

    response = make_engine(user_function=triple).process(event)
    records = response["records"]
    assert runtime_size(response) <= RESPONSE_LIMIT
    assert [r["recordId"] for r in records] == [r["recordId"] for r in event["records"]]
    results = [r["result"] for r in records]
    first_failed = results.index("ProcessingFailed")
    # the first records stay Ok, the overflowing tail goes to the error prefix with the original data
    assert 0 < first_failed < len(records) - 1
    assert set(results[:first_failed]) == {"Ok"}
    assert set(results[first_failed:]) == {"ProcessingFailed"}
    for record, source in zip(records[first_failed:], event["records"][first_failed:], strict=True):
        assert record["data"] == source["data"]
    assert len(json.loads(decode(records[0]))) == 4
    assert "response limit reached" in log_stream.getvalue()
    # the response really is close to the limit: nothing was failed that did not have to be
    assert runtime_size(response) > RESPONSE_LIMIT - 20_000


def test_metrics_count_the_records_failed_for_size(make_engine: EngineFactory, log_stream: Any) -> None:
    event = _big_event(700, 4000)
    response = make_engine(user_function=lambda doc, meta: {**doc, "copy": doc["text"], "copy2": doc["text"]}).process(
        event
    )
    emf = next(json.loads(line) for line in log_stream.getvalue().splitlines() if '"_aws"' in line)
    failed = sum(r["result"] == "ProcessingFailed" for r in response["records"])
    assert failed > 0
    assert emf["RecordsProcessingFailed"] == failed
    assert emf["RecordsOk"] == len(event["records"]) - failed
    assert emf["BytesOut"] == sum(len(base64.b64decode(r["data"])) for r in response["records"] if r["result"] == "Ok")


def test_when_even_the_originals_do_not_fit(make_engine: EngineFactory, log_stream: Any) -> None:
    # Not a Firehose event (a Firehose request is at most 6 MB): 6.6 MB of base64 originals.
    event = _big_event(3000, 1650)
    assert runtime_size({"records": event["records"]}) > LAMBDA_RESPONSE_LIMIT
    response = make_engine().process(event)
    records = response["records"]
    assert runtime_size(response) <= RESPONSE_LIMIT
    assert [r["recordId"] for r in records] == [r["recordId"] for r in event["records"]]
    assert records[0]["result"] == "Ok"
    assert records[-1] == {"recordId": event["records"][-1]["recordId"], "result": "ProcessingFailed", "data": ""}
    assert "even the original records exceed the response limit" in log_stream.getvalue()


def test_batch_near_the_limit_is_left_alone(make_engine: EngineFactory) -> None:
    event = _big_event(1400, 2800)  # ~5.2 MB of base64 in, a bit less out (compact JSON): fits
    response = make_engine().process(event)
    assert {r["result"] for r in response["records"]} == {"Ok"}
    assert runtime_size(response) <= RESPONSE_LIMIT

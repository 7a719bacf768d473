"""Record IDs: Firehose's length and alphabet, distinct across calls, positions and threads."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor

from firehose_s3_client.serve.record_ids import RECORD_ID_CHARACTERS, RecordIds


def test_ids_look_like_firehose_s() -> None:
    ids = RecordIds().call(3)
    for record_id in ids:
        assert len(record_id) == RECORD_ID_CHARACTERS == 224
        assert re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", record_id)
        assert len(base64.b64decode(record_id, validate=True)) == 168


def test_ids_are_distinct_within_and_across_calls() -> None:
    maker = RecordIds()
    ids = [record_id for _ in range(20) for record_id in maker.call(500)]
    assert len(set(ids)) == len(ids) == 10_000


def test_ids_from_concurrent_calls_are_distinct() -> None:
    maker = RecordIds()
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda _: maker.call(100), range(64)))
    ids = [record_id for batch in batches for record_id in batch]
    assert len(set(ids)) == len(ids) == 6400

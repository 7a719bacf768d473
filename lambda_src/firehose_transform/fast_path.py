"""The engine's fast path: the common case (one JSON object per record, JSON out, drop/mask/hash) at C speed.

It applies when there is no user function, no partition keys and JSON output. The batch is cut into chunks of
:data:`CHUNK` records, and each chunk is processed **column-wise**: one C-level ``map`` per stage (decode,
parse, drop, dump, encode) over the whole chunk, so there is almost no interpreter work per record and the
chunk's data stays in the CPU cache. Anything unusual in a chunk (an exception, a non-object, a value a hot
step does not handle, an integer that may have overflowed) makes that chunk go **record by record**, where
the unusual record, and only it, goes to the engine's exact path.

The fast path returns a record only when the exact path would return the same one, so the results never
depend on which path ran. What that takes on each codec:

* orjson: it already rejects NaN, infinity, lone surrogates, invalid UTF-8 and the byte-order mark; it reads
  an integer beyond 64 bits as a float, though. Its output then holds an exponent of 18 or more
  (:func:`~firehose_transform.codec.may_hold_big_int`): **one** regex scan of the chunk's joined output finds
  any, whatever the data holds (query strings full of ``+`` included), and only the records whose own output
  matches are re-parsed exactly. Values a drop removes are checked by ``Codec.removed_value_ok``;
* the standard library: the C scanner with the codec's hooks (integer range, overflowing floats, constants:
  a value a later duplicate key discards is checked too); the chunk is checked for lone surrogate escapes
  (again one scan of the joined input first), for excess base64 padding and for deep nesting.
"""

from __future__ import annotations

from itertools import repeat
from operator import add, and_, itemgetter, methodcaller, ne

from firehose_transform import codec as codec_module
from firehose_transform import stdlib_json
from firehose_transform.codec import OrjsonCodec
from firehose_transform.json_limits import MAX_DEPTH
from firehose_transform.response_limit import ids_size, response_ids_size
from firehose_transform.steps import Fallback

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

    from firehose_transform.codec import Codec
    from firehose_transform.observability import BatchStats
    from firehose_transform.shapes import ResponseRecord
    from firehose_transform.steps import Step

    #: The engine's exact path for one record: its response record, or None when it cannot be answered.
    ExactPath = Callable[[Any, dict[str, Any], BatchStats], ResponseRecord | None]

#: Records per chunk (small enough for a chunk's data to stay in the CPU cache).
CHUNK: Final = 64
_PLAIN: Final = frozenset({str, int, bool, type(None)})
_DICT_TYPE: Final = {dict}
_GET_ID: Final = itemgetter("recordId")
_GET_DATA: Final = itemgetter("data")
_FIRST: Final = itemgetter(0)
_SECOND: Final = itemgetter(1)
_STRIP_JSON_WS: Final = methodcaller("strip", " \t\n\r")
_ENDS_WITH_3_PADS: Final = methodcaller("endswith", "===")
_DICT_POP: Final = dict.pop
_ALL_BUT_LAST: Final = itemgetter(slice(None, -1))


class FastPath:
    """Transforms a batch on the fast path; records it cannot vouch for go to ``exact`` (see the module docstring).

    ``drop_fields`` are removed and ``hot_steps`` (the ``hot=True`` variants of the mask and hash steps) applied
    in place; ``exact`` is the engine's exact path for one record.
    """

    def __init__(self, codec: Codec, drop_fields: tuple[str, ...], hot_steps: tuple[Step, ...], exact: ExactPath):
        self.codec = codec
        self._drop = drop_fields
        self._hot_steps = hot_steps
        self._exact = exact
        self._orjson = codec if isinstance(codec, OrjsonCodec) else None

    def __call__(self, records: list[Any], event: dict[str, Any], stats: BatchStats) -> list[ResponseRecord]:
        """The response records of ``records`` (unanswerable ones left out), counting into ``stats``."""
        fast = self._orjson is not None
        chunk_fn = self._chunk_orjson if fast else self._chunk_stdlib
        loop_fn = self._loop_orjson if fast else self._loop_stdlib
        out: list[ResponseRecord] = []
        for start in range(0, len(records), CHUNK):
            part = records[start : start + CHUNK]
            try:
                out += chunk_fn(part, stats)
            except Exception:  # anything unusual: this chunk record by record, the rest stays column-wise
                stats.fallback_chunks += 1
                answered = loop_fn(part, event, stats)
                stats.id_chars += response_ids_size(answered)  # the column-wise chunks size theirs themselves
                out += answered
        return out

    # ------------------------------------------------------------------ column-wise chunks

    def _edit_columns(self, docs: list[Any]) -> None:
        """Check the chunk's documents are objects and apply drop and the hot steps; raise Fallback if unsure."""
        count = len(docs)
        if not self._drop and set(map(type, docs)) != _DICT_TYPE:
            raise Fallback
        # dict.pop raises TypeError for anything but a dict: a non-object sends the chunk record by record.
        for name in self._drop:
            removed = list(map(_DICT_POP, docs, repeat(name, count), repeat(None, count)))
            if not set(map(type, removed)) <= _PLAIN and not all(map(self.codec.removed_value_ok, removed)):
                raise Fallback
        for step in self._hot_steps:
            for doc in docs:
                step(doc)

    def _chunk_orjson(self, part: list[Any], stats: BatchStats) -> list[ResponseRecord]:
        fast = self._orjson
        assert fast is not None
        count = len(part)
        record_ids = list(map(_GET_ID, part))
        joined_ids = "".join(record_ids)  # TypeError unless every id is a string
        raws = list(map(fast.b64decode_fn, map(_GET_DATA, part), repeat(None, count), repeat(True, count)))
        docs = list(map(fast.orjson.loads, raws))
        self._edit_columns(docs)
        lines = list(map(fast.orjson.dumps, docs, repeat(None, count), repeat(fast.line_option, count)))
        joined = b"".join(lines)
        if codec_module.may_hold_big_int(joined):  # one scan of the chunk, then exact checks where it matched
            _refuse_big_ints(raws, lines)
        out: list[ResponseRecord] = [
            {"recordId": i, "result": "Ok", "data": d}
            for i, d in zip(record_ids, map(fast.b64encode_fn, lines), strict=True)
        ]
        # Last: nothing can fail after it. The ids are sized here, while they are at hand.
        _chunk_totals(stats, count, sum(map(len, raws)), len(joined), ids_size(record_ids, joined_ids))
        return out

    def _chunk_stdlib(self, part: list[Any], stats: BatchStats) -> list[ResponseRecord]:
        count = len(part)
        record_ids = list(map(_GET_ID, part))
        joined_ids = "".join(record_ids)  # TypeError unless every id is a string
        encoded = list(map(_GET_DATA, part))
        a2b = stdlib_json.stdlib_a2b_base64()
        raws = [a2b(data, strict_mode=True) for data in encoded]
        if any(map(and_, map(len, encoded), repeat(3, count))) or any(map(_ENDS_WITH_3_PADS, encoded)):
            raise Fallback  # padding binascii accepts after a full quantum, see codec.overpadded
        texts = list(map(_STRIP_JSON_WS, map(bytes.decode, raws)))
        parsed = list(map(stdlib_json.scan, texts, repeat(0, count)))
        # The scanner raises StopIteration where no JSON value starts, which ends list(map(...)) silently.
        if len(parsed) != count or any(map(ne, map(_SECOND, parsed), map(len, texts))):
            raise Fallback  # something after the document: several documents, or garbage
        docs = list(map(_FIRST, parsed))
        joined = b"".join(raws)
        if stdlib_json.may_hold_surrogate(joined) and any(map(stdlib_json.has_lone_surrogate, raws, docs)):
            raise Fallback
        longest = max(map(len, raws))  # see codec.maybe_deep: depth <= count("[") + len / 5
        if (
            longest > 2 * MAX_DEPTH
            and joined.count(b"[") + longest // 5 > MAX_DEPTH
            and any(map(stdlib_json.maybe_deep, raws))
        ):
            raise Fallback
        self._edit_columns(docs)
        texts = list(map("".join, map(stdlib_json.encode_chunks, docs, repeat(0, count))))
        lines = list(map(str.encode, map(add, texts, repeat("\n", count))))
        datas = map(_ALL_BUT_LAST, map(bytes.decode, map(stdlib_json.stdlib_b64encode_newline(), lines)))
        out: list[ResponseRecord] = [
            {"recordId": i, "result": "Ok", "data": d} for i, d in zip(record_ids, datas, strict=True)
        ]
        # Last: nothing can fail after it. The ids are sized here, while they are at hand.
        _chunk_totals(stats, count, len(joined), sum(map(len, lines)), ids_size(record_ids, joined_ids))
        return out

    # ------------------------------------------------------------------ record by record

    def _loop_orjson(self, records: list[Any], event: dict[str, Any], stats: BatchStats) -> list[ResponseRecord]:
        fast = self._orjson
        assert fast is not None
        loads = fast.orjson.loads
        dumps = fast.orjson.dumps
        option = fast.line_option
        b64decode = fast.b64decode_fn
        b64encode = fast.b64encode_fn
        may_hold_big_int = codec_module.may_hold_big_int
        has_big_int = stdlib_json.has_big_int
        removed_ok = fast.removed_value_ok
        drop = self._drop
        steps = self._hot_steps
        exact = self._exact
        out: list[ResponseRecord] = []
        for record in records:
            try:
                record_id = record["recordId"]
                if record_id.__class__ is not str:
                    raise Fallback
                raw = b64decode(record["data"], None, True)  # positional: much faster than validate=True
                doc = loads(raw)
                if doc.__class__ is not dict:
                    raise Fallback
                for name in drop:
                    value = doc.pop(name, None)
                    if value.__class__ not in _PLAIN and not removed_ok(value):
                        raise Fallback
                for step in steps:
                    step(doc)
                line = dumps(doc, option=option)
                if may_hold_big_int(line) and has_big_int(raw):
                    raise Fallback
                data = b64encode(line)
            except Exception:
                stats.exact_records += 1
                result = exact(record, event, stats)
                if result is not None:
                    out.append(result)
                continue
            out.append({"recordId": record_id, "result": "Ok", "data": data})
            stats.ok += 1
            stats.bytes_in += len(raw)
            stats.bytes_out += len(line)
            stats.data_chars += len(data)
        return out

    def _loop_stdlib(self, records: list[Any], event: dict[str, Any], stats: BatchStats) -> list[ResponseRecord]:
        loads = stdlib_json.stdlib_loads
        line_of = stdlib_json.stdlib_line
        a2b = stdlib_json.stdlib_a2b_base64()
        b2a = stdlib_json.stdlib_base64()[1]
        overpadded = stdlib_json.overpadded
        drop = self._drop
        steps = self._hot_steps
        exact = self._exact
        out: list[ResponseRecord] = []
        for record in records:
            try:
                record_id = record["recordId"]
                if record_id.__class__ is not str:
                    raise Fallback
                encoded = record["data"]
                raw = a2b(encoded, strict_mode=True)
                if overpadded(encoded):
                    raise Fallback
                doc = loads(raw)
                if doc.__class__ is not dict:
                    raise Fallback
                for name in drop:
                    doc.pop(name, None)
                for step in steps:
                    step(doc)
                line = line_of(doc)
                data = b2a(line).decode("ascii")
            except Exception:
                stats.exact_records += 1
                result = exact(record, event, stats)
                if result is not None:
                    out.append(result)
                continue
            out.append({"recordId": record_id, "result": "Ok", "data": data})
            stats.ok += 1
            stats.bytes_in += len(raw)
            stats.bytes_out += len(line)
            stats.data_chars += len(data)
        return out


def _refuse_big_ints(raws: list[bytes], lines: list[bytes]) -> None:
    """Raise Fallback if a record really holds an integer beyond 64 bits (checked exactly where its output matches).

    The output scan also matches a legitimate float of 1e18 or more, or such text in a string: those records
    are re-parsed exactly and, holding no big integer, stay in the chunk.
    """
    for raw, line in zip(raws, lines, strict=True):
        if codec_module.may_hold_big_int(line) and stdlib_json.has_big_int(raw):
            raise Fallback


def _chunk_totals(stats: BatchStats, count: int, bytes_in: int, bytes_out: int, id_chars: int) -> None:
    stats.ok += count
    stats.id_chars += id_chars
    stats.bytes_in += bytes_in
    stats.bytes_out += bytes_out
    # base64 of n bytes is 4 * ceil(n / 3) characters: at most (4 * total + 8 * count) / 3 for the chunk.
    stats.data_chars += (4 * bytes_out + 8 * count) // 3
    stats.data_chars_exact = False

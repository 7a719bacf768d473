"""The batch engine: every record of a Firehose event in, every record out, within the response limit.

Two paths process a record:

* the **fast loop** handles the common case: one JSON document per record, JSON output, no user
  function, no partition keys (drop/mask/hash allowed). It works on chunks of 64 records, column-wise
  (one C-level ``map`` per stage: decode, parse, drop, dump, encode), so there is almost no interpreter
  work per record. Anything unusual in a chunk - an exception, a non-object, a value a hot step does not
  handle, a possible overflowed integer - makes that chunk go record by record, and the unusual record
  (only) goes to the exact path;
* the **exact path** is authoritative: it validates fully, splits newline-delimited documents, runs the
  user function and every step, computes partition keys and classifies failures.

The fast loop only ever returns a record when the exact path would return the same one, so the
results do not depend on which path ran. Both exist for the orjson and the standard-library codecs.

Malformed events: an event without a ``records`` list gets ``{"records": []}`` (and an error log); a
record that is not an object or has no string ``recordId`` cannot be answered (Firehose matches results
by id) and is left out, counted and logged; a record without a string ``data`` is returned
ProcessingFailed with empty ``data``.

Response size: see :meth:`Engine.fit_response`.
"""

from __future__ import annotations

import gc
import time
from itertools import repeat
from operator import add, and_, itemgetter, methodcaller, ne

from firehose_transform import codec as codec_module
from firehose_transform.codec import Codec, InvalidDocumentError, OrjsonCodec
from firehose_transform.config import ConfigError, TransformConfig
from firehose_transform.observability import BatchStats, StructuredLogger
from firehose_transform.protocol import (
    RECORD_OVERHEAD,
    RECORD_SEPARATOR,
    RESPONSE_LIMIT,
    RESPONSE_OVERHEAD,
    RESULT_DROPPED,
    RESULT_FAILED,
    RESULT_OK,
    RecordMetadata,
    failed_size,
    metadata_size,
    record_metadata,
    record_size,
    string_size,
)
from firehose_transform.steps import Fallback, make_hash_step, make_mask_step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any, Final

    from firehose_transform.csv_output import CsvEncoder
    from firehose_transform.partitioning import Partitioner, PartitionKeys
    from firehose_transform.shapes import FirehoseResponse, ResponseRecord
    from firehose_transform.steps import Step

    Document = dict[str, Any]
    #: A user function: the parsed document and its record's metadata -> a document (Ok) or None (Dropped).
    UserFunction = Callable[[Document, RecordMetadata], Document | None]

REASON_MISSING_DATA: Final = "missing_data"
REASON_INVALID_BASE64: Final = "invalid_base64"
REASON_USER_ERROR: Final = "user_function_error"
REASON_USER_RETURN: Final = "user_function_bad_return"
REASON_UNENCODABLE: Final = "unencodable_output"
REASON_KEYS_DIFFER: Final = "partition_keys_differ"
REASON_RESPONSE_LIMIT: Final = "response_size_limit"
REASON_INTERNAL: Final = "internal_error"

_JSON_WS: Final = b" \t\n\r"
_PLAIN: Final = frozenset({str, int, bool, type(None)})
_GET_ID: Final = itemgetter("recordId")
_GET_DATA: Final = itemgetter("data")
#: Records per chunk of the fast loop (small enough for the chunk's data to stay in the CPU cache).
CHUNK: Final = 64
_STR_TYPE: Final = {str}
_DICT_TYPE: Final = {dict}
_FIRST: Final = itemgetter(0)
_SECOND: Final = itemgetter(1)
_STRIP_JSON_WS: Final = methodcaller("strip", " \t\n\r")
_ENDS_WITH_3_PADS: Final = methodcaller("endswith", "===")


class RecordFailedError(Exception):
    """This record is ProcessingFailed for ``reason`` (a code, never content)."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def decoded_length(data: str) -> int:
    """Length of the bytes a valid base64 string decodes to."""
    return len(data) // 4 * 3 - data[-2:].count("=")


def _non_finite(obj: Any) -> bool:
    """Whether ``obj`` holds a NaN or infinite float (orjson would write it as null)."""
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, float):
            if value - value != 0.0:
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


class Engine:
    """Transforms Firehose events according to a :class:`TransformConfig` (and a user function)."""

    def __init__(
        self,
        config: TransformConfig,
        *,
        codec: Codec | None = None,
        user_function: UserFunction | None = None,
        hash_key: bytes | None = None,
        logger: StructuredLogger | None = None,
    ) -> None:
        self.config = config
        self.codec = codec if codec is not None else codec_module.DEFAULT
        self.user_function = user_function
        self.logger = logger if logger is not None else StructuredLogger(config.log_level)
        hot_steps: list[Step] = []
        exact_steps: list[Step] = []
        if config.hash_fields:
            if not hash_key:
                raise ConfigError("a hash key is required when HASH_FIELDS is set")
            hot_steps.append(make_hash_step(config.hash_fields, hash_key, hot=True))
            exact_steps.append(make_hash_step(config.hash_fields, hash_key, hot=False))
        if config.mask_fields:
            hot_steps.append(make_mask_step(config.mask_fields, hot=True))
            exact_steps.append(make_mask_step(config.mask_fields, hot=False))
        self._hot_steps = tuple(hot_steps)
        self._exact_steps = tuple(exact_steps)
        self._drop = config.drop_fields
        self._poppers = tuple(methodcaller("pop", name, None) for name in config.drop_fields)
        # Optional features import their modules (and datetime, csv) only when configured: cold start.
        self._partitioner: Partitioner | None = None
        if config.partitioning:
            from firehose_transform.partitioning import make_partitioner

            self._partitioner = make_partitioner(config.partition_key_fields, config.event_time_field)
        self._csv: CsvEncoder | None = None
        if config.output_format == "csv":
            from firehose_transform.csv_output import CsvEncoder

            self._csv = CsvEncoder(config.csv_columns)
        #: Whether the fast loop applies (else every record takes the exact path).
        self.fast_loop = user_function is None and self._csv is None and self._partitioner is None
        self._orjson = self.codec if isinstance(self.codec, OrjsonCodec) else None
        self._check_user_output = user_function is not None and self._orjson is not None

    # ------------------------------------------------------------------ invocation

    def process(self, event: Any, context: Any = None) -> FirehoseResponse:
        """Transform one Firehose event; never raises for bad records or a malformed event."""
        started = time.perf_counter()
        stats = BatchStats()
        request_id = getattr(context, "aws_request_id", None)
        self.logger.request_id = request_id if isinstance(request_id, str) else None
        records = event.get("records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            self.logger.error("event has no records list: nothing can be answered", eventType=type(event).__name__)
            out: list[ResponseRecord] = []
            received = 0
        else:
            received = len(records)
            # The batch allocates many short-lived, acyclic objects: cyclic GC passes over them (and over the
            # event) would only cost time. Collection resumes when the batch is done.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                if self.fast_loop:
                    out = self._fast(records, event, stats)
                else:
                    out = [r for r in map(self._exact_record, records, repeat(event), repeat(stats)) if r is not None]
                out = self.fit_response(out, records, stats)
            finally:
                if gc_was_enabled:
                    gc.enable()
        self.logger.metrics(self.config.metrics_namespace, self.config.function_name, stats)
        self._summary(stats, received, time.perf_counter() - started)
        return {"records": out}

    def _summary(self, stats: BatchStats, received: int, seconds: float) -> None:
        level = "WARNING" if stats.failed or stats.unanswerable else "DEBUG"
        if not self.logger.enabled(level):
            return
        self.logger.log(
            level,
            "batch transformed",
            records=received,
            ok=stats.ok,
            dropped=stats.dropped,
            processingFailed=stats.failed,
            unanswerable=stats.unanswerable,
            oversize=stats.oversize,
            failureReasons=dict(stats.reasons),
            bytesIn=stats.bytes_in,
            bytesOut=stats.bytes_out,
            durationMs=round(seconds * 1000, 3),
            codec=self.codec.name,
        )

    # ------------------------------------------------------------------ fast loop

    def _fast(self, records: list[Any], event: dict[str, Any], stats: BatchStats) -> list[ResponseRecord]:
        """Process the batch in chunks: each chunk column-wise, or record by record if it holds anything unusual.

        Column-wise means one C-level ``map`` per stage (decode, parse, drop, dump, encode) over a chunk of
        :data:`CHUNK` records: no interpreter work per record and a working set that stays in cache.
        """
        fast = self._orjson is not None
        chunk_fn = self._chunk_orjson if fast else self._chunk_stdlib
        loop_fn = self._loop_orjson if fast else self._loop_stdlib
        out: list[ResponseRecord] = []
        for start in range(0, len(records), CHUNK):
            part = records[start : start + CHUNK]
            try:
                out += chunk_fn(part, stats)
            except Exception:
                out += loop_fn(part, event, stats)
        return out

    def _edit_columns(self, docs: list[Any]) -> None:
        """Check the chunk's documents are objects and apply drop and the hot steps; raise Fallback if unsure."""
        poppers = self._poppers
        if not poppers and set(map(type, docs)) != _DICT_TYPE:
            raise Fallback
        # With a drop field, ``pop(name, None)`` already rejects anything but a dict (list.pop takes one
        # argument, scalars have no pop): an exception sends the chunk to the record-by-record loop.
        for pop in poppers:
            removed = list(map(pop, docs))
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
        if set(map(type, record_ids)) != _STR_TYPE:
            raise Fallback
        raws = list(map(fast.b64decode_fn, map(_GET_DATA, part), repeat(None, count), repeat(True, count)))
        docs = list(map(fast.orjson.loads, raws))
        self._edit_columns(docs)
        lines = list(map(fast.orjson.dumps, docs, repeat(None, count), repeat(fast.line_option, count)))
        joined = b"".join(lines)
        if 43 in joined and any(map(codec_module.output_needs_check, lines)):
            raise Fallback  # 43 is "+": a possible overflowed integer, see codec
        datas = list(map(fast.b64encode_fn, lines))
        out: list[ResponseRecord] = [
            {"recordId": i, "result": "Ok", "data": d} for i, d in zip(record_ids, datas, strict=True)
        ]
        self._chunk_totals(stats, count, sum(map(len, raws)), len(joined))  # last: nothing can fail after it
        return out

    def _chunk_stdlib(self, part: list[Any], stats: BatchStats) -> list[ResponseRecord]:
        count = len(part)
        record_ids = list(map(_GET_ID, part))
        if set(map(type, record_ids)) != _STR_TYPE:
            raise Fallback
        encoded = list(map(_GET_DATA, part))
        a2b, b2a = codec_module.stdlib_base64()
        raws = list(map(a2b, encoded))
        if any(map(and_, map(len, encoded), repeat(3, count))) or any(map(_ENDS_WITH_3_PADS, encoded)):
            raise Fallback  # padding binascii accepts after a full quantum, see codec.overpadded
        texts = list(map(_STRIP_JSON_WS, map(bytes.decode, raws)))
        parsed = list(map(codec_module.scan_fast, texts, repeat(0, count)))
        # The scanner raises StopIteration where no JSON value starts, which ends list(map(...)) silently.
        if len(parsed) != count or any(map(ne, map(_SECOND, parsed), map(len, texts))):
            raise Fallback  # something after the document: several documents, or garbage
        docs = list(map(_FIRST, parsed))
        joined = b"".join(raws)
        if 92 in joined and any(map(codec_module.has_lone_surrogate, raws, docs)):  # 92 is the backslash
            raise Fallback
        longest = max(map(len, raws))  # see codec.maybe_deep: depth <= count("[") + len / 5
        if (
            longest > 2 * codec_module.MAX_DEPTH
            and joined.count(b"[") + longest // 5 > codec_module.MAX_DEPTH
            and any(map(codec_module.maybe_deep, raws))
        ):
            raise Fallback
        self._edit_columns(docs)
        # NaN/infinity (1e400 parses to inf here) make the encoder raise: that chunk goes record by record.
        texts = list(map("".join, map(codec_module.encode_chunks, docs, repeat(0, count))))
        lines = list(map(str.encode, map(add, texts, repeat("\n", count))))
        datas = list(map(bytes.decode, map(b2a, lines)))
        out: list[ResponseRecord] = [
            {"recordId": i, "result": "Ok", "data": d} for i, d in zip(record_ids, datas, strict=True)
        ]
        self._chunk_totals(stats, count, len(joined), sum(map(len, lines)))  # last: nothing can fail after it
        return out

    @staticmethod
    def _chunk_totals(stats: BatchStats, count: int, bytes_in: int, bytes_out: int) -> None:
        stats.ok += count
        stats.bytes_in += bytes_in
        stats.bytes_out += bytes_out
        # base64 of n bytes is 4 * ceil(n / 3) characters: at most (4 * total + 8 * count) / 3 for the chunk.
        stats.data_chars += (4 * bytes_out + 8 * count) // 3
        stats.data_chars_exact = False

    def _loop_orjson(self, records: list[Any], event: dict[str, Any], stats: BatchStats) -> list[ResponseRecord]:
        fast = self._orjson
        assert fast is not None
        loads = fast.orjson.loads
        dumps = fast.orjson.dumps
        option = fast.line_option
        b64decode = fast.b64decode_fn
        b64encode = fast.b64encode_fn
        needs_check = codec_module.output_needs_check
        removed_ok = fast.removed_value_ok
        drop = self._drop
        steps = self._hot_steps
        exact = self._exact_record
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
                if 43 in line and needs_check(line):
                    raise Fallback
                data = b64encode(line)
            except Exception:
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
        loads = codec_module.stdlib_loads
        line_of = codec_module.stdlib_line
        a2b, b2a = codec_module.stdlib_base64()
        overpadded = codec_module.overpadded
        drop = self._drop
        steps = self._hot_steps
        exact = self._exact_record
        out: list[ResponseRecord] = []
        for record in records:
            try:
                record_id = record["recordId"]
                if record_id.__class__ is not str:
                    raise Fallback
                encoded = record["data"]
                raw = a2b(encoded)
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

    # ------------------------------------------------------------------ exact path

    def _fail(self, record_id: str, data: str, reason: str, stats: BatchStats) -> ResponseRecord:
        stats.failed += 1
        stats.reasons[reason] += 1
        stats.data_chars += len(data)
        self.logger.debug("record failed", recordId=record_id, reason=reason)
        return {"recordId": record_id, "result": RESULT_FAILED, "data": data}

    def _exact_record(self, record: Any, event: dict[str, Any], stats: BatchStats) -> ResponseRecord | None:
        if not isinstance(record, dict):
            stats.unanswerable += 1
            return None
        record_id = record.get("recordId")
        if not isinstance(record_id, str):
            stats.unanswerable += 1
            return None
        data = record.get("data")
        if not isinstance(data, str):
            return self._fail(record_id, "", REASON_MISSING_DATA, stats)
        try:
            raw = self.codec.b64decode(data)
        except (ValueError, TypeError):
            stats.escape_extra += string_size(data) - 2 - len(data)
            return self._fail(record_id, data, REASON_INVALID_BASE64, stats)
        stats.bytes_in += len(raw)
        try:
            return self._transform_record(raw, record_id=record_id, data=data, record=record, event=event, stats=stats)
        except RecordFailedError as failure:
            if failure.detail is not None:
                self.logger.debug("user function raised", recordId=record_id, exceptionType=failure.detail)
            return self._fail(record_id, data, failure.reason, stats)
        except InvalidDocumentError as invalid:
            return self._fail(record_id, data, invalid.reason, stats)
        except Exception as exc:  # a bug must not fail the whole batch
            self.logger.error("unexpected error", recordId=record_id, exceptionType=type(exc).__name__)
            return self._fail(record_id, data, REASON_INTERNAL, stats)

    def _transform_record(
        self,
        raw: bytes,
        *,
        record_id: str,
        data: str,
        record: dict[str, Any],
        event: dict[str, Any],
        stats: BatchStats,
    ) -> ResponseRecord:
        docs = self.documents(raw)
        metadata = record_metadata(event, record, record_id) if self.user_function is not None else None
        lines: list[bytes] = []
        keys: PartitionKeys | None = None
        for index, doc in enumerate(docs):
            line, doc_keys = self._transform_document(doc, metadata, index)
            if line is None:
                continue
            if doc_keys is not None:
                if keys is None:
                    keys = doc_keys
                elif doc_keys != keys:
                    raise RecordFailedError(REASON_KEYS_DIFFER)
            lines.append(line)
        if not lines:
            stats.dropped += 1
            stats.data_chars += len(data)
            return {"recordId": record_id, "result": RESULT_DROPPED, "data": data}
        payload = b"".join(lines)
        encoded = self.codec.b64encode(payload)
        stats.ok += 1
        stats.bytes_out += len(payload)
        stats.data_chars += len(encoded)
        result: ResponseRecord = {"recordId": record_id, "result": RESULT_OK, "data": encoded}
        if keys is not None:
            result["metadata"] = {"partitionKeys": keys}
            stats.metadata_chars += metadata_size(keys)
        return result

    def documents(self, raw: bytes) -> list[Document]:
        """The JSON objects of one record: one document, or several newline-delimited ones.

        The whole record is parsed first (so a pretty-printed document spanning lines is one document);
        only if that fails and the record has inner newlines is it split into lines (blank lines ignored).
        Any invalid line fails the whole record.
        """
        if not raw.strip(_JSON_WS):
            raise InvalidDocumentError(codec_module.REASON_EMPTY)
        try:
            return [self._parse(raw)]
        except InvalidDocumentError:
            if b"\n" not in raw.strip(_JSON_WS):
                raise
        return [self._parse(line) for line in raw.split(b"\n") if line.strip(_JSON_WS)]

    def _parse(self, raw: bytes) -> Document:
        doc = self.codec.loads(raw)
        if not isinstance(doc, dict):
            raise InvalidDocumentError(codec_module.REASON_NOT_OBJECT)
        return doc

    def _transform_document(
        self, doc: Document, metadata: RecordMetadata | None, index: int
    ) -> tuple[bytes | None, PartitionKeys | None]:
        if self.user_function is not None and metadata is not None:
            meta = metadata if index == 0 else metadata.for_document(index)
            try:
                returned = self.user_function(doc, meta)
            except Exception as exc:
                raise RecordFailedError(REASON_USER_ERROR, type(exc).__name__) from None
            if returned is None:
                return None, None
            if not isinstance(returned, dict):
                raise RecordFailedError(REASON_USER_RETURN)
            if self._check_user_output and _non_finite(returned):
                raise RecordFailedError(REASON_UNENCODABLE)
            doc = returned
        try:
            for step in self._exact_steps:
                step(doc)
        except (TypeError, ValueError, RecursionError):
            raise RecordFailedError(REASON_UNENCODABLE) from None
        keys: PartitionKeys | None = None
        if self._partitioner is not None:
            keys = self._partitioner(doc)  # InvalidDocumentError: the record fails with its reason
        for name in self._drop:
            doc.pop(name, None)
        try:
            if self._csv is not None:
                return self._csv.line(doc), keys
            return self.codec.dumps(doc) + b"\n", keys
        except (TypeError, ValueError, RecursionError, OverflowError):
            raise RecordFailedError(REASON_UNENCODABLE) from None

    # ------------------------------------------------------------------ response size

    def fit_response(
        self, out: list[ResponseRecord], records: Sequence[Any], stats: BatchStats
    ) -> list[ResponseRecord]:
        """Keep the serialized response within :data:`RESPONSE_LIMIT` (edits ``out`` in place).

        The exact size is computed from the batch totals. If it is over the limit, Ok records are turned
        ProcessingFailed with their original ``data``, from the last record backwards, as long as that
        makes the response smaller, until it fits: the first records of the batch stay Ok, the overflowing
        ones go to the error prefix. This always fits for a Firehose event: its request (at most 6 MB)
        holds every original with more per-record overhead than a failed response record.

        Only for an event that is not from Firehose can even the originals be too big; then records are
        also returned ProcessingFailed with empty ``data``, again from the end (Firehose keeps the source
        record, and the error prefix gets the record Firehose holds), and an error is logged.
        """
        if not out:
            return out
        excess = self.response_size(out, stats) - RESPONSE_LIMIT
        if excess > 0 and not stats.data_chars_exact:
            stats.data_chars = sum(map(len, map(_GET_DATA, out)))  # the fast loop only kept a bound
            stats.data_chars_exact = True
            excess = self.response_size(out, stats) - RESPONSE_LIMIT
        if excess <= 0:
            return out
        for index, source in zip(range(len(out) - 1, -1, -1), _answerable_from_end(records), strict=False):
            if excess <= 0:
                break
            current = out[index]
            if current["result"] == RESULT_OK:
                original = source["data"] if isinstance(source["data"], str) else ""
                saving = record_size(current) - failed_size(current["recordId"], original)
                if saving > 0:
                    self._demote(current, stats)
                    out[index] = {"recordId": current["recordId"], "result": RESULT_FAILED, "data": original}
                    excess -= saving
        if excess > 0:
            self.logger.error("even the original records exceed the response limit: some are returned without data")
            for index in range(len(out) - 1, -1, -1):
                if excess <= 0:
                    break
                current = out[index]
                saving = record_size(current) - failed_size(current["recordId"], "")
                if saving > 0:
                    if current["result"] != RESULT_FAILED:
                        self._demote(current, stats)
                    out[index] = {"recordId": current["recordId"], "result": RESULT_FAILED, "data": ""}
                    excess -= saving
            if excess > 0:
                self.logger.error("the response exceeds the Lambda limit even without data", limit=RESPONSE_LIMIT)
        self.logger.warning(
            "response limit reached: records returned ProcessingFailed", records=stats.oversize, limit=RESPONSE_LIMIT
        )
        return out

    @staticmethod
    def response_size(out: list[ResponseRecord], stats: BatchStats) -> int:
        """Serialized size of ``{"records": out}`` (see contract), from the batch counters."""
        count = len(out)
        ids = "".join(map(_GET_ID, out))
        if ids.isascii() and ids.encode("ascii").isalnum():
            ids_size = len(ids) + 2 * count  # no escapes: the quotes only
        else:
            ids_size = sum(map(string_size, map(_GET_ID, out)))
        results = 4 * stats.ok + 9 * stats.dropped + 18 * stats.failed
        return (
            RESPONSE_OVERHEAD
            + RECORD_SEPARATOR * max(count - 1, 0)
            + RECORD_OVERHEAD * count
            + ids_size
            + results
            + stats.data_chars
            + stats.escape_extra
            + stats.metadata_chars
        )

    @staticmethod
    def _demote(record: ResponseRecord, stats: BatchStats) -> None:
        result = record["result"]
        if result == RESULT_OK:
            stats.ok -= 1
            stats.bytes_out -= decoded_length(record["data"])
        elif result == RESULT_DROPPED:
            stats.dropped -= 1
        else:
            stats.failed -= 1
        stats.failed += 1
        stats.oversize += 1
        stats.reasons[REASON_RESPONSE_LIMIT] += 1


def _answerable_from_end(records: Sequence[Any]) -> Iterator[dict[str, Any]]:
    """The input records that have a response record (see ``_exact_record``), last first."""
    for record in reversed(records):
        if isinstance(record, dict) and isinstance(record.get("recordId"), str):
            yield record

"""The batch engine: every record of a Firehose event in, every record out, within the response limit.

Two paths process a record:

* the **fast path** (:mod:`firehose_transform.fast_path`) handles the common case: one JSON document per
  record, JSON output, no user function, no partition keys (drop/mask/hash allowed), column-wise over chunks
  of records. It returns a record only when the exact path would return the same one, and hands every
  record it cannot vouch for to the exact path;
* the **exact path** (here) is authoritative: it validates fully, splits newline-delimited documents, runs
  the user function and every step, computes partition keys and classifies failures.

The results do not depend on which path ran. Both exist for the orjson and the standard-library codecs.

Malformed events: an event without a ``records`` list gets ``{"records": []}`` (and an error log); a
record that is not an object or has no string ``recordId`` cannot be answered (Firehose matches results
by id) and is left out, counted and logged; a record without a string ``data`` is returned
ProcessingFailed with empty ``data``.

Response size: see :func:`firehose_transform.response_limit.fit_response`.
"""

from __future__ import annotations

import gc
import time
from itertools import repeat

from firehose_transform import codec as codec_module
from firehose_transform.codec import Codec, InvalidDocumentError, OrjsonCodec
from firehose_transform.config import ConfigError, TransformConfig
from firehose_transform.fast_path import FastPath
from firehose_transform.observability import BatchStats, StructuredLogger
from firehose_transform.protocol import (
    RESULT_DROPPED,
    RESULT_FAILED,
    RESULT_OK,
    RecordMetadata,
    metadata_size,
    record_metadata,
    string_size,
)
from firehose_transform.response_limit import fit_response, response_ids_size
from firehose_transform.steps import make_hash_step, make_mask_step

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
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
REASON_INTERNAL: Final = "internal_error"

_JSON_WS: Final = b" \t\n\r"


class RecordFailedError(Exception):
    """This record is ProcessingFailed for ``reason`` (a code, never content)."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


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
        self._exact_steps = tuple(exact_steps)
        self._drop = config.drop_fields
        self._fast_path = FastPath(self.codec, config.drop_fields, tuple(hot_steps), self._exact_record)
        # Optional features import their modules (and datetime, csv) only when configured: cold start.
        self._partitioner: Partitioner | None = None
        if config.partitioning:
            from firehose_transform.partitioning import make_partitioner

            self._partitioner = make_partitioner(config.partition_key_fields, config.event_time_field)
        self._csv: CsvEncoder | None = None
        if config.output_format == "csv":
            from firehose_transform.csv_output import CsvEncoder

            self._csv = CsvEncoder(config.csv_columns)
        #: Whether the fast path applies (else every record takes the exact path).
        self.fast_loop = user_function is None and self._csv is None and self._partitioner is None
        self._check_user_output = user_function is not None and isinstance(self.codec, OrjsonCodec)

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
                    out = self._fast_path(records, event, stats)
                else:
                    out = [r for r in map(self._exact_record, records, repeat(event), repeat(stats)) if r is not None]
                    stats.id_chars += response_ids_size(out)
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
            fallbackChunks=stats.fallback_chunks,
            exactRecords=stats.exact_records,
        )

    def fit_response(
        self, out: list[ResponseRecord], records: Sequence[Any], stats: BatchStats
    ) -> list[ResponseRecord]:
        """Keep the response within the Lambda limit (see :func:`firehose_transform.response_limit.fit_response`)."""
        return fit_response(out, records, stats, self.logger)

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

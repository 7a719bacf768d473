"""The processors that run on each record as it arrives, before the Lambda transform.

In Firehose's order: ``Decompression`` (gunzip a CloudWatch Logs subscription record), ``CloudWatchLogProcessing``
with ``DataMessageExtraction`` (keep only each log event's ``message``), then ``RecordDeAggregation`` (split a
record of concatenated JSON objects, or of delimited parts, into sub-records). Sources: DG
writing-with-cloudwatch-logs.html, Message_extraction.html, decomp-faq.html, dynamic-partitioning.html and
the PutRecordBatch API reference (the 500 sub-record limit).

Choices where AWS is silent (docs/simulate.md):

* a record that is not gzip goes to ``decompression-failed`` (errorCode ``Decompression.Failed``) with its
  data as it arrived; processing continues with the next record (decomp-faq);
* message extraction makes each log event's message a record of its own, without a delimiter (Firehose
  adds none by itself; ``AppendDelimiterToRecord`` puts one after each): the CloudWatch Logs record is then
  counted as split; a decompressed record that is not a CloudWatch Logs document goes to
  ``decompression-failed`` too;
* JSON de-aggregation splits concatenated JSON texts (whitespace between them is dropped, each sub-record
  is the exact text of one value); DELIMITED splits on the delimiter and drops empty parts;
* a record that cannot be split (not JSON throughout) or that holds more than 500 sub-records is passed on
  whole, as the API reference says Firehose does for the latter;
* a record that leaves nothing to deliver (no log event, only delimiters) is counted as dropped.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

from firehose_s3_client.simulate.processor_config import ProcessingConfig
from firehose_s3_client.simulate.record_batch import RecordBatch

__all__ = ["MAX_SUB_RECORDS", "SourceStages", "split_delimited", "split_json"]

#: API PutRecordBatch: de-aggregation does not split a record of more than 500 sub-records.
MAX_SUB_RECORDS = 500
DECOMPRESSION_ERROR = "Decompression.Failed"
_WHITESPACE = b" \t\n\r"
_DECODER = json.JSONDecoder()


class DecompressionError(ValueError):
    pass


def split_json(data: bytes) -> list[bytes] | None:
    """The JSON texts concatenated in ``data`` (None when it is not JSON throughout)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    parts: list[bytes] = []
    position = 0
    length = len(text)
    while True:
        while position < length and text[position] in " \t\n\r":
            position += 1
        if position >= length:
            break
        try:
            _, end = _DECODER.raw_decode(text, position)
        except ValueError:
            return None
        parts.append(text[position:end].encode("utf-8"))
        position = end
    return parts


def split_delimited(data: bytes, delimiter: bytes) -> list[bytes]:
    """``data`` split on ``delimiter``, empty parts dropped."""
    return [part for part in data.split(delimiter) if part]


def decompress(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DecompressionError(f"The record could not be decompressed as GZIP: {error}") from None


def extract_messages(document: bytes) -> list[bytes]:
    """The ``message`` of every log event of a CloudWatch Logs subscription document, one record each."""
    try:
        parsed = json.loads(document)
        events = parsed["logEvents"]
        messages = [str(event["message"]) for event in events]
    except (ValueError, KeyError, TypeError):
        raise DecompressionError("The decompressed record is not a CloudWatch Logs subscription document") from None
    return [message.encode("utf-8") for message in messages]


class SourceStages:
    """Applies the configured source-side processors to a batch of arriving records."""

    def __init__(
        self,
        processing: ProcessingConfig,
        *,
        on_failure: Callable[[bytes, int, int, str, str], None],
        on_split: Callable[[int, int], None],
        on_empty: Callable[[int], None],
    ) -> None:
        self.decompression = processing.decompression is not None
        self.extraction = processing.cloudwatch_logs is not None and processing.cloudwatch_logs.data_message_extraction
        self.deaggregation = processing.deaggregation
        #: (raw data, arrival, source, error code, error message) of a record that failed here.
        self.on_failure = on_failure
        #: (source, parts) when a record is split into several sub-records.
        self.on_split = on_split
        #: (source) of a record that leaves nothing to deliver (no log event, only delimiters): dropped.
        self.on_empty = on_empty

    @property
    def active(self) -> bool:
        return self.decompression or self.deaggregation is not None

    def apply(self, batch: RecordBatch) -> RecordBatch:
        """The records after these processors (failed ones are handed to ``on_failure`` and left out)."""
        if not self.active:
            return batch
        kinesis: list[dict[str, Any]] | None = [] if batch.kinesis is not None else None
        raws: list[bytes] | None = [] if self.decompression else None
        out = RecordBatch([], [], [], kinesis=kinesis, raws=raws)
        for position, received in enumerate(batch.datas):
            arrival = batch.arrivals[position]
            source = batch.sources[position]
            pieces = [received]
            if self.decompression:
                try:
                    pieces = [decompress(received)]
                    if self.extraction:
                        pieces = extract_messages(pieces[0])
                except DecompressionError as error:
                    self.on_failure(received, arrival, source, DECOMPRESSION_ERROR, str(error))
                    continue
            parts = [part for piece in pieces for part in self._split(piece)]
            if len(parts) > 1:
                self.on_split(source, len(parts))
            elif not parts:
                self.on_empty(source)
                continue
            out.datas.extend(parts)
            out.arrivals.extend([arrival] * len(parts))
            out.sources.extend([source] * len(parts))
            if kinesis is not None and batch.kinesis is not None:
                kinesis.extend([batch.kinesis[position]] * len(parts))
            if raws is not None:
                raws.extend([received] * len(parts))
        return out

    def _split(self, data: bytes) -> list[bytes]:
        aggregation = self.deaggregation
        if aggregation is None:
            return [data]
        if aggregation.sub_record_type == "JSON":
            parts = split_json(data)
        else:
            assert aggregation.delimiter is not None
            parts = split_delimited(data, aggregation.delimiter)
        if parts is None or len(parts) > MAX_SUB_RECORDS:
            return [data]
        return parts

"""Realistic sample records, as newline-terminated JSON lines: web access logs and IoT telemetry.

One source of truth for the transform benchmark, the local simulator's tests and benchmark, and ``make demo``.
Standard library only (client code: never imports ``aws_cdk``), deterministic for a seed, and streaming:
every generator is an iterator holding a bounded state, so it can produce millions of records.

The two kinds follow the sample app's stacks (``sample_app/stacks.py``):

``weblog`` (about 580 bytes)
    An access-log event as Fluent Bit's ``web_combined`` parser sends it to the FirehoseS3WebLogs stack: the
    columns of its Glue table (``WEB_LOG_COLUMNS``: ``ts``, ``ip``, ``user``, ``method``, ``path``, ``protocol``,
    ``request``, ``status`` (int), ``bytes`` (bigint), ``referrer``, ``user_agent``, ``host``), the ``ident``
    field its transform drops, and the application fields a real log carries: ``request_time`` and
    ``upstream_time`` (floats; no upstream time for cached responses), ``email`` (the field the seed
    handler's ``DROP_FIELDS=email`` removes) and ``geo`` (a nested object with floats). Paths and referrers
    carry query strings with ``+`` and ``%XX``; eleven user agents, bots included; an absent value (the
    log's ``-``) is null; about 3% of the records hold non-ASCII text (a city, a user name).
``iot`` (about 225 bytes)
    A reading as a device publishes it to the FirehoseS3IotTelemetry stack's topic (the rule is ``SELECT *``):
    the columns of ``IOT_SCHEMA`` (``device_id``, ``ts`` as ISO-8601 UTC with milliseconds, ``temperature``,
    ``humidity`` (null for trackers), ``battery``, ``location`` {lat, lon}, ``tags`` {str: str}) and the
    partition key ``device_type``; the ``dt`` partition is ``ts[0:10]``. About 0.5% of the readings arrive
    late (a device that was offline sends readings hours old: they belong to an earlier partition).

Lines are compact UTF-8 JSON plus ``"\\n"``, as the project's producer and Fluent Bit write them. Bad records of
the kinds in :data:`BAD_KINDS` can be mixed in (``bad_share``) to show how the pipeline handles them;
:func:`labelled_lines` says which line is which. :func:`firehose_event` wraps lines in the event Firehose
sends its transform Lambda (Direct PUT, or with ``kinesis=True`` from a Kinesis Data Stream source).

Example::

    from firehose_s3_client import sample_data
    lines = sample_data.lines("weblog", seed=1, count=1000, bad_share=0.02)
    event = sample_data.firehose_event(lines, kinesis=True)
"""

from __future__ import annotations

from firehose_s3_client.sample_data.events import ACCOUNT, REGION, event_of_size, firehose_event, take_bytes
from firehose_s3_client.sample_data.iot import FLEET_SIZE, LATE_SHARE, iot_documents
from firehose_s3_client.sample_data.lines import bad_line, documents, labelled_lines, lines
from firehose_s3_client.sample_data.records import (
    BAD_KINDS,
    IOT,
    KINDS,
    START_MS,
    WEBLOG,
    Document,
    encode_line,
    iso_ms,
)
from firehose_s3_client.sample_data.weblog import NON_ASCII_SHARE, weblog_documents

__all__ = [
    "ACCOUNT",
    "BAD_KINDS",
    "FLEET_SIZE",
    "IOT",
    "KINDS",
    "LATE_SHARE",
    "NON_ASCII_SHARE",
    "REGION",
    "START_MS",
    "WEBLOG",
    "Document",
    "bad_line",
    "documents",
    "encode_line",
    "event_of_size",
    "firehose_event",
    "iot_documents",
    "iso_ms",
    "labelled_lines",
    "lines",
    "take_bytes",
    "weblog_documents",
]

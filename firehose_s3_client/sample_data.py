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

import base64
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final
from urllib.parse import quote, quote_plus

WEBLOG: Final = "weblog"
IOT: Final = "iot"
KINDS: Final = (WEBLOG, IOT)

#: The first generated event time: 2025-11-26T09:20:00Z, in epoch milliseconds.
START_MS: Final = 1_764_148_800_000

#: Bad record kinds (name -> what the record holds); each is derived from a good line of the same stream.
BAD_KINDS: Final[dict[str, str]] = {
    "invalid_json": "a key followed by '=' instead of ':'",
    "truncated_json": "the first half of a document",
    "nan": "a NaN value (not JSON)",
    "json_array": "the document wrapped in a JSON array (not an object)",
    "invalid_utf8": "bytes that are not UTF-8 inside a string",
    "big_integer": "an integer beyond 64 bits (2**64)",
    "lone_surrogate": "a lone UTF-16 surrogate escape (\\ud800)",
    "not_json": "a raw access-log line that was never parsed into JSON",
    "blank": "nothing but a newline",
}

Document = dict[str, Any]

_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_line(document: Document) -> bytes:
    """Compact UTF-8 JSON of ``document`` plus a newline (NaN and infinity refused)."""
    return (_ENCODER.encode(document) + "\n").encode("utf-8")


def iso_ms(epoch_ms: int) -> str:
    """``2025-11-26T09:20:00.123Z`` for an epoch time in milliseconds (UTC)."""
    seconds, millis = divmod(epoch_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


# ------------------------------------------------------------------------------------------------ web logs

_USER_AGENTS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
    "Edg/131.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.32.3",
    "Amazon-Route53-Health-Check-Service (ref 7d3c5c2a-1b2e-4f6a-9c1d-5e8f7a6b4c3d; report http://amzn.to/1vsZADi)",
)
#: Browsers come first and are the most frequent; the last four are bots and tools.
_AGENT_CUM_WEIGHTS: Final = tuple(itertools.accumulate((22, 14, 16, 12, 6, 8, 5, 3, 2, 2, 1)))
_SEARCH_TERMS: Final = tuple(
    quote_plus(term)
    for term in (
        "running shoes",
        "blue jeans slim fit",
        "c++ primer",
        "50% off",
        "usb-c cable 2m",
        "gift ideas for dad",
        "winter jacket",
        "4k tv 55 inch",
        "café table",
        "size 10 & wide",
        "noise cancelling headphones",
        "organic coffee beans",
    )
)
_CAMPAIGNS: Final = ("black%2Bfriday", "spring+sale", "newsletter-2025-11", "retargeting+q4", "brand%20search")
_SOURCES: Final = ("newsletter", "google", "facebook", "instagram", "partner%3Aacme")
_SLUGS: Final = ("how-to-choose-running-shoes", "winter-care-guide", "our-2025-sustainability-report", "size-charts")
_PAGES: Final = ("/", "/account/orders", "/login?next=%2Faccount%2Forders", "/cart", "/checkout/payment")
_PROBES: Final = ("/wp-login.php", "/.env", "/admin/config.php", "/cgi-bin/luci;stok=/locale")
_ASCII_CITIES: Final = (
    ("US", "Seattle", 47.6062, -122.3321),
    ("US", "New York", 40.7128, -74.006),
    ("GB", "London", 51.5072, -0.1276),
    ("DE", "Berlin", 52.52, 13.405),
    ("FR", "Paris", 48.8566, 2.3522),
    ("IN", "Bengaluru", 12.9716, 77.5946),
    ("JP", "Osaka", 34.6937, 135.5023),
    ("AU", "Sydney", -33.8688, 151.2093),
    ("CA", "Toronto", 43.6532, -79.3832),
    ("IE", "Dublin", 53.3498, -6.2603),
)
_INTERNATIONAL_CITIES: Final = (
    ("BR", "São Paulo", -23.5505, -46.6333),
    ("DE", "München", 48.1351, 11.582),
    ("CH", "Zürich", 47.3769, 8.5417),
    ("PL", "Kraków", 50.0647, 19.945),
    ("SE", "Malmö", 55.605, 13.0038),
    ("JP", "東京", 35.6762, 139.6503),
    ("TR", "İstanbul", 41.0082, 28.9784),
    ("RU", "Москва", 55.7558, 37.6173),
)
_USERS: Final = ("jsmith", "alee", "mgarcia", "pwong", "kpatel", "dnguyen", "rbrown", "tkim")
_INTERNATIONAL_USERS: Final = ("josé", "zoë", "françois", "jürgen", "łukasz", "søren", "山田")
_EMAIL_DOMAINS: Final = ("example.com", "mail.example.org", "corp.example.net")
_HOSTS: Final = tuple(f"web-{n:02d}" for n in range(12))
_SITE: Final = "shop.example.com"
#: Share of the records with non-ASCII text.
NON_ASCII_SHARE: Final = 0.03


def _web_request(rng: random.Random) -> tuple[str, str, int, bool]:
    """(method, path with its query string, status, served from cache)."""
    pick = rng.random()
    if pick < 0.25:
        path = f"/search?q={rng.choice(_SEARCH_TERMS)}&page={rng.randrange(1, 6)}"
        return "GET", path, rng.choice((200, 200, 200, 200, 500)), False
    if pick < 0.40:
        path = (
            f"/products/{rng.randrange(10_000, 99_999)}?utm_source={rng.choice(_SOURCES)}"
            f"&utm_medium=email&utm_campaign={rng.choice(_CAMPAIGNS)}"
        )
        return "GET", path, rng.choice((200, 200, 200, 301, 404)), False
    if pick < 0.55:
        path = f"/api/v1/items?filter=price%3E{rng.randrange(5, 500)}&sort=-created&limit={rng.choice((20, 50))}"
        return "GET", path, rng.choice((200, 200, 200, 200, 429)), False
    if pick < 0.60:
        return "POST", "/api/v1/cart/items", rng.choice((201, 201, 201, 400)), False
    if pick < 0.85:
        if rng.random() < 0.5:
            path = f"/static/js/app.{rng.getrandbits(32):08x}.js"
        else:
            path = f"/images/products/{rng.randrange(10_000, 99_999)}-{rng.choice((320, 640, 1280))}w.webp"
        status = rng.choice((200, 304, 304))
        return "GET", path, status, status == 304
    if pick < 0.97:
        if rng.random() < 0.3:
            return "GET", f"/blog/{rng.choice(_SLUGS)}", 200, False
        page = rng.choice(_PAGES)
        return ("POST" if page.startswith("/login") else "GET"), page, rng.choice((200, 200, 302)), False
    return "GET", rng.choice(_PROBES), 404, False


def _referrer(rng: random.Random) -> str | None:
    pick = rng.random()
    if pick < 0.30:
        return None
    if pick < 0.60:
        return f"https://{_SITE}/search?q={rng.choice(_SEARCH_TERMS)}"
    if pick < 0.80:
        return f"https://www.google.com/search?q={rng.choice(_SEARCH_TERMS)}&hl=en&source=hp"
    if pick < 0.90:
        return f"https://www.bing.com/search?q={rng.choice(_SEARCH_TERMS)}&form=QBLH"
    return f"https://t.co/{rng.getrandbits(40):010x}"


def _client_ip(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"2001:db8:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
    bits = rng.getrandbits(32)
    return f"{(bits >> 24) % 223 + 1}.{(bits >> 16) & 255}.{(bits >> 8) & 255}.{bits & 255}"


def weblog_documents(seed: int = 0, *, start_ms: int = START_MS) -> Iterator[Document]:
    """Endless web access-log events (see the module docstring), ~25 per second of event time from ``start_ms``."""
    rng = random.Random(seed)
    now = start_ms
    while True:
        now += rng.randrange(80)
        method, path, status, cached = _web_request(rng)
        international = rng.random() < NON_ASCII_SHARE
        country, city, lat, lon = rng.choice(_INTERNATIONAL_CITIES if international else _ASCII_CITIES)
        signed_in = rng.random() < 0.25
        user = rng.choice(_INTERNATIONAL_USERS if international else _USERS) if signed_in else None
        host = rng.choice(_HOSTS)
        protocol = "HTTP/2.0" if rng.random() < 0.6 else "HTTP/1.1"
        request_time = round(rng.lognormvariate(-3.0, 1.2), 3)
        yield {
            "ts": iso_ms(now),
            "ip": _client_ip(rng),
            "ident": None,
            "user": user,
            "method": method,
            "path": path,
            "protocol": protocol,
            "request": f"{method} {path} {protocol}",
            "status": status,
            "bytes": 0 if cached else int(rng.lognormvariate(8.5, 1.5)),
            "referrer": _referrer(rng),
            "user_agent": rng.choices(_USER_AGENTS, cum_weights=_AGENT_CUM_WEIGHTS)[0],
            "host": host,
            "request_time": request_time,
            "upstream_time": None if cached else round(request_time * rng.uniform(0.6, 0.98), 3),
            "email": f"{quote(user)}{rng.randrange(100)}@{rng.choice(_EMAIL_DOMAINS)}" if user else None,
            "geo": {"country": country, "city": city, "lat": lat, "lon": lon},
        }


# ------------------------------------------------------------------------------------------------ IoT

#: (device type, temperature range in Celsius, whether it measures humidity)
_DEVICE_TYPES: Final = (
    ("thermostat", (18.0, 26.0), True),
    ("freezer", (-25.0, -15.0), True),
    ("air_quality", (5.0, 35.0), True),
    ("tracker", (-10.0, 40.0), False),
)
_SITES: Final = ("plant-1", "plant-2", "warehouse-east", "warehouse-west", "store-114", "lab")
_INTERNATIONAL_SITES: Final = ("zürich-süd", "malmö-hamn")
_FIRMWARE: Final = ("1.4.2", "1.4.3", "2.0.0-rc1")
#: Devices in the simulated fleet (each has a fixed type, site, firmware and home location).
FLEET_SIZE: Final = 2000
#: Share of the readings sent hours late (by a device that was offline).
LATE_SHARE: Final = 0.005


def _fleet(rng: random.Random) -> list[tuple[str, int, str, str, float, float]]:
    """(device_id, type index, site, firmware, lat, lon) of every device."""
    fleet = []
    for number in range(FLEET_SIZE):
        type_index = rng.randrange(len(_DEVICE_TYPES))
        site = rng.choice(_INTERNATIONAL_SITES) if rng.random() < 0.01 else rng.choice(_SITES)
        device_id = f"{_DEVICE_TYPES[type_index][0].replace('_', '')}-{number:05d}"
        lat, lon = rng.uniform(-50.0, 60.0), rng.uniform(-120.0, 140.0)
        fleet.append((device_id, type_index, site, rng.choice(_FIRMWARE), lat, lon))
    return fleet


def iot_documents(seed: int = 0, *, start_ms: int = START_MS) -> Iterator[Document]:
    """Endless telemetry readings (see the module docstring), ~40 per second of event time from ``start_ms``."""
    rng = random.Random(seed)
    fleet = _fleet(rng)
    now = start_ms
    while True:
        now += rng.randrange(50)
        device_id, type_index, site, firmware, lat, lon = rng.choice(fleet)
        device_type, (low, high), humid = _DEVICE_TYPES[type_index]
        if device_type == "tracker":  # trackers move; the others stay where they were installed
            lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)
        event_ms = now - rng.randrange(3_600_000, 36 * 3_600_000) if rng.random() < LATE_SHARE else now
        battery = rng.randrange(101)
        tags = {"site": site, "fw": firmware}
        if battery < 10:
            tags["alert"] = "low_battery"
        yield {
            "device_id": device_id,
            "device_type": device_type,
            "ts": iso_ms(event_ms),
            "temperature": round(rng.uniform(low, high), 2),
            "humidity": round(rng.uniform(20.0, 90.0), 1) if humid else None,
            "battery": battery,
            "location": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "tags": tags,
        }


_DOCUMENTS: Final[dict[str, Callable[..., Iterator[Document]]]] = {WEBLOG: weblog_documents, IOT: iot_documents}


def documents(kind: str, seed: int = 0, *, start_ms: int = START_MS) -> Iterator[Document]:
    """Endless documents of ``kind`` (``weblog`` or ``iot``)."""
    try:
        generate = _DOCUMENTS[kind]
    except KeyError:
        raise ValueError(f"unknown sample kind {kind!r}: expected one of {', '.join(KINDS)}") from None
    return generate(seed, start_ms=start_ms)


# ------------------------------------------------------------------------------------------------ lines

_RAW_LOG_LINE: Final = (
    b'203.0.113.9 - - [26/Nov/2025:09:20:00 +0000] "GET /search?q=c%2B%2B+primer HTTP/1.1" 200 5120 "-" "curl/8.5.0"\n'
)


def bad_line(kind: str, good: bytes) -> bytes:
    """A bad record of ``kind`` (a key of :data:`BAD_KINDS`) derived from the good JSON line ``good``."""
    body = good.rstrip(b"\n")
    if kind == "invalid_json":
        return body.replace(b'":', b'"=', 1) + b"\n"
    if kind == "truncated_json":
        return body[: len(body) // 2] + b"\n"
    if kind == "nan":
        return b'{"value":NaN,' + body[1:] + b"\n"
    if kind == "json_array":
        return b"[" + body + b"]\n"
    if kind == "invalid_utf8":
        return body.replace(b'":"', b'":"\xff\xfe', 1) + b"\n"
    if kind == "big_integer":
        return b'{"id":18446744073709551616,' + body[1:] + b"\n"
    if kind == "lone_surrogate":
        return b'{"note":"\\ud800",' + body[1:] + b"\n"
    if kind == "not_json":
        return _RAW_LOG_LINE
    if kind == "blank":
        return b"\n"
    raise ValueError(f"unknown bad record kind {kind!r}: expected one of {', '.join(BAD_KINDS)}")


def labelled_lines(
    kind: str,
    seed: int = 0,
    *,
    count: int | None = None,
    bad_share: float = 0.0,
    bad_kinds: Iterable[str] = tuple(BAD_KINDS),
    start_ms: int = START_MS,
) -> Iterator[tuple[str | None, bytes]]:
    """``(bad kind or None, line)`` pairs: ``count`` lines (default: endless) of ``kind``.

    Each line is replaced, with probability ``bad_share`` (default 0), by a bad record of one of
    ``bad_kinds`` (chosen evenly) derived from it. The good lines do not depend on ``bad_share``: the same
    seed gives the same stream with some lines replaced.
    """
    if not 0.0 <= bad_share <= 1.0:
        raise ValueError(f"bad_share must be between 0 and 1, got {bad_share}")
    kinds = tuple(bad_kinds)
    for name in kinds:
        if name not in BAD_KINDS:
            raise ValueError(f"unknown bad record kind {name!r}: expected one of {', '.join(BAD_KINDS)}")
    if bad_share and not kinds:
        raise ValueError("bad_share needs at least one bad record kind")
    chooser = random.Random(f"bad-records-{seed}")
    docs = documents(kind, seed, start_ms=start_ms)
    for doc in docs if count is None else itertools.islice(docs, count):
        line = encode_line(doc)
        if bad_share and chooser.random() < bad_share:
            bad = chooser.choice(kinds)
            yield bad, bad_line(bad, line)
        else:
            yield None, line


def lines(
    kind: str,
    seed: int = 0,
    *,
    count: int | None = None,
    bad_share: float = 0.0,
    bad_kinds: Iterable[str] = tuple(BAD_KINDS),
    start_ms: int = START_MS,
) -> Iterator[bytes]:
    """Newline-terminated JSON lines of ``kind`` (see :func:`labelled_lines` for the options)."""
    for _, line in labelled_lines(kind, seed, count=count, bad_share=bad_share, bad_kinds=bad_kinds, start_ms=start_ms):
        yield line


# ------------------------------------------------------------------------------------------------ events

ACCOUNT: Final = "123456789012"
REGION: Final = "us-east-1"
#: What a Firehose record id looks like (56 digits); the last 8 are the record's index.
_RECORD_ID_PREFIX: Final = "495469866831355442865074579363216256757001924711"
_SHARDS: Final = 4


def firehose_event(
    payloads: Iterable[bytes],
    *,
    kinesis: bool = False,
    first_index: int = 0,
    arrival_ms: int = START_MS,
    stream_name: str = "sample",
    region: str = REGION,
) -> dict[str, Any]:
    """The event Firehose sends its transform Lambda for these record payloads (one record each).

    Direct PUT by default; with ``kinesis``, as from a Kinesis Data Stream source: the event has
    ``sourceKinesisStreamArn`` and each record ``kinesisRecordMetadata`` (records spread over 4 shards).
    Record ``i`` (counting from ``first_index``) arrived at ``arrival_ms + i``.
    """
    records: list[dict[str, Any]] = []
    for index, payload in enumerate(payloads, first_index):
        record: dict[str, Any] = {
            "recordId": f"{_RECORD_ID_PREFIX}{index:08d}",
            "approximateArrivalTimestamp": arrival_ms + index,
            "data": base64.b64encode(payload).decode("ascii"),
        }
        if kinesis:
            record["kinesisRecordMetadata"] = {
                "shardId": f"shardId-{index % _SHARDS:012d}",
                "partitionKey": f"{index * 2_654_435_761 % 2**32:08x}",
                "approximateArrivalTimestamp": arrival_ms + index,
                "sequenceNumber": f"4959{index // _SHARDS:052d}",
                "subsequenceNumber": 0,
            }
        records.append(record)
    event: dict[str, Any] = {
        "invocationId": "00540a87-5050-496a-84e4-e7d92bbaf5e2",
        "deliveryStreamArn": f"arn:aws:firehose:{region}:{ACCOUNT}:deliverystream/{stream_name}",
        "region": region,
        "records": records,
    }
    if kinesis:
        event["sourceKinesisStreamArn"] = f"arn:aws:kinesis:{region}:{ACCOUNT}:stream/{stream_name}-source"
    return event


def take_bytes(payloads: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The payloads, in order, as long as their total stays within ``limit`` bytes."""
    total = 0
    for payload in payloads:
        total += len(payload)
        if total > limit:
            return
        yield payload


def event_of_size(
    kind: str, data_bytes: int, *, seed: int = 0, kinesis: bool = False, bad_share: float = 0.0
) -> dict[str, Any]:
    """A Firehose event of ``kind`` lines whose record data (decoded) totals at most ``data_bytes``, as full as fits."""
    return firehose_event(take_bytes(lines(kind, seed, bad_share=bad_share), data_bytes), kinesis=kinesis)

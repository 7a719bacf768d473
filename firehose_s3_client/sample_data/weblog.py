"""Web access-log events as Fluent Bit sends them to the FirehoseS3WebLogs stack (see the package docstring)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Final
from urllib.parse import quote, quote_plus

from firehose_s3_client.sample_data.records import START_MS, Document, iso_ms

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

"""The one scrub every log line goes through (ours, the libraries', their tracebacks).

What it removes, and why each rule is shaped as it is, is written down in docs/logging.md:
session JWTs and bearer tokens; the value of any header, query parameter or `key: value`
pair whose name speaks of a key, secret, signature, token, passphrase, password, cookie or
authorization; the path of every URL and request line (where webhook and bot tokens live)
except the exchanges' own endpoints, listed below; everything after `scheme://` for the
schemes that are not the web's (Apprise URLs carry their token as the "host"); users'
live-feed tokens; and Reflex's event dumps. Lines keep their method, host, port and status,
so they still say what happened.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# --- URLs and request lines -------------------------------------------------------------
# Paths that carry nothing secret: the exchanges' public market endpoints (query kept) and
# their private endpoints with fixed paths (query dropped: it holds the signature). Whole
# paths only, never prefixes: a webhook's path that merely starts like one is still hidden.
_PUBLIC_PATHS = re.compile(
    r"/api/v3/(?:ticker(?:/price|/24hr|/bookTicker)?|klines|uiKlines|exchangeInfo|time|ping"
    r"|depth|avgPrice|trades)"
    r"|/sapi/v1/system/status"
    r"|/v2/(?:time|currencies(?:/crypto)?|exchange-rates|prices/[A-Za-z0-9]+-[A-Za-z0-9]+/spot)"
    r"|/api/v3/brokerage/(?:time|market/products(?:/[A-Za-z0-9]+-[A-Za-z0-9]+"
    r"(?:/ticker|/candles)?)?)"
)
_PRIVATE_EXCHANGE_PATHS = re.compile(
    r"/api/v3/(?:account|myTrades|order|order/test|openOrders|allOrders)"
    r"|/sapi/v1/(?:capital/(?:deposit/hisrec|withdraw/history|config/getall)"
    r"|asset/(?:dribblet|assetDividend|get-funding-asset)|account/(?:apiRestrictions|status)"
    r"|convert/tradeFlow|fiat/(?:orders|payments)"
    r"|simple-earn/(?:flexible|locked)/(?:position|history/rewardsRecord))"
    r"|/api/v3/brokerage/(?:accounts|key_permissions|orders|orders/historical/(?:fills|batch))"
    r"|/v2/(?:accounts|user)"
)
_WEB_SCHEMES = frozenset({"http", "https", "ws", "wss"})
# scheme://authority[/path][?query]: up to a space, a quote or the end of a repr.
_URL = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]{1,20})://([^/?#\s'\"<>\\]*)([^\s'\"<>\\]*)")
# urllib3's `"POST /hook HTTP/1.1" 200`, httpx's and uvicorn's request lines: no scheme.
_TRAILING_PUNCTUATION = re.compile(r"[,.;:!)]+$")
_REQUEST_LINE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)(\s+)(/[^\s'\"<>\\]*)")


def _scrub_path(rest: str) -> str:
    """A URL's path and query as they may be logged (see `_PUBLIC_PATHS`)."""
    if rest in ("", "/"):  # the site's root ("App running at: http://localhost:3000/")
        return rest
    path, mark, _query = rest.partition("?")
    path = path.split("#", 1)[0]
    if _PUBLIC_PATHS.fullmatch(path):
        return rest
    if _PRIVATE_EXCHANGE_PATHS.fullmatch(path):
        return f"{path}?{REDACTED}" if mark else path
    return "/" + REDACTED


def _scrub_url(match: re.Match[str]) -> str:
    scheme, authority, rest = match.group(1), match.group(2), match.group(3)
    if scheme.lower() not in _WEB_SCHEMES:
        # Apprise (tgram://<bot token>/<chat>, discord://<id>/<token>, json://host/path...),
        # mail and database URLs: the token or password may be anywhere after the scheme.
        return f"{scheme}://{REDACTED}"
    host = authority.rpartition("@")[2]  # user:password@ never stays
    # The sentence's punctuation after a URL ("GET <url>, Request: ...") is not its path.
    trail = _TRAILING_PUNCTUATION.search(rest)
    tail = trail.group(0) if trail else ""
    return f"{scheme}://{host}{_scrub_path(rest[: len(rest) - len(tail)])}{tail}"


def _scrub_request_line(match: re.Match[str]) -> str:
    return f"{match.group(1)}{match.group(2)}{_scrub_path(match.group(3))}"


# --- Named values: headers, query parameters, dict and JSON entries ----------------------
# A name that contains one of these words names a secret: X-MBX-APIKEY, CB-ACCESS-KEY,
# CB-ACCESS-SIGN, CB-ACCESS-PASSPHRASE, apiKey, api_key, signature, sig, token, password...
_SECRET_WORDS = r"key|secret|sig|token|passphrase|passw|auth|cookie|credential|session"  # noqa: S105
_PAIR = re.compile(
    rf"(?<![\w.-])(['\"]?[\w.-]*(?:{_SECRET_WORDS})[\w.-]*['\"]?\s*+[:=]\s*+)"
    r"(?!\[redacted\])"
    r"('[^'\n]*'|\"[^\"\n]*\"|\[[^\]\n]*\]|(?:bearer\s+|basic\s+)?[^\s,;&'\"{}\[\]()]+)",
    re.IGNORECASE,
)
# Cookie and Authorization values run to the end of the line when unquoted ("a=1; b=2").
_HEADER_VALUE = re.compile(
    r"""((?:cookie|authorization|set-cookie)['"]?\s*+[:=]\s*+)(?!['"]?\[redacted\])(['"]?)[^'"\n]*\2""",
    re.IGNORECASE,
)
_SESSION_COOKIE = re.compile(r"(exstrat_session=)[^;\s'\"]*")
_BEARER = re.compile(r"\b(bearer\s+)(?!\[redacted\])[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# A Telegram bot token on its own (123456789:AA...): no name or URL announces it.
_TELEGRAM_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}")
# A user's live-feed token (`state/feed.py` `feed_token`: "feed-" and an HMAC in hex). Reflex
# names it in its own lines, e.g. "Attempting to send delta to disconnected client 'feed-…'"
# on every alert the relay applies (the shared feed never has a socket of its own).
_FEED_TOKEN = re.compile(r"(?<![\w-])(feed-)[0-9A-Fa-f]{16,}")

# --- Reflex's `Event(name='…', router_data={…}, payload={…})` and "Event data: {…}" dumps.
_EVENT_DUMP = re.compile(r"(Event\(name='[^']*').*", re.DOTALL)
_EVENT_DATA = re.compile(r"((?:event data|payload)\s*[:=]\s*).*", re.IGNORECASE | re.DOTALL)


def _scrub_pair(match: re.Match[str]) -> str:
    value = match.group(2)
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match.group(1)}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    """`text` with every secret the rules above know of replaced by `[redacted]`."""
    text = _EVENT_DUMP.sub(rf"\1, {REDACTED})", text)
    text = _EVENT_DATA.sub(rf"\1{REDACTED}", text)
    text = _URL.sub(_scrub_url, text)
    text = _REQUEST_LINE.sub(_scrub_request_line, text)
    text = _HEADER_VALUE.sub(rf"\1\2{REDACTED}\2", text)
    text = _SESSION_COOKIE.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    text = _PAIR.sub(_scrub_pair, text)
    text = _TELEGRAM_TOKEN.sub(REDACTED, text)
    text = _FEED_TOKEN.sub(rf"\1{REDACTED}", text)
    return _JWT.sub(REDACTED, text)

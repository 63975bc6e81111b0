"""Small helpers shared by the Binance and Coinbase wire implementations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.message import Message

from .datasets import PriceHistory

Q8 = Decimal("0.00000001")


def f8(d: Decimal) -> str:
    """Binance style: always 8 decimals (``"2000.00000000"``)."""
    return format(d.quantize(Q8), "f")


def plain(d: Decimal) -> str:
    """Coinbase style: the decimal as written, no exponent (``"0.02"``, ``"5913.56"``)."""
    return format(d, "f")


def jbytes(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def iso_micro(t_ms: int) -> str:
    """``"2024-02-01T15:00:10.500000Z"`` (Coinbase sequence_timestamp style)."""
    dt = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}000Z"


def iso_seconds(t_ms: int) -> str:
    """``"2024-02-01T15:00:10Z"`` (Coinbase v2 style)."""
    return datetime.fromtimestamp(t_ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> int:
    """RFC 3339 -> epoch ms (accepts ``Z``, offsets and fractional seconds)."""
    s = s.strip().replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            frac += rest[i]
            i += 1
        s = head + "." + (frac + "000000")[:6] + rest[i:]
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    client: str
    account: object = None  # set by the exchange's auth step

    def arg(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    @property
    def target(self) -> str:
        return self.path + ("?" + self.raw_query if self.raw_query else "")


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(obj: object, status: int = 200) -> Response:
    return Response(status, jbytes(obj))


def text_response(status: int, text: str, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), content_type)


# ---- candles and 24h statistics from a price history ---------------------------------------


def candle(hist: PriceHistory, open_ms: int, interval_ms: int, now_ms: int) -> tuple:
    """(open, high, low, close, n_points) of the candle starting at ``open_ms``.

    close = last price at or before the candle's last millisecond (or now, for the current
    candle); open = last price before the candle (or its first point); high/low over the
    points inside plus open and close.
    """
    close_t = min(open_ms + interval_ms - 1, now_ms)
    inside = hist.between(open_ms, close_t)
    o = hist.at(open_ms - 1)
    if o is None:
        o = inside[0] if inside else hist.at(close_t)
    c = hist.at(close_t)
    if c is None:
        c = o
    vals = [o, c, *inside]
    return o, max(vals), min(vals), c, len(inside)


def candle_opens(
    hist: PriceHistory,
    interval_ms: int,
    now_ms: int,
    start_ms: int | None,
    end_ms: int | None,
    limit: int,
) -> list[int]:
    """Open times of the candles Binance would return (oldest first).

    With a start: candles whose open time is >= start (so pass a minute's start to get that
    minute). Without: the last ``limit`` candles up to ``end`` (or now). Nothing before the
    first price point or after the current candle.
    """
    first = hist.first_time()
    if first is None:
        return []
    first_open = first // interval_ms * interval_ms
    last_open = now_ms // interval_ms * interval_ms
    if end_ms is not None:
        last_open = min(last_open, end_ms // interval_ms * interval_ms)
    if start_ms is not None:
        o = max(-(-start_ms // interval_ms) * interval_ms, first_open)
        out = []
        while o <= last_open and len(out) < limit:
            out.append(o)
            o += interval_ms
        return out
    o0 = max(first_open, last_open - (limit - 1) * interval_ms)
    return list(range(o0, last_open + 1, interval_ms)) if last_open >= o0 else []


def stats_24h(hist: PriceHistory, now_ms: int) -> dict:
    t0 = now_ms - 86_400_000
    last = hist.at(now_ms)
    if last is None:
        last = hist.prices[0] if len(hist) else Decimal(0)
    o = hist.at(t0)
    pts = hist.between(t0, now_ms)
    if o is None:
        o = pts[0] if pts else last
    vals = [o, last, *pts]
    return {"open": o, "high": max(vals), "low": min(vals), "last": last, "count": len(pts)}

"""Candles and 24h statistics from a price path: Binance's klines/24hr tickers and Coinbase's
candles/products are all computed from the same points."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .datasets.prices import PriceHistory


class Candle(NamedTuple):
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    points: int  # price points inside the candle (the simulated "volume")


class DayStats(NamedTuple):
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    count: int


def candle(hist: PriceHistory, open_ms: int, interval_ms: int, now_ms: int) -> Candle:
    """The candle starting at ``open_ms``.

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
    return Candle(o, max(vals), min(vals), c, len(inside))  # type: ignore[arg-type]


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


def stats_24h(hist: PriceHistory, now_ms: int) -> DayStats:
    """Open (the price 24 h ago), high, low, last and the number of points in the last day."""
    t0 = now_ms - 86_400_000
    last = hist.at(now_ms)
    if last is None:
        last = hist.prices[0] if len(hist) else Decimal(0)
    o = hist.at(t0)
    pts = hist.between(t0, now_ms)
    if o is None:
        o = pts[0] if pts else last
    vals = [o, last, *pts]
    return DayStats(o, max(vals), min(vals), last, len(pts))

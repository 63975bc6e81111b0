"""Candles (`fetch_ohlcv`): closes for price history and charts, as (open time, close) pairs,
and the extremes of the 1-minute candles since a moment, for the watcher's REST path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import ccxt

from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.rows import dt_to_ms, ms_to_dt, to_dec

CANDLES_LIMIT = 1000


def fetch_candles(
    instance: ccxt.Exchange,
    symbol: str,
    since: datetime,
    *,
    limit: int = CANDLES_LIMIT,
    timeframe: str = "1m",
) -> list[tuple[datetime, Decimal]]:
    """Candles of `symbol` from `since` on: [(open time, close)], oldest first; 1-minute ones
    unless `timeframe` says otherwise ("1d": the value history's daily closes)."""
    rows = call(instance, "fetch_ohlcv", symbol, timeframe, dt_to_ms(since), limit)
    return [(ms_to_dt(row[0]), to_dec(row[4])) for row in rows]


def fetch_daily_closes(
    instance: ccxt.Exchange, symbol: str, days: int
) -> list[tuple[datetime, Decimal]]:
    """The last `days` daily candles of `symbol`: [(open day, close)], oldest first."""
    rows = call(instance, "fetch_ohlcv", symbol, "1d", None, days)
    return [(ms_to_dt(row[0]), to_dec(row[4])) for row in rows]


@dataclass(frozen=True)
class MinuteExtremes:
    """The highest and lowest prices of the 1-minute candles read, with their candles' open
    minutes, and the last close (the newest candle is the current, unfinished one)."""

    high: Decimal
    high_at: datetime
    low: Decimal
    low_at: datetime
    close: Decimal


def fetch_minute_extremes(
    instance: ccxt.Exchange, symbol: str, since: datetime, *, limit: int = CANDLES_LIMIT
) -> MinuteExtremes | None:
    """Extremes of `symbol`'s 1-minute candles from the one holding `since` on (Binance
    `GET /api/v3/klines`, weight 2; `startTime` floored to the minute so that candle is in):
    one request covers `limit` minutes. None when there is no candle."""
    start_ms = dt_to_ms(since) // 60_000 * 60_000
    rows = call(instance, "fetch_ohlcv", symbol, "1m", start_ms, limit)
    if not rows:
        return None
    high_row = max(rows, key=lambda r: (to_dec(r[2]), -int(r[0])))  # the first at the top
    low_row = min(rows, key=lambda r: (to_dec(r[3]), int(r[0])))
    return MinuteExtremes(
        high=to_dec(high_row[2]),
        high_at=ms_to_dt(high_row[0]),
        low=to_dec(low_row[3]),
        low_at=ms_to_dt(low_row[0]),
        close=to_dec(rows[-1][4]),
    )

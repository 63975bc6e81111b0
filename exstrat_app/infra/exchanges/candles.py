"""Candle closes (`fetch_ohlcv`) for price history and charts, as (open time, close) pairs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import ccxt

from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.rows import dt_to_ms, ms_to_dt, to_dec

CANDLES_LIMIT = 1000


def fetch_candles(
    instance: ccxt.Exchange, symbol: str, since: datetime, *, limit: int = CANDLES_LIMIT
) -> list[tuple[datetime, Decimal]]:
    """1-minute candles of `symbol` from `since` on: [(open minute, close)], oldest first."""
    rows = call(instance, "fetch_ohlcv", symbol, "1m", dt_to_ms(since), limit)
    return [(ms_to_dt(row[0]), to_dec(row[4])) for row in rows]


def fetch_daily_closes(
    instance: ccxt.Exchange, symbol: str, days: int
) -> list[tuple[datetime, Decimal]]:
    """The last `days` daily candles of `symbol`: [(open day, close)], oldest first."""
    rows = call(instance, "fetch_ohlcv", symbol, "1d", None, days)
    return [(ms_to_dt(row[0]), to_dec(row[4])) for row in rows]

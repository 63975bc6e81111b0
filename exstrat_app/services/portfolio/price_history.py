"""Historical prices for valuing fees and non-stable quote legs at a trade's time (SPEC §4).

The price of ASSET at a moment is the close of Binance's 1-minute candle of ASSET/USDT (or
ASSET/USDC when there is no USDT market) opening at that minute. Candles are public (no key)
and never change once the minute is over, so each one is fetched once ever and kept in
`PriceCandle`. `prefetch` batches: the minutes a rebuild will ask for are grouped per symbol
and read with as few `klines` requests as possible (one per 1000 consecutive minutes).

Fetched candles are written in the caller's transaction, never committed here: they are
stored with the positions they valued, when the caller commits its unit of work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from redis import Redis
from sqlmodel import Session, select

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.money import STABLE_QUOTES
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.bulk import insert_ignore
from exstrat_app.models import PriceCandle

log = logging.getLogger(__name__)

PRICING_QUOTES = ("USDT", "USDC")  # tried in this order
MINUTE = timedelta(minutes=1)
_IN_CHUNK = 500  # bound on the number of (symbol, minute) pairs per IN query


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class MinuteCloses:
    """`price_at(asset, ts)` for the positions engine: the close of the 1-minute candle of
    that moment, backed by PriceCandle and Binance. (Not the simulator's `PriceHistory`,
    which generates a market's prices.)

    Stable assets are worth 1. Call `prefetch` with every (asset, ts) a rebuild needs first:
    `price_at` then answers from memory; a minute not prefetched is fetched on demand.
    Cached candles are read without touching the exchange (not even its market list), so a
    rebuild of already-valued trades works while Binance is unreachable.
    """

    def __init__(
        self,
        session: Session,
        *,
        redis: Redis | None = None,
        exchange_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.session = session
        self.redis = redis
        self._factory = exchange_factory or (lambda: xa.make_exchange("binance", redis=redis))
        self._instance: Any = None
        self._closes: dict[tuple[str, datetime], Decimal] = {}  # (asset, minute) -> close
        self._absent: set[tuple[str, datetime]] = set()  # asked of Binance, no candle
        self.fetches = 0  # exchange requests made (tests check the cache with it)

    # -- public ----------------------------------------------------------------------------

    def price_at(self, asset: str, ts: datetime) -> Decimal:
        if asset in STABLE_QUOTES:
            return Decimal(1)
        key = (asset, floor_minute(ts))
        if key not in self._closes and key not in self._absent:
            self.prefetch([(asset, ts)])
        close = self._closes.get(key)
        if close is None:
            raise PriceUnavailable(asset, ts, "no 1-minute candle of it in USDT or USDC")
        return close

    def prefetch(self, needs: Iterable[tuple[str, datetime]]) -> None:
        """Make sure every (asset, ts) has its candle close in memory: from PriceCandle
        first, then from Binance (storing what was fetched)."""
        wanted: dict[str, set[datetime]] = defaultdict(set)
        for asset, ts in needs:
            if asset not in STABLE_QUOTES:
                wanted[asset].add(floor_minute(ts))
        for asset, minutes in wanted.items():
            todo = sorted(m for m in minutes if (asset, m) not in self._closes)
            for quote in PRICING_QUOTES:
                if not todo:
                    break
                symbol = f"{asset}/{quote}"
                self._load_cached(asset, symbol, todo)
                todo = [m for m in todo if (asset, m) not in self._closes]
                if todo and self._listed(symbol):
                    self._fetch(asset, symbol, todo)
                    todo = [m for m in todo if (asset, m) not in self._closes]
            self._absent.update((asset, m) for m in todo)

    # -- internals -------------------------------------------------------------------------

    def _exchange(self) -> Any:
        if self._instance is None:
            self._instance = self._factory()
            xa.ensure_markets(self._instance, redis=self.redis)
        return self._instance

    def _listed(self, symbol: str) -> bool:
        return symbol in (self._exchange().markets or {})

    def _load_cached(self, asset: str, symbol: str, minutes: list[datetime]) -> None:
        for i in range(0, len(minutes), _IN_CHUNK):
            chunk = minutes[i : i + _IN_CHUNK]
            rows = self.session.exec(
                select(PriceCandle.minute, PriceCandle.close).where(
                    PriceCandle.symbol == symbol,
                    PriceCandle.minute.in_(chunk),  # type: ignore[attr-defined]
                )
            ).all()
            for minute, close in rows:
                self._closes[(asset, minute)] = close

    def _fetch(self, asset: str, symbol: str, minutes: list[datetime]) -> None:
        """One klines request per run of minutes that fits in 1000 candles; only the minutes
        asked for are stored (a year of candles for three fees would bloat the table)."""
        found: list[dict[str, Any]] = []
        i = 0
        while i < len(minutes):
            start = minutes[i]
            # Ask for exactly the span up to the last wanted minute within 1000 minutes.
            horizon = start + MINUTE * (xa.CANDLES_LIMIT - 1)
            j = i
            while j + 1 < len(minutes) and minutes[j + 1] <= horizon:
                j += 1
            span = int((minutes[j] - start) / MINUTE) + 1
            candles = dict(xa.fetch_candles(self._exchange(), symbol, start, limit=span))
            self.fetches += 1
            for minute in minutes[i : j + 1]:
                close = candles.get(minute)
                if close is not None:
                    self._closes[(asset, minute)] = close
                    found.append({"symbol": symbol, "minute": minute, "close": close})
            i = j + 1
        if found:
            insert_ignore(self.session, PriceCandle, found, ["symbol", "minute"])

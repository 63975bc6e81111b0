"""Daily closes for the value history (issue 16): the close of ASSET on a UTC day, in USDT.

The same price routes as `price_history.py` (the 1-minute prices of fees and quote legs):
ASSET/USDT, then ASSET/USDC, then ASSET/BTC x BTC, ASSET/BNB x BNB, the inverse stable pair
of a fiat (USDT/TRY), ASSET/EUR x EUR; here over Binance's `1d` klines (the candle opening at
00:00 UTC, its close at the day's end).

A finished day's candle never changes: each is fetched once ever and kept in `DailyCandle`
(written in the caller's transaction, never committed here). Today's candle is unfinished:
its close (the last price) is used but not stored. `offline=True` reads the cache only (the
pages' read path never calls the exchange).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis import Redis
from sqlmodel import Session, select

from exstrat_app.domain.money import STABLE_QUOTES
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.bulk import insert_ignore
from exstrat_app.models import DailyCandle
from exstrat_app.services.portfolio.price_history import RoutedCloses

log = logging.getLogger(__name__)

DAY = timedelta(days=1)
ONE = Decimal(1)
_IN_CHUNK = 500


def today_utc() -> date:
    return datetime.now(UTC).date()


class DailyCloses(RoutedCloses[date]):
    """`close(asset, day) -> Decimal | None` for `domain.history`, backed by DailyCandle and
    Binance. Call `prefetch(assets, first, last)` first: `close` then answers from memory."""

    def __init__(
        self,
        session: Session,
        *,
        redis: Redis | None = None,
        exchange_factory: Callable[[], Any] | None = None,
        offline: bool = False,
        today: date | None = None,
    ) -> None:
        self.session = session
        self.redis = redis
        self.offline = offline
        self.today = today or today_utc()
        self._factory = exchange_factory or (lambda: xa.make_exchange("binance", redis=redis))
        self._instance: Any = None
        self._candles: dict[tuple[str, date], Decimal] = {}  # (symbol, day) -> close
        self._tried: set[tuple[str, date]] = set()
        self._closes: dict[tuple[str, date], Decimal] = {}  # (asset, day) -> close in USDT
        self._asked: set[tuple[str, date]] = set()  # (asset, day) resolved (found or not)
        self.fetches = 0  # klines requests made (tests check the cache with it)

    def close(self, asset: str, day: date) -> Decimal | None:
        if asset in STABLE_QUOTES:
            return ONE
        if (asset, day) not in self._asked:
            self.prefetch([asset], day, day)
        return self._closes.get((asset, day))

    def prefetch(self, assets: Iterable[str], first: date, last: date) -> None:
        """Resolve every day from `first` to `last` of every asset: cache, then Binance."""
        last = min(last, self.today)
        if last < first:
            return
        span = [first + DAY * i for i in range((last - first).days + 1)]
        wanted: dict[str, list[date]] = defaultdict(list)
        for asset in set(assets):
            if asset in STABLE_QUOTES:
                continue
            todo = [d for d in span if (asset, d) not in self._asked]
            self._asked.update((asset, d) for d in todo)
            if todo:
                wanted[asset] = todo
        missing: dict[str, list[date]] = {}
        for asset, todo in wanted.items():
            todo = self._direct(asset, todo)
            if todo:
                missing[asset] = todo
        for asset, todo in missing.items():
            self._other_routes(asset, todo)

    # -- cache and exchange ------------------------------------------------------------------

    def _exchange(self) -> Any:
        if self._instance is None:
            self._instance = self._factory()
            xa.ensure_markets(self._instance, redis=self.redis)
        return self._instance

    def _pair(self, symbol: str, days: list[date]) -> None:
        todo = [d for d in days if (symbol, d) not in self._tried]
        if not todo:
            return
        self._tried.update((symbol, d) for d in todo)
        self._load_cached(symbol, todo)
        todo = [d for d in todo if (symbol, d) not in self._candles]
        if todo and not self.offline and symbol in (self._exchange().markets or {}):
            self._fetch(symbol, todo)

    def _load_cached(self, symbol: str, days: list[date]) -> None:
        lo, hi = min(days), max(days)
        rows = self.session.exec(
            select(DailyCandle.day, DailyCandle.close).where(
                DailyCandle.symbol == symbol,
                DailyCandle.day >= lo,  # type: ignore[operator]
                DailyCandle.day <= hi,  # type: ignore[operator]
            )
        ).all()
        for day, close in rows:
            self._candles[(symbol, day)] = close

    def _fetch(self, symbol: str, days: list[date]) -> None:
        """One klines request per 1000 days of the span asked for; finished days stored."""
        wanted = set(days)
        found: list[dict[str, Any]] = []
        start, end = min(days), max(days)
        while start <= end:
            span = min((end - start).days + 1, xa.CANDLES_LIMIT)
            since = datetime(start.year, start.month, start.day, tzinfo=UTC)
            rows = xa.fetch_candles(self._exchange(), symbol, since, limit=span, timeframe="1d")
            self.fetches += 1
            for opened, close in rows:
                day = opened.astimezone(UTC).date()
                if day not in wanted or (symbol, day) in self._candles:
                    continue
                self._candles[(symbol, day)] = close
                if day < self.today:  # today's candle is not finished: never stored
                    found.append({"symbol": symbol, "day": day, "close": close})
            start += DAY * span
        for i in range(0, len(found), _IN_CHUNK):
            insert_ignore(self.session, DailyCandle, found[i : i + _IN_CHUNK], ["symbol", "day"])

"""Historical prices for valuing fees and non-stable quote legs at a trade's time.

The price of ASSET at a moment is the close of Binance's 1-minute candle of ASSET/USDT (or
ASSET/USDC when there is no USDT market) opening at that minute. When that minute has no
direct candle, the other routes are tried in order (`ROUTES`): ASSET/BTC x BTC/USDT,
ASSET/BNB x BNB/USDT, the inverse stable pair of a fiat (USDT/TRY), ASSET/EUR x EUR/USDT.
None of them: `PriceUnavailable`, which the engine records as an unvalued item.

Candles are public (no key) and never change once the minute is over, so each one is
fetched once ever and kept in `PriceCandle`. `prefetch` batches: the minutes a rebuild will
ask for are grouped per symbol and read with as few `klines` requests as possible (one per
1000 consecutive minutes).

Fetched candles are written in the caller's transaction, never committed here: they are
stored with the positions they valued, when the caller commits its unit of work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from redis import Redis
from sqlmodel import Session, select

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.money import STABLE_QUOTES
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.bulk import insert_ignore
from exstrat_app.models import PriceCandle

log = logging.getLogger(__name__)

PRICING_QUOTES = ("USDT", "USDC")  # tried in this order
# The other routes, in order, when no direct candle exists: (kind, other asset).
# "cross": ASSET/OTHER x OTHER's direct price; "inverse": 1 / close of OTHER/ASSET.
ROUTES: tuple[tuple[str, str], ...] = (
    ("cross", "BTC"),
    ("cross", "BNB"),
    ("inverse", "USDT"),
    ("inverse", "USDC"),
    ("cross", "EUR"),
)
MINUTE = timedelta(minutes=1)
ONE = Decimal(1)
K = TypeVar("K", datetime, date)
_IN_CHUNK = 500  # bound on the number of (symbol, minute) pairs per IN query


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class RoutedCloses(Generic[K]):
    """The price routes over a time key (a minute here, a day in `daily_closes.py`): the
    direct pairs (`PRICING_QUOTES`), then `ROUTES`. Subclasses fill `_candles` (symbol, key)
    -> close through `_pair` and may record what no route prices (`_unpriced`)."""

    _candles: dict[tuple[str, K], Decimal]
    _closes: dict[tuple[str, K], Decimal]  # (asset, key) -> close in the reporting quote

    def _pair(self, symbol: str, keys: list[K]) -> None:
        raise NotImplementedError

    def _unpriced(self, asset: str, keys: list[K]) -> None:
        """`keys` of `asset` with no price on any route tried."""

    def _direct(self, asset: str, todo: list[K]) -> list[K]:
        """Price the keys from ASSET/USDT, then ASSET/USDC; return those still unpriced."""
        for quote in PRICING_QUOTES:
            if not todo:
                break
            symbol = f"{asset}/{quote}"
            self._pair(symbol, todo)
            for k in todo:
                close = self._candles.get((symbol, k))
                if close is not None:
                    self._closes[(asset, k)] = close
            todo = [k for k in todo if (asset, k) not in self._closes]
        return todo

    def _other_routes(self, asset: str, todo: list[K]) -> list[K]:
        """Try `ROUTES` in order for the keys the direct pairs left; return those left."""
        for kind, other in ROUTES:
            if not todo:
                break
            if other != asset:
                todo = self._route(asset, kind, other, todo)
        return todo

    def _route(self, asset: str, kind: str, other: str, todo: list[K]) -> list[K]:
        if kind == "inverse":
            symbol = f"{other}/{asset}"
            self._pair(symbol, todo)
            for k in todo:
                close = self._candles.get((symbol, k))
                if close:  # 0 cannot be inverted
                    self._closes[(asset, k)] = ONE / close
        else:
            symbol = f"{asset}/{other}"
            self._pair(symbol, todo)
            have = [k for k in todo if (symbol, k) in self._candles]
            if have:
                left = self._direct(other, [k for k in have if (other, k) not in self._closes])
                self._unpriced(other, left)
            for k in have:
                bridge = ONE if other in STABLE_QUOTES else self._closes.get((other, k))
                if bridge is not None:
                    self._closes[(asset, k)] = self._candles[(symbol, k)] * bridge
        return [k for k in todo if (asset, k) not in self._closes]


class MinuteCloses(RoutedCloses[datetime]):
    """`price_at(asset, ts)` for the positions engine: the close of the 1-minute candle of
    that moment, backed by PriceCandle and Binance. (Not the simulator's `PriceHistory`,
    which generates a market's prices.)

    Stable assets are worth 1. Call `prefetch` with every (asset, ts) a rebuild needs first:
    `price_at` then answers from memory; a minute not prefetched is fetched on demand.
    Cached candles are read without touching the exchange (not even its market list), so a
    rebuild of already-valued trades works while Binance is unreachable.

    A minute with no direct candle goes through `ROUTES` (ASSET/BTC x BTC/USDT, ...): every
    route's candles come from the same cache and exchange.
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
        self._candles: dict[tuple[str, datetime], Decimal] = {}  # (symbol, minute) -> close
        self._tried: set[tuple[str, datetime]] = set()  # (symbol, minute) looked up already
        self._closes: dict[tuple[str, datetime], Decimal] = {}  # (asset, minute) -> price
        self._absent: set[tuple[str, datetime]] = set()  # (asset, minute): no route at all
        self.fetches = 0  # exchange requests made (tests check the cache with it)
        self._cached_only = False  # set by prefetch(cached_only=True) while it runs

    # -- public ----------------------------------------------------------------------------

    def price_at(self, asset: str, ts: datetime) -> Decimal:
        if asset in STABLE_QUOTES:
            return Decimal(1)
        key = (asset, floor_minute(ts))
        if key not in self._closes and key not in self._absent:
            self.prefetch([(asset, ts)])
        close = self._closes.get(key)
        if close is None:
            raise PriceUnavailable(
                asset, ts, "no 1-minute candle of it in USDT or USDC, nor through BTC, BNB or EUR"
            )
        return close

    def prefetch(self, needs: Iterable[tuple[str, datetime]], *, cached_only: bool = False) -> None:
        """Make sure every (asset, ts) has its price in memory: from PriceCandle first, then
        from Binance (storing what was fetched); direct pairs first, then the other routes
        for the minutes still without a price. `cached_only`: PriceCandle only, the exchange
        is not asked (and those minutes are not asked of it later by this instance)."""
        self._cached_only = cached_only
        try:
            self._prefetch(needs)
        finally:
            self._cached_only = False

    def prefetch_direct(
        self, asset: str, moments: Iterable[datetime], *, cached_only: bool = False
    ) -> bool:
        """`asset`'s own pairs only (ASSET/USDT, then ASSET/USDC), no other route: for a rate
        such as EURUSDT, which is that close or nothing. The minutes left without one are
        unpriced. True when every minute has its close."""
        self._cached_only = cached_only
        try:
            minutes = {floor_minute(m) for m in moments}
            todo = sorted(m for m in minutes if (asset, m) not in self._closes)
            left = self._direct(asset, todo)
        finally:
            self._cached_only = False
        self._unpriced(asset, left)
        return not left

    def any_cached(self, symbol: str, first: datetime, last: datetime) -> bool:
        """Whether PriceCandle holds any close of `symbol` between the two moments (one
        indexed read: lets a caller skip work that needs them all)."""
        row = self.session.exec(
            select(PriceCandle.minute)
            .where(
                PriceCandle.symbol == symbol,
                PriceCandle.minute >= floor_minute(first),  # type: ignore[operator]
                PriceCandle.minute <= last,  # type: ignore[operator]
            )
            .limit(1)
        ).first()
        return row is not None

    def _prefetch(self, needs: Iterable[tuple[str, datetime]]) -> None:
        wanted: dict[str, set[datetime]] = defaultdict(set)
        for asset, ts in needs:
            if asset not in STABLE_QUOTES:
                wanted[asset].add(floor_minute(ts))
        missing: dict[str, list[datetime]] = {}
        for asset, minutes in wanted.items():
            todo = sorted(m for m in minutes if (asset, m) not in self._closes)
            todo = self._direct(asset, todo)
            if todo:
                missing[asset] = todo
        for asset, todo in missing.items():
            self._unpriced(asset, self._other_routes(asset, todo))

    def _unpriced(self, asset: str, keys: list[datetime]) -> None:
        self._absent.update((asset, m) for m in keys)

    # -- internals -------------------------------------------------------------------------

    def _exchange(self) -> Any:
        if self._instance is None:
            self._instance = self._factory()
            xa.ensure_markets(self._instance, redis=self.redis)
        return self._instance

    def _listed(self, symbol: str) -> bool:
        return symbol in (self._exchange().markets or {})

    def _pair(self, symbol: str, minutes: list[datetime]) -> None:
        """The closes of `symbol` at `minutes` into `_candles`: the cache, then Binance when
        the market is listed. Each (symbol, minute) is looked up once per instance."""
        todo = [m for m in minutes if (symbol, m) not in self._tried]
        if not todo:
            return
        self._tried.update((symbol, m) for m in todo)
        self._load_cached(symbol, todo)
        todo = [m for m in todo if (symbol, m) not in self._candles]
        if todo and not self._cached_only and self._listed(symbol):
            self._fetch(symbol, todo)

    def _load_cached(self, symbol: str, minutes: list[datetime]) -> None:
        if len(minutes) > _IN_CHUNK:
            # Many minutes (a rate at every trade's minute): one range read beats hundreds of
            # IN queries; only the minutes asked for are ever stored, so the range is small.
            wanted = set(minutes)
            rows = self.session.exec(
                select(PriceCandle.minute, PriceCandle.close).where(
                    PriceCandle.symbol == symbol,
                    PriceCandle.minute >= min(minutes),  # type: ignore[operator]
                    PriceCandle.minute <= max(minutes),  # type: ignore[operator]
                )
            ).all()
            for minute, close in rows:
                if minute in wanted:
                    self._candles[(symbol, minute)] = close
            return
        for i in range(0, len(minutes), _IN_CHUNK):
            chunk = minutes[i : i + _IN_CHUNK]
            rows = self.session.exec(
                select(PriceCandle.minute, PriceCandle.close).where(
                    PriceCandle.symbol == symbol,
                    PriceCandle.minute.in_(chunk),  # type: ignore[attr-defined]
                )
            ).all()
            for minute, close in rows:
                self._candles[(symbol, minute)] = close

    def _fetch(self, symbol: str, minutes: list[datetime]) -> None:
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
                    self._candles[(symbol, minute)] = close
                    found.append({"symbol": symbol, "minute": minute, "close": close})
            i = j + 1
        if found:
            insert_ignore(self.session, PriceCandle, found, ["symbol", "minute"])

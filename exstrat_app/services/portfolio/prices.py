"""Last prices from the one provider (`PRICE_PROVIDER=binance`, README), cached in Redis.

One upstream request (`GET /api/v3/ticker/price`, no symbol: every market at once) refreshes
the cache for all assets, so the watcher and every page share one request per cache period
however many assets are watched. The cache is a Redis hash `symbol -> "price|fetched_ms"`:
each price carries the time it was fetched, so a symbol that stops being listed (or a cache
kept while the upstream is down) ages into staleness instead of looking current.

- Freshness is judged against the Python clock (`time.time()`), not Redis TTLs, so tests can
  move time with freezegun and the rule is the same on every process.
- A Redis lock (`infra/locks.py`) lets one process fetch while the others wait for its result.
- Upstream errors: a few quick attempts with jittered exponential backoff (tenacity), then a
  cooldown in Redis that doubles with each consecutive failed refresh (with jitter) so a dead
  upstream is not hammered by every caller.
- A price older than `STALE_FACTOR` x the cache period is stale: `last_prices` leaves it out
  (unless asked), so a stale price can never trigger a step.

The HTTP request itself is the adapter's (`infra/exchanges/tickers.py`); the entry points
build the provider with their Redis and settings (`bootstrap.price_provider()`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from exstrat_app.domain.money import fmt, is_stable
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.exchanges.client import server_of
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

STALE_FACTOR = 2
LOCK_SECONDS = 30  # longer than a whole fetch with its retries
MAX_COOLDOWN_SECONDS = 300
# Binance lists no */USD market: the stablecoin stands in for USD (1:1, docs/currencies.md).
QUOTE_ALIASES = {"USD": "USDT"}


@dataclass(frozen=True)
class Quote:
    price: Decimal
    at: datetime  # when the price was fetched from the provider (UTC)

    def age_seconds(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at.timestamp()


# Every market's last price {market id: price}; raises `xa.TickerUnavailable` on failure.
Fetcher = Callable[[], dict[str, Decimal]]


def fetched_key(namespace: str) -> str:
    """The Redis key holding when the cache of `namespace` was last filled (ms)."""
    return f"prices:{namespace}:fetched"


def cache_namespace(settings: Settings) -> str:
    """Whose prices the cache holds: one namespace per upstream address."""
    return f"binance:{xa.binance_base_url(settings)}"


def symbol_for(asset: str, quote: str) -> str:
    """Binance's market id for an asset priced in `quote` (`ETH`, `USDT` -> `ETHUSDT`)."""
    return f"{asset.upper()}{QUOTE_ALIASES.get(quote.upper(), quote.upper())}"


class PriceProvider:
    """Cached last prices for many assets from one upstream request per cache period."""

    def __init__(
        self,
        redis: Redis,
        *,
        cache_seconds: int,
        fetcher: Fetcher,
        namespace: str,
        attempts: int = 3,
        backoff_max: float = 2.0,
        wait_for_other_seconds: float = 5.0,
    ) -> None:
        self.redis = redis
        self.cache_seconds = cache_seconds
        self.fetcher = fetcher
        self.attempts = attempts
        self.backoff_max = backoff_max
        self.wait_for_other_seconds = wait_for_other_seconds
        self._hash_key = f"prices:{namespace}"
        self._fetched_key = fetched_key(namespace)
        self._lock_key = f"prices:{namespace}:lock"
        self._cooldown_key = f"prices:{namespace}:cooldown"
        self._failures_key = f"prices:{namespace}:failures"

    @property
    def stale_after_seconds(self) -> float:
        return STALE_FACTOR * self.cache_seconds

    # -- public -------------------------------------------------------------------------

    def last_prices(
        self, assets: Iterable[str], quote: str = "USDT", *, include_stale: bool = False
    ) -> dict[str, Quote]:
        """{asset: Quote} for the assets with a known price; stale ones left out by default."""
        wanted = sorted({a.upper() for a in assets if a})
        if not wanted:
            return {}
        self.refresh_if_due()
        now = time.time()
        quotes = self._read(wanted, quote.upper(), now)
        if include_stale:
            return quotes
        return {a: q for a, q in quotes.items() if q.age_seconds(now) <= self.stale_after_seconds}

    def refresh_if_due(self) -> None:
        """Fetch upstream unless the cache is fresh, another process is fetching, or a
        failure cooldown is running. Never raises for upstream errors (they are logged)."""
        if self._is_fresh() or self.redis.exists(self._cooldown_key):
            return
        token = acquire_lock(self.redis, self._lock_key, LOCK_SECONDS)
        if token is None:
            self._wait_for_other_fetch()
            return
        try:
            if not self._is_fresh():  # someone may have refreshed just before we locked
                self._fetch_and_store()
        finally:
            release_lock(self.redis, self._lock_key, token)

    # -- internals ----------------------------------------------------------------------

    def _fetched_at(self) -> float | None:
        raw = self.redis.get(self._fetched_key)
        return int(raw) / 1000 if raw else None

    def _is_fresh(self) -> bool:
        fetched = self._fetched_at()
        return fetched is not None and time.time() - fetched < self.cache_seconds

    def _wait_for_other_fetch(self) -> None:
        """Another process holds the lock: poll until its result lands (or give up and
        serve the cache as it is, staleness still filtered by the caller)."""
        deadline = time.monotonic() + self.wait_for_other_seconds
        while time.monotonic() < deadline and self.redis.exists(self._lock_key):
            if self._is_fresh():
                return
            time.sleep(0.02)

    def _fetch_and_store(self) -> None:
        fetch = retry(
            retry=retry_if_exception_type(xa.TickerUnavailable),
            wait=wait_random_exponential(multiplier=0.1, max=self.backoff_max),
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        )(self.fetcher)
        try:
            prices = fetch()
        except xa.TickerUnavailable as exc:
            self._start_cooldown(exc)
            return
        self._store(prices, int(time.time() * 1000))

    def _store(self, prices: Mapping[str, Decimal], fetched_ms: int) -> None:
        pipe = self.redis.pipeline(transaction=True)
        if prices:
            pipe.hset(
                self._hash_key, mapping={s: f"{fmt(p)}|{fetched_ms}" for s, p in prices.items()}
            )
        pipe.set(self._fetched_key, fetched_ms)
        pipe.delete(self._failures_key, self._cooldown_key)
        pipe.execute()

    def _start_cooldown(self, exc: Exception) -> None:
        failures = int(self.redis.incr(self._failures_key))
        self.redis.expire(self._failures_key, MAX_COOLDOWN_SECONDS * 4)
        # Full jitter on a doubling ceiling, capped: 1, 2, 4 ... seconds, at most 5 minutes.
        ceiling = min(MAX_COOLDOWN_SECONDS, 2 ** min(failures - 1, 16))
        cooldown_ms = max(1, int(random.uniform(ceiling / 2, ceiling) * 1000))
        self.redis.set(self._cooldown_key, failures, px=cooldown_ms)
        log.warning(
            "price refresh failed (%d in a row), next try in %.1f s: %s",
            failures,
            cooldown_ms / 1000,
            exc,
        )

    def _read(self, assets: list[str], quote: str, now: float) -> dict[str, Quote]:
        quotes: dict[str, Quote] = {}
        priced = [a for a in assets if not (is_stable(a) and is_stable(quote))]
        for asset in assets:
            if asset not in priced:  # a stablecoin in a stable quote: 1:1
                quotes[asset] = Quote(Decimal(1), datetime.fromtimestamp(now, tz=UTC))
        if not priced:
            return quotes
        raw = self.redis.hmget(self._hash_key, [symbol_for(a, quote) for a in priced])
        for asset, value in zip(priced, raw, strict=True):
            if value is not None:
                quotes[asset] = _decode(value)
        return quotes


def _decode(value: bytes | str) -> Quote:
    text = value.decode() if isinstance(value, bytes) else value
    price, _, fetched_ms = text.partition("|")
    return Quote(Decimal(price), datetime.fromtimestamp(int(fetched_ms) / 1000, tz=UTC))


def default_provider(redis: Redis, settings: Settings) -> PriceProvider:
    """The provider `settings` configure (`PRICE_PROVIDER`, `EXSTRAT_BINANCE_URL`,
    `PRICE_CACHE_SECONDS`), caching in `redis`."""
    if settings.price_provider != "binance":
        raise ValueError(f"unknown PRICE_PROVIDER {settings.price_provider!r} (only 'binance')")
    base = xa.binance_base_url(settings)
    return PriceProvider(
        redis,
        cache_seconds=settings.price_cache_seconds,
        fetcher=lambda: xa.fetch_binance_tickers(base),
        namespace=cache_namespace(settings),
    )


CHART_CACHE_SECONDS = 900  # daily candles: the last one moves, the chart need not follow live
_chart_instances: dict[str, Any] = {}  # server -> the one ccxt instance of this process
_chart_lock = threading.Lock()
_chart_key_locks: dict[str, threading.Lock] = {}


def _chart_instance(redis: Redis | None) -> Any:
    """One ccxt instance per process (and server) for charts, its market list loaded once
    (from the shared Redis cache when there is one): not one instance per page view."""
    server = server_of("binance")
    with _chart_lock:
        instance = _chart_instances.get(server)
        if instance is None:
            instance = xa.make_exchange("binance")
            xa.ensure_markets(instance, redis=redis)
            _chart_instances[server] = instance
        return instance


def daily_closes(
    asset: str, *, quote: str = "USDT", days: int = 90, redis: Redis | None = None
) -> list[tuple[datetime, str]]:
    """Daily closes of ASSET/QUOTE from the price provider's exchange, for charts:
    [(day, close as a decimal string)], oldest first; [] when the market or the exchange
    is not available (a page shows no chart rather than an error). With `redis`, the
    answer is shared by every process for CHART_CACHE_SECONDS. Every USD stablecoin quote
    reads ASSET/USDT: they count 1:1 with the dollar (docs/currencies.md)."""
    symbol = f"{asset}/{'USDT' if is_stable(quote) else quote}"
    key = f"chart:binance:{server_of('binance')}:{symbol}:{days}"
    if redis is None:
        return _fetch_closes(symbol, days, None, key)
    with _chart_lock:
        key_lock = _chart_key_locks.setdefault(key, threading.Lock())
    with key_lock:  # one fetch per chart and process; the others read what it cached
        try:
            cached = redis.get(key)
        except RedisError:
            cached = None
        if cached is not None:
            return [(datetime.fromisoformat(d), c) for d, c in json.loads(cached)]
        return _fetch_closes(symbol, days, redis, key)


def _fetch_closes(
    symbol: str, days: int, redis: Redis | None, key: str
) -> list[tuple[datetime, str]]:
    try:
        candles = xa.fetch_daily_closes(_chart_instance(redis), symbol, days)
    except xa.ExchangeError:
        candles = []
    closes = [(day, fmt(close)) for day, close in candles]
    if redis is not None:
        with contextlib.suppress(RedisError):
            payload = json.dumps([(d.isoformat(), c) for d, c in closes])
            redis.set(key, payload, ex=CHART_CACHE_SECONDS)
    return closes

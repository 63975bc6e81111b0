"""Market facts the ladder needs: the lot size (LOT_SIZE stepSize) of a symbol on an exchange.

The markets come through `exchange_adapter` (the one ccxt module), which caches the whole
market list in Redis. That list is megabytes on the real Binance, so the one number we need is
cached again, per symbol, to keep the strategy form's live preview quick.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.domain.money import fmt
from exstrat_app.infra.exchanges import adapter
from exstrat_app.services.errors import ExchangeUnavailable, InvalidInput
from exstrat_app.settings import get_settings

log = logging.getLogger(__name__)

LOT_CACHE_SECONDS = 3600
MISSING_CACHE_SECONDS = 300  # an unknown market may be listed soon: re-check sooner
_MISSING = "none"
# An API request waits on this: fail faster than ccxt's default 15 s per attempt.
MARKETS_TIMEOUT_MS = 8_000


def _cache_key(exchange: str, symbol: str) -> str:
    settings = get_settings()
    base = (settings.binance_url if exchange == "binance" else settings.coinbase_url) or "live"
    return f"lot:{exchange}:{base}:{symbol}"


def lot_step_for(exchange: str, symbol: str, *, redis: Redis | None = None) -> Decimal | None:
    """The quantity step of `symbol` (`ETH/USDT`) on `exchange`; None if it lists no such market.

    Raises `ExchangeUnavailable` (503) when the exchange cannot be reached, `InvalidInput`
    for an exchange we don't support.
    """
    if exchange not in adapter.SUPPORTED_EXCHANGES:
        raise InvalidInput(
            f"Unsupported exchange {exchange!r}.", fields={"exchange": "unsupported"}
        )
    if redis is None:
        from exstrat_app.infra.redis import get_redis

        redis = get_redis()
    key = _cache_key(exchange, symbol)
    cached = _cache_get(redis, key)
    if cached is not None:
        return None if cached == _MISSING else Decimal(cached)
    step = _load_lot_step(exchange, symbol, redis)
    if step is None:
        _cache_set(redis, key, _MISSING, MISSING_CACHE_SECONDS)
    else:
        _cache_set(redis, key, fmt(step), LOT_CACHE_SECONDS)
    return step


def _load_lot_step(exchange: str, symbol: str, redis: Redis) -> Decimal | None:
    instance = adapter.make_exchange(exchange)
    instance.timeout = MARKETS_TIMEOUT_MS
    try:
        adapter.ensure_markets(instance, redis=_usable(redis))
    except adapter.ExchangeError as exc:
        log.warning("could not load %s markets: %s", exchange, exc.message)
        raise ExchangeUnavailable(
            f"Could not read the {exchange.capitalize()} markets right now; try again shortly."
        ) from None
    if symbol not in (instance.markets or {}):
        return None
    return adapter.lot_step(instance, symbol)


def _usable(redis: Redis) -> Redis | None:
    """Redis for the adapter's market cache, or None when Redis is down (load directly)."""
    try:
        redis.ping()
    except RedisError:
        return None
    return redis


def _cache_get(redis: Redis, key: str) -> str | None:
    try:
        raw = redis.get(key)
    except RedisError:
        return None
    return raw.decode() if isinstance(raw, bytes) else raw


def _cache_set(redis: Redis, key: str, value: str, ttl: int) -> None:
    try:
        redis.set(key, value, ex=ttl)
    except RedisError:
        log.warning("lot size cache unavailable (Redis)")

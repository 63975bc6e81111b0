"""Market facts: the market list, cached in Redis between jobs, and the lot size (LOT_SIZE
stepSize / base_increment) of one symbol.

The market list is megabytes on the real Binance, so the one number the strategy form's
live preview needs is cached again, per symbol. Every key names the server the client talks
to (`server_of`), so a simulator's markets never pass for the live exchange's.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import ccxt
from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.domain.money import fmt
from exstrat_app.infra.exchanges.client import call, check_supported, make_exchange, server_of
from exstrat_app.infra.exchanges.errors import ExchangeError, MarketsUnavailable
from exstrat_app.infra.exchanges.rows import to_dec

log = logging.getLogger(__name__)

MARKETS_TTL_SECONDS = 3600
LOT_CACHE_SECONDS = 3600
MISSING_CACHE_SECONDS = 300  # an unknown market may be listed soon: re-check sooner
_MISSING = "none"
# An API request waits on the lot lookup: fail faster than ccxt's default 15 s per attempt.
MARKETS_TIMEOUT_MS = 8_000


def cache_key(kind: str, exchange: str, *parts: str) -> str:
    """`kind:exchange:server[:parts]`, the one shape of every market-facts key."""
    return ":".join((kind, exchange, server_of(exchange), *parts))


def ensure_markets(instance: ccxt.Exchange, *, redis: Redis | None) -> dict[str, Any]:
    """Load markets from the Redis cache when fresh, else from the exchange (and cache them)."""
    key = cache_key("markets", instance.id)
    if redis is not None:
        cached = redis.get(key)
        if cached:
            saved = json.loads(cached)
            instance.set_markets(saved["markets"], saved.get("currencies"))
            return instance.markets
    markets = call(instance, "load_markets")
    if redis is not None:
        payload = json.dumps({"markets": markets, "currencies": instance.currencies}, default=str)
        redis.set(key, payload, ex=MARKETS_TTL_SECONDS)
    return markets


def lot_step_for(exchange: str, symbol: str, *, redis: Redis) -> Decimal | None:
    """The quantity step of `symbol` (`ETH/USDT`) on `exchange`; None if it lists no such
    market. Cached per symbol in `redis` (a Redis outage only skips the cache).

    Raises `UnsupportedExchange` for an exchange we have no client for, `MarketsUnavailable`
    when the market list cannot be read; the use case maps them onto its own errors.
    """
    check_supported(exchange)
    key = cache_key("lot", exchange, symbol)
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
    instance = make_exchange(exchange)
    instance.timeout = MARKETS_TIMEOUT_MS
    try:
        ensure_markets(instance, redis=_usable(redis))
    except ExchangeError as exc:
        log.warning("could not load %s markets: %s", exchange, exc.message)
        raise MarketsUnavailable(
            f"Could not read the {exchange.capitalize()} markets right now; try again shortly."
        ) from None
    if symbol not in (instance.markets or {}):
        return None
    return lot_step(instance, symbol)


def lot_step(instance: ccxt.Exchange, symbol: str) -> Decimal | None:
    """LOT_SIZE stepSize (Binance precisionMode TICK_SIZE) / base_increment (Coinbase)."""
    market = instance.markets.get(symbol) if instance.markets else None
    if not market:
        return None
    amount = (market.get("precision") or {}).get("amount")
    if amount is None:
        return None
    return to_dec(amount)


def _usable(redis: Redis) -> Redis | None:
    """Redis for the market-list cache, or None when Redis is down (load directly)."""
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

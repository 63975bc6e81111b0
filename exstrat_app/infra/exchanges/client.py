"""The ccxt instances we talk through, and the one way to call them.

`make_exchange` builds spot-only, string-number instances (pointed at a local server when
EXSTRAT_BINANCE_URL / EXSTRAT_COINBASE_URL are set) that take their turns in the shared
request schedule; `call` runs one of their methods with our error mapping and retries.
"""

from __future__ import annotations

import decimal
import re
from dataclasses import dataclass, field
from typing import Any

import ccxt
from redis import Redis

from exstrat_app.infra.exchanges.errors import UnsupportedExchange, map_ccxt_error
from exstrat_app.infra.exchanges.retry import with_retries
from exstrat_app.infra.exchanges.throttle import apply_binance_weights, share_throttle
from exstrat_app.settings import get_settings

SUPPORTED_EXCHANGES = ("binance", "coinbase")
LIVE = "live"  # the server tag of the real exchange (no URL override)


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)


_BINANCE_HOST = re.compile(r"^https://[a-z0-9.-]*binance\.(com|us|vision)")


def check_supported(exchange: str) -> None:
    if exchange not in SUPPORTED_EXCHANGES:
        raise UnsupportedExchange(exchange)


def server_of(exchange: str) -> str:
    """Which server `make_exchange(exchange)` talks to: the override URL, or `live`. Part of
    every cache key of market facts, so a simulator's markets never pass for the real ones."""
    settings = get_settings()
    return (settings.binance_url if exchange == "binance" else settings.coinbase_url) or LIVE


def make_exchange(
    exchange: str,
    credentials: Credentials | None = None,
    *,
    rate_limit: bool = True,
    redis: Redis | None = None,
) -> ccxt.Exchange:
    """A ccxt instance for spot reading, numbers as strings, URLs overridden when asked.

    With `redis`, its requests take turns in one schedule per exchange shared by every
    process (`throttle.py`); without, ccxt spaces this instance's requests only.
    `rate_limit=False` turns the client-side throttle off (benchmarks against the local
    simulator only: a real exchange bans clients that ignore its limits).
    """
    check_supported(exchange)
    settings = get_settings()
    config: dict[str, Any] = {"enableRateLimit": rate_limit, "timeout": 15_000}
    if credentials is not None:
        config.update(apiKey=credentials.api_key, secret=credentials.secret)
        if credentials.password:
            config["password"] = credentials.password
    if exchange == "binance":
        config["options"] = {
            "fetchMarkets": {"types": ["spot"]},  # no futures/margin endpoints
            "fetchMargins": False,
            "fetchCurrencies": False,
            "adjustForTimeDifference": False,
        }
        instance: ccxt.Exchange = ccxt.binance(config)
        if settings.binance_url:
            base = settings.binance_url.rstrip("/")
            instance.urls["api"] = {
                key: _BINANCE_HOST.sub(base, url) if isinstance(url, str) else url
                for key, url in instance.urls["api"].items()
            }
    else:
        config["options"] = {"fetchMarkets": {"types": ["spot"]}}
        # The page walkers read the next-page cursor from the raw response.
        config["enableLastJsonResponse"] = True
        instance = ccxt.coinbase(config)
        if settings.coinbase_url:
            instance.urls["api"] = {"rest": settings.coinbase_url.rstrip("/")}
    instance.number = str  # never let ccxt parse money into floats
    if rate_limit and redis is not None:
        share_throttle(instance, exchange, redis, ip_weight=settings.binance_ip_weight)
    elif rate_limit and exchange == "binance":
        apply_binance_weights(instance)  # Binance's documented weights (`weights.py`)
    return instance


def call(instance: ccxt.Exchange, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call a ccxt method with our error mapping and retries on temporary errors."""

    def attempt() -> Any:
        # ccxt's decimal_to_precision (called by create_order, amount_to_precision, ...) sets
        # the thread's decimal context to ROUND_HALF_UP with Underflow trapped, for good: the
        # call runs in a context of its own so our rounding elsewhere stays half-even.
        try:
            with decimal.localcontext():
                return getattr(instance, method)(*args, **kwargs)
        except ccxt.BaseError as exc:
            raise map_ccxt_error(
                exc, exchange=instance.id, retry_after=_retry_after(instance)
            ) from None

    return with_retries(attempt)


def _retry_after(instance: ccxt.Exchange) -> float | None:
    headers = instance.last_response_headers or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None

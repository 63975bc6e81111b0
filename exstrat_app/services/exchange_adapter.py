"""The one module that imports ccxt.

It builds spot-only, string-number ccxt instances (pointed at a local server when
EXSTRAT_BINANCE_URL / EXSTRAT_COINBASE_URL are set), maps ccxt's errors onto our own
hierarchy, retries temporary errors only (exponential backoff with jitter, honouring
Retry-After), caches markets in Redis between jobs, and turns ccxt's structures into
plain rows of Decimals built from strings.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import ccxt
from redis import Redis
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from exstrat_app.settings import get_settings

log = logging.getLogger(__name__)

SUPPORTED_EXCHANGES = ("binance", "coinbase")
MARKETS_TTL_SECONDS = 3600
T = TypeVar("T")


# --- our error hierarchy ---------------------------------------------------------------


class ExchangeError(Exception):
    """Base class; `message` is safe to show to the user (never contains a secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExchangeAuthError(ExchangeError):
    """Bad key, bad signature, IP not allowed or missing permission: retrying won't help."""


class ExchangeBadRequest(ExchangeError):
    """The exchange refused the request itself (bad symbol, window too wide, clock skew)."""


class ExchangeTemporaryError(ExchangeError):
    """Timeouts, 5xx, maintenance: worth retrying with backoff."""


class ExchangeRateLimited(ExchangeTemporaryError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def map_ccxt_error(exc: Exception, *, exchange: str, retry_after: float | None) -> ExchangeError:
    name = exchange.capitalize()
    if isinstance(exc, ccxt.PermissionDenied):
        return ExchangeAuthError(f"{name} refused the key: it lacks a permission we need.")
    if isinstance(exc, ccxt.AuthenticationError):
        return ExchangeAuthError(
            f"{name} rejected the API key or secret (wrong key, wrong secret, or IP not allowed)."
        )
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return ExchangeRateLimited(f"{name} is rate-limiting us.", retry_after)
    if isinstance(exc, ccxt.InvalidNonce):
        return ExchangeBadRequest(
            f"{name} says this server's clock is out of sync: fix the system time (NTP)."
        )
    if isinstance(exc, ccxt.NetworkError):  # timeouts, 5xx, maintenance
        return ExchangeTemporaryError(f"{name} is not answering properly right now.")
    if isinstance(exc, ccxt.BadSymbol):
        return ExchangeBadRequest(f"{name} does not know this market.")
    if isinstance(exc, ccxt.BaseError):
        return ExchangeBadRequest(f"{name} refused the request.")
    raise exc


# --- retries -------------------------------------------------------------------------

MAX_ATTEMPTS = 6
_backoff = wait_random_exponential(multiplier=0.5, max=30)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff with jitter, but never shorter than the exchange's Retry-After."""
    wait = _backoff(state)
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, ExchangeRateLimited) and exc.retry_after:
        wait = max(wait, float(exc.retry_after))
    return wait


def with_retries(fn: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run `fn`, retrying only temporary errors; the last error is raised as is."""
    runner = retry(
        retry=retry_if_exception_type(ExchangeTemporaryError),
        wait=_wait,
        stop=stop_after_attempt(attempts),
        reraise=True,
    )(fn)
    return runner()


# --- credentials and instances ---------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)


_BINANCE_HOST = re.compile(r"^https://[a-z0-9.-]*binance\.(com|us|vision)")


def make_exchange(exchange: str, credentials: Credentials | None = None) -> ccxt.Exchange:
    """A ccxt instance for spot reading, numbers as strings, URLs overridden when asked."""
    if exchange not in SUPPORTED_EXCHANGES:
        raise ExchangeBadRequest(f"Unsupported exchange {exchange!r}.")
    settings = get_settings()
    config: dict[str, Any] = {"enableRateLimit": True, "timeout": 15_000}
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
        instance = ccxt.coinbase(config)
        if settings.coinbase_url:
            instance.urls["api"] = {"rest": settings.coinbase_url.rstrip("/")}
    instance.number = str  # never let ccxt parse money into floats
    return instance


def call(instance: ccxt.Exchange, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call a ccxt method with our error mapping and retries on temporary errors."""

    def attempt() -> Any:
        try:
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


# --- markets, cached between jobs ---------------------------------------------------------


def _markets_key(exchange: str) -> str:
    settings = get_settings()
    base = (settings.binance_url if exchange == "binance" else settings.coinbase_url) or "live"
    return f"markets:{exchange}:{base}"


def ensure_markets(instance: ccxt.Exchange, *, redis: Redis | None) -> dict[str, Any]:
    """Load markets from the Redis cache when fresh, else from the exchange (and cache them)."""
    key = _markets_key(instance.id)
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


def lot_step(instance: ccxt.Exchange, symbol: str) -> Decimal | None:
    """LOT_SIZE stepSize (Binance precisionMode TICK_SIZE) / base_increment (Coinbase)."""
    market = instance.markets.get(symbol) if instance.markets else None
    if not market:
        return None
    amount = (market.get("precision") or {}).get("amount")
    if amount is None:
        return None
    return to_dec(amount)


# --- rows ------------------------------------------------------------------------------


def to_dec(value: Any) -> Decimal:
    """Decimal from ccxt's string numbers; a float here is a bug (number=str not set)."""
    if isinstance(value, float):
        raise TypeError("ccxt returned a float: exchange.number = str was not set")
    return Decimal(str(value))


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else to_dec(value)


def ms_to_dt(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


@dataclass(frozen=True)
class TradeRow:
    trade_id: str
    order_id: str | None
    symbol: str
    base: str
    quote: str
    side: str
    price: Decimal
    amount: Decimal
    cost: Decimal
    fee_asset: str | None
    fee_cost: Decimal | None
    ts: datetime


@dataclass(frozen=True)
class TransferRow:
    transfer_id: str
    type: str  # deposit | withdrawal
    asset: str
    amount: Decimal
    fee_cost: Decimal | None
    fee_asset: str | None
    status: str
    txid: str | None
    ts: datetime


@dataclass(frozen=True)
class KeyPermissions:
    can_read: bool
    can_trade: bool
    can_withdraw: bool


def trade_row(trade: dict[str, Any]) -> TradeRow:
    symbol = trade["symbol"]
    base, _, quote = symbol.partition("/")
    quote = quote.split(":")[0]
    fee = trade.get("fee") or {}
    price = to_dec(trade["price"])
    amount = to_dec(trade["amount"])
    cost = opt_dec(trade.get("cost"))
    return TradeRow(
        trade_id=str(trade["id"]),
        order_id=str(trade["order"]) if trade.get("order") else None,
        symbol=symbol,
        base=base,
        quote=quote,
        side=trade["side"],
        price=price,
        amount=amount,
        cost=cost if cost is not None else price * amount,
        fee_asset=fee.get("currency"),
        fee_cost=opt_dec(fee.get("cost")),
        ts=ms_to_dt(trade["timestamp"]),
    )


def transfer_row(tx: dict[str, Any]) -> TransferRow:
    fee = tx.get("fee") or {}
    return TransferRow(
        transfer_id=str(tx["id"]),
        type=tx["type"],
        asset=tx["currency"],
        amount=to_dec(tx["amount"]),
        fee_cost=opt_dec(fee.get("cost")),
        fee_asset=fee.get("currency"),
        status=str(tx.get("status") or "ok"),
        txid=tx.get("txid"),
        ts=ms_to_dt(tx["timestamp"]),
    )


def balances_of(balance: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """{asset: (free, locked)} for every asset with a non-zero total."""
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for asset, entry in balance.items():
        if asset in ("info", "free", "used", "total", "timestamp", "datetime"):
            continue
        if not isinstance(entry, dict):
            continue
        free = opt_dec(entry.get("free")) or Decimal(0)
        locked = opt_dec(entry.get("used")) or Decimal(0)
        if free or locked:
            result[asset] = (free, locked)
    return result


def key_permissions(instance: ccxt.Exchange) -> KeyPermissions:
    """What the key may do, from the exchange itself (SPEC §5)."""
    if instance.id == "binance":
        raw = call(instance, "sapi_get_account_apirestrictions")
        return KeyPermissions(
            can_read=_truthy(raw.get("enableReading", True)),
            can_trade=_truthy(raw.get("enableSpotAndMarginTrading"))
            or _truthy(raw.get("enableMargin"))
            or _truthy(raw.get("enableFutures")),
            can_withdraw=_truthy(raw.get("enableWithdrawals"))
            or _truthy(raw.get("enableInternalTransfer"))
            or _truthy(raw.get("permitsUniversalTransfer")),
        )
    raw = call(instance, "v3_private_get_brokerage_key_permissions")
    return KeyPermissions(
        can_read=_truthy(raw.get("can_view", True)),
        can_trade=_truthy(raw.get("can_trade")),
        can_withdraw=_truthy(raw.get("can_transfer")),
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)

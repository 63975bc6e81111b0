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
from typing import Any, NamedTuple, TypeVar

import ccxt
from redis import Redis
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from exstrat_app.infra.exchanges.throttle import share_throttle
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


def make_exchange(
    exchange: str,
    credentials: Credentials | None = None,
    *,
    rate_limit: bool = True,
    redis: Redis | None = None,
) -> ccxt.Exchange:
    """A ccxt instance for spot reading, numbers as strings, URLs overridden when asked.

    With `redis`, its requests take turns in one schedule per exchange shared by every
    process (`services.throttle`); without, ccxt spaces this instance's requests only.
    `rate_limit=False` turns the client-side throttle off (benchmarks against the local
    simulator only: a real exchange bans clients that ignore its limits).
    """
    if exchange not in SUPPORTED_EXCHANGES:
        raise ExchangeBadRequest(f"Unsupported exchange {exchange!r}.")
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
        share_throttle(instance, exchange, redis)
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


class TradeRow(NamedTuple):
    # A NamedTuple, not a frozen dataclass: 100,000 of them are built per full sync and a
    # frozen dataclass's __init__ (one object.__setattr__ per field) cost ~2 us each.
    trade_id: str
    order_id: str | None
    symbol: str
    base: str
    quote: str
    side: str | None  # None when the exchange does not tell (such rows are not stored)
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
    # The exchange's own labels of the enabled rights behind can_trade / can_withdraw, as the
    # user sees them in the key's settings (so a refusal can say exactly what to untick).
    trade_rights: tuple[str, ...] = ()
    withdraw_rights: tuple[str, ...] = ()


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
    """A Binance deposit/withdrawal. `amount` is what moved; a withdrawal's fee is on top."""
    fee = tx.get("fee") or {}
    # Older Binance deposits carry no id: the chain txid (plus coin and time) identifies them.
    transfer_id = tx.get("id") or tx.get("txid") or f"{tx['currency']}-{tx['timestamp']}"
    return TransferRow(
        transfer_id=str(transfer_id),
        type=tx["type"],
        asset=tx["currency"],
        amount=to_dec(tx["amount"]),
        fee_cost=opt_dec(fee.get("cost")),
        fee_asset=fee.get("currency"),
        status=transfer_status(tx.get("status")),
        txid=tx.get("txid"),
        ts=ms_to_dt(tx["timestamp"]),
    )


# Raw statuses ccxt passes through unmapped: Binance deposits 2 (rejected), 7 (wrong
# deposit), 8 (waiting for the user's confirmation); Coinbase v2 states.
_PENDING_STATES = {"pending", "8", "waiting_for_clearing", "waiting_for_signature", "created"}
_FINAL_STATES = {"ok", "failed", "canceled"}


def transfer_status(raw: Any) -> str:
    """ok | pending | failed | canceled: only `ok` moves holdings; `pending` is read again."""
    status = str(raw or "ok").lower()
    if status in _FINAL_STATES:
        return status
    if status in _PENDING_STATES:
        return "pending"
    return "canceled" if status in {"cancelled", "expired", "refunded"} else "failed"


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


# Binance apiRestrictions flags -> the label of the tick box on Binance's API management page.
BINANCE_TRADE_FLAGS = {
    "enableSpotAndMarginTrading": "Enable Spot & Margin Trading",
    "enableMargin": "Enable Margin Loan, Repay & Transfer",
    "enableFutures": "Enable Futures",
    "enableVanillaOptions": "Enable European Options",
    "enablePortfolioMarginTrading": "Enable Portfolio Margin Trading",
    "enableFixApiTrade": "Enable FIX API Trading",
}
BINANCE_WITHDRAW_FLAGS = {
    "enableWithdrawals": "Enable Withdrawals",
    "enableInternalTransfer": "Enable Internal Transfer",
    "permitsUniversalTransfer": "Permits Universal Transfer",
}


def key_permissions(instance: ccxt.Exchange) -> KeyPermissions:
    """What the key may do, from the exchange itself (SPEC §5)."""
    if instance.id == "binance":
        raw = call(instance, "sapi_get_account_apirestrictions")
        trade = tuple(label for k, label in BINANCE_TRADE_FLAGS.items() if _truthy(raw.get(k)))
        withdraw = tuple(
            label for k, label in BINANCE_WITHDRAW_FLAGS.items() if _truthy(raw.get(k))
        )
        return KeyPermissions(
            can_read=_truthy(raw.get("enableReading", True)),
            can_trade=bool(trade),
            can_withdraw=bool(withdraw),
            trade_rights=trade,
            withdraw_rights=withdraw,
        )
    raw = call(instance, "v3_private_get_brokerage_key_permissions")
    can_trade = _truthy(raw.get("can_trade"))
    can_transfer = _truthy(raw.get("can_transfer"))
    return KeyPermissions(
        can_read=_truthy(raw.get("can_view", True)),
        can_trade=can_trade,
        can_withdraw=can_transfer,
        trade_rights=("Trade",) if can_trade else (),
        withdraw_rights=("Transfer",) if can_transfer else (),
    )


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


# --- page walkers (one exchange request each; the callers persist a cursor per page) ------

BINANCE_TRADES_LIMIT = 1000  # myTrades maximum page size
BINANCE_TRANSFERS_LIMIT = 1000  # deposit/withdraw history maximum page size
BINANCE_WINDOW_MS = 90 * 24 * 3600 * 1000  # widest startTime..endTime Binance accepts
COINBASE_FILLS_LIMIT = 250
COINBASE_LEDGER_LIMIT = 100
CANDLES_LIMIT = 1000


def dt_to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def binance_trades_page(instance: ccxt.Exchange, symbol: str, from_id: int) -> list[TradeRow]:
    """Up to 1000 trades of `symbol` with id >= from_id (fromId paging).

    Asked through ccxt's implicit endpoint `privateGetMyTrades` (ccxt still builds, signs,
    throttles and sends the request and maps Binance's error codes) but parsed here rather
    than by ccxt's unified `parse_trade`: that generic parser costs ~25 us a trade (symbol
    resolution, ISO dates, fee lists), more than all of our bookkeeping, and we read 10
    fields whose strings go straight into Decimals. `tests/ingest/test_binance_raw_parse.py`
    checks the rows equal those built from ccxt's own `fetch_my_trades` on the same pages.
    """
    market = instance.market(symbol)
    raw = call(
        instance,
        "privateGetMyTrades",
        # The query ccxt's fetch_my_trades sends, in its order (the same request on the wire).
        {"symbol": market["id"], "limit": BINANCE_TRADES_LIMIT, "fromId": from_id},
    )
    return binance_trade_rows(instance, market, raw)


def _binance_side(trade: dict[str, Any]) -> str | None:
    # As ccxt reads it: no `isBuyer`, no side (the row is then skipped by store_trades).
    if "isBuyer" not in trade:
        return None
    return "buy" if trade["isBuyer"] is True else "sell"


def binance_trade_rows(
    instance: ccxt.Exchange, market: dict[str, Any], raw: list[dict[str, Any]]
) -> list[TradeRow]:
    """Binance `myTrades` entries of one market as rows, as ccxt's parse_trade reads them:
    side from `isBuyer`, cost from `quoteQty` (price * qty when absent), the fee asset
    through ccxt's currency-code mapping (looked up once per distinct asset)."""
    symbol, base, quote = market["symbol"], market["base"], market["quote"]
    fee_codes: dict[str, str] = {}
    rows = []
    for t in raw:
        price = to_dec(t["price"])
        amount = to_dec(t["qty"])
        quote_qty = t.get("quoteQty")
        fee_asset = fee_cost = None
        if "commission" in t:
            asset_id = t.get("commissionAsset")
            if asset_id not in fee_codes:
                fee_codes[asset_id] = instance.safe_currency_code(asset_id)
            fee_asset, fee_cost = fee_codes[asset_id], opt_dec(t["commission"])
        rows.append(
            TradeRow(
                str(t["id"]),
                str(t["orderId"]) if t.get("orderId") else None,
                symbol,
                base,
                quote,
                _binance_side(t),
                price,
                amount,
                to_dec(quote_qty) if quote_qty not in (None, "") else price * amount,
                fee_asset,
                fee_cost,
                ms_to_dt(t["time"]),
            )
        )
    return rows


def binance_transfers(
    instance: ccxt.Exchange, kind: str, start_ms: int, end_ms: int
) -> list[TransferRow]:
    """Deposits or withdrawals with start_ms <= time <= end_ms (at most 90 days apart)."""
    method = "fetch_deposits" if kind == "deposit" else "fetch_withdrawals"
    # An explicit endTime: ccxt would otherwise ask for since+90d whatever the window.
    txs = call(instance, method, None, start_ms, BINANCE_TRANSFERS_LIMIT, {"endTime": end_ms})
    return [transfer_row(tx) for tx in txs]


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


def fetch_candle_close(instance: ccxt.Exchange, symbol: str, minute: datetime) -> Decimal | None:
    """The close of the 1-minute candle opening at `minute` (None if the market had none)."""
    for opened, close in fetch_candles(instance, symbol, minute, limit=1):
        if opened == minute:
            return close
    return None


@dataclass(frozen=True)
class CoinbaseWallet:
    currency: str
    account_id: str  # the v3 account uuid (also the v2 account id)


def coinbase_balances(
    instance: ccxt.Exchange,
) -> tuple[dict[str, tuple[Decimal, Decimal]], list[CoinbaseWallet]]:
    """Live balances (all pages of v3 accounts, `hold` as locked) and every wallet listed,
    zero ones included (a wallet emptied since still has a ledger to read)."""
    raw = call(instance, "fetch_balance", {"v3": True})
    wallets = [
        CoinbaseWallet(currency=str(acc.get("currency")), account_id=str(acc["uuid"]))
        for acc in (raw.get("info") or {}).get("accounts") or []
        if acc.get("uuid")
    ]
    return balances_of(raw), wallets


def coinbase_fills_page(
    instance: ccxt.Exchange, *, since_ms: int | None, cursor: str | None
) -> tuple[list[TradeRow], str | None]:
    """One page of fills (all products) and the cursor of the next page (None at the end)."""
    params = {"cursor": cursor} if cursor else {}
    trades = call(instance, "fetch_my_trades", None, since_ms, COINBASE_FILLS_LIMIT, params)
    raw = instance.last_json_response if isinstance(instance.last_json_response, dict) else {}
    next_cursor = str(raw.get("cursor") or "") or None
    if not trades or next_cursor == cursor:  # an empty page, or a cursor that does not move
        next_cursor = None
    return [coinbase_trade_row(t) for t in trades], next_cursor


def coinbase_trade_row(trade: dict[str, Any]) -> TradeRow:
    """A fill; when Coinbase gave its size in quote, that size is the exact cost (ccxt
    recomputes cost as size/price*price, which may not round-trip)."""
    row = trade_row(trade)
    info = trade.get("info") or {}
    if _truthy(info.get("size_in_quote")) and info.get("size") not in (None, ""):
        row = row._replace(cost=to_dec(info["size"]))
    return row


# v2 transaction types that move funds in or out of Coinbase (fills are read as fills).
_COINBASE_IN = {"receive", "fiat_deposit", "pro_withdrawal", "exchange_withdrawal"}
_COINBASE_OUT = {"fiat_withdrawal", "pro_deposit", "exchange_deposit"}


@dataclass(frozen=True)
class LedgerPage:
    transfers: list[TransferRow]  # the deposits/withdrawals among the page's entries
    next_cursor: str | None  # None on the last page
    oldest: datetime | None  # the oldest entry of any type on the page (newest come first)


def coinbase_ledger_page(
    instance: ccxt.Exchange, account_id: str, starting_after: str | None
) -> LedgerPage:
    """One page of a wallet's v2 transactions (newest first) as deposits/withdrawals."""
    params: dict[str, Any] = {"account_id": account_id}
    if starting_after:
        params["starting_after"] = starting_after
    entries = call(instance, "fetch_ledger", None, None, COINBASE_LEDGER_LIMIT, params)
    raw = instance.last_json_response if isinstance(instance.last_json_response, dict) else {}
    next_cursor = str((raw.get("pagination") or {}).get("next_starting_after") or "") or None
    if not entries or next_cursor == starting_after:
        next_cursor = None
    rows = [row for entry in entries if (row := coinbase_transfer_row(entry)) is not None]
    stamps = [e["timestamp"] for e in entries if e.get("timestamp") is not None]
    return LedgerPage(rows, next_cursor, ms_to_dt(min(stamps)) if stamps else None)


def coinbase_transfer_row(entry: dict[str, Any]) -> TransferRow | None:
    """A ledger entry as a transfer (None for fills, rewards and the like).

    An outgoing send's amount already includes its network fee: the fee is split out so that
    `amount` is what moved, as for Binance (the balance drops by amount + fee).
    """
    info = entry.get("info") or {}
    kind = _coinbase_kind(str(info.get("type") or ""), entry.get("direction"))
    if kind is None:
        return None
    amount = to_dec(entry["amount"]).copy_abs()
    fee = entry.get("fee") or {}
    fee_cost = opt_dec(fee.get("cost"))
    fee_asset = fee.get("currency") or entry.get("currency")
    if kind == "withdrawal" and fee_cost and fee_asset == entry.get("currency"):
        amount -= fee_cost
    network = info.get("network") or {}
    return TransferRow(
        transfer_id=str(entry["id"]),
        type=kind,
        asset=entry["currency"],
        amount=amount,
        fee_cost=fee_cost if kind == "withdrawal" else None,
        fee_asset=fee_asset if kind == "withdrawal" and fee_cost is not None else None,
        status=transfer_status(entry.get("status")),
        txid=network.get("hash") if isinstance(network, dict) else None,
        ts=ms_to_dt(entry["timestamp"]),
    )


def _coinbase_kind(tx_type: str, direction: Any) -> str | None:
    if tx_type == "send":  # both ways: the sign of the amount tells
        return "withdrawal" if direction == "out" else "deposit"
    if tx_type in _COINBASE_IN:
        return "deposit"
    if tx_type in _COINBASE_OUT:
        return "withdrawal"
    return None

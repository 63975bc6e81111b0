"""Orders through ccxt (issue 15): a market's order rules, the free balance, and placing,
finding, following and cancelling one limit sell by its client order id.

Placing is never retried here: a POST whose answer was lost may have been accepted, so the
caller looks the order up by its client order id before sending it again (exactly once).
The other calls are reads (or an idempotent cancel) and go through `call`'s retries.

Every function returns a `Wire` record of what was asked and answered, for the audit trail:
the order's own parameters and the exchange's answer, never a key, a secret or a signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ccxt

from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.errors import (
    ExchangeAuthError,
    ExchangeError,
    ExchangeTemporaryError,
    map_ccxt_error,
)
from exstrat_app.infra.exchanges.retry import with_retries
from exstrat_app.infra.exchanges.rows import opt_dec, to_dec

AUDIT_MAX = 1900  # characters of a request or response kept in the audit row


class OrderRefused(ExchangeError):
    """The exchange refused the order itself; `kind`: balance | filter | duplicate | other."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class MarketRules:
    """What an order on the market must respect (Binance LOT_SIZE, PRICE_FILTER, NOTIONAL;
    Coinbase base_increment, quote_increment, base_min_size)."""

    symbol: str
    base: str
    quote: str
    lot_step: Decimal | None
    tick: Decimal | None
    min_qty: Decimal | None
    min_notional: Decimal | None


@dataclass(frozen=True)
class OrderState:
    """An order as the exchange reports it, in our words."""

    exchange_order_id: str
    client_order_id: str | None
    status: str  # open | partially_filled | filled | cancelled | expired | rejected
    qty: Decimal
    filled: Decimal
    average: Decimal | None


@dataclass(frozen=True)
class Wire:
    """One exchange call for the audit trail (JSON text, trimmed, no secrets)."""

    action: str
    request: str
    response: str
    ok: bool


def _text(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)[:AUDIT_MAX]


def market_rules(instance: ccxt.Exchange, symbol: str) -> MarketRules | None:
    """The rules of `symbol` from the loaded markets; None if the exchange lists no such one."""
    market = (instance.markets or {}).get(symbol)
    if not market:
        return None
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}
    return MarketRules(
        symbol=symbol,
        base=market["base"],
        quote=market["quote"],
        lot_step=opt_dec(precision.get("amount")),
        tick=opt_dec(precision.get("price")),
        min_qty=opt_dec((limits.get("amount") or {}).get("min")),
        min_notional=opt_dec((limits.get("cost") or {}).get("min")),
    )


def free_balance(instance: ccxt.Exchange, asset: str) -> Decimal:
    """The free (not locked in open orders) amount of `asset` on the spot account."""
    params = {"v3": True} if instance.id == "coinbase" else {}
    balance = call(instance, "fetch_balance", params)
    return to_dec((balance.get(asset) or {}).get("free") or "0")


def _state(order: dict[str, Any]) -> OrderState:
    qty = to_dec(order.get("amount") or "0")
    filled = to_dec(order.get("filled") or "0")
    unified = order.get("status")
    if unified == "closed":
        status = "filled"
    elif unified == "canceled":
        status = "cancelled"
    elif unified in ("expired", "rejected"):
        status = str(unified)
    else:
        status = "partially_filled" if filled > 0 else "open"
    average = opt_dec(order.get("average"))
    return OrderState(
        exchange_order_id=str(order["id"]),
        client_order_id=order.get("clientOrderId"),
        status=status,
        qty=qty,
        filled=filled,
        average=average if filled > 0 else None,
    )


def _summary(order: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "clientOrderId", "status", "amount", "filled", "average", "price")
    return {k: order.get(k) for k in keys}


def place_limit_sell(
    instance: ccxt.Exchange, symbol: str, qty: Decimal, price: Decimal, client_order_id: str
) -> tuple[OrderState, Wire]:
    """Send one GTC limit sell. Raises `OrderRefused` (the exchange said no), our auth error
    (key revoked or without the right), or `ExchangeTemporaryError`: outcome UNKNOWN, the
    order may exist, look it up by `client_order_id` before sending it again."""
    request = {
        "symbol": symbol,
        "type": "limit",
        "side": "sell",
        "amount": format(qty, "f"),
        "price": format(price, "f"),
        "clientOrderId": client_order_id,
        "timeInForce": "GTC",
    }
    params: dict[str, Any] = {"clientOrderId": client_order_id, "timeInForce": "GTC"}
    if instance.id == "coinbase":
        # ccxt's coinbase drops `clientOrderId` and sends its own `ccxt-<uuid>`: the
        # request's own field overrides it (a repeated id answers the first order).
        params = {"client_order_id": client_order_id, "timeInForce": "GTC"}
    try:
        order = instance.create_order(
            symbol, "limit", "sell", request["amount"], request["price"], params
        )
    except ccxt.InsufficientFunds:
        raise OrderRefused(
            f"{instance.id.capitalize()} says the balance is too small for this sale.",
            kind="balance",
        ) from None
    except ccxt.InvalidOrder as exc:
        raise _refusal(instance, exc) from None
    except ccxt.BaseError as exc:
        mapped = map_ccxt_error(exc, exchange=instance.id, retry_after=None)
        if isinstance(mapped, ExchangeAuthError | ExchangeTemporaryError):
            raise mapped from None
        raise _refusal(instance, exc) from None
    return _state(order), Wire("place", _text(request), _text(_summary(order)), True)


# Coinbase's preview/new-order failure reasons (Advanced Trade "Create Order"), in words.
COINBASE_REASONS = {
    "INVALID_SIZE_PRECISION": "the quantity is not a multiple of the market's base increment",
    "INVALID_PRICE_PRECISION": "the price is not a multiple of the market's quote increment",
    "BASE_SIZE_TOO_SMALL": "the quantity is below the market's minimum size",
    "QUOTE_SIZE_TOO_SMALL": "the order value is below the market's minimum",
    "INVALID_LIMIT_PRICE": "the limit price is not accepted",
}


def _refusal(instance: ccxt.Exchange, exc: Exception) -> OrderRefused:
    text = str(exc)
    name = instance.id.capitalize()
    if instance.id == "coinbase":
        for code, words in COINBASE_REASONS.items():
            if code in text:
                return OrderRefused(f"Coinbase refused the order: {words}.", kind="filter")
    if "Duplicate order" in text:
        return OrderRefused(f"{name} already has an open order with this id.", kind="duplicate")
    if "insufficient" in text.lower():
        return OrderRefused(f"{name} says the balance is too small for this sale.", kind="balance")
    if "Filter failure" in text or "INVALID_" in text:
        rule = text.split("Filter failure:")[-1].strip(' "}') if "Filter failure" in text else ""
        return OrderRefused(
            f"{name} refused the order's size or price ({rule or 'market rules'}).", kind="filter"
        )
    return OrderRefused(f"{name} refused the order.", kind="other")


def find_order(
    instance: ccxt.Exchange, symbol: str, client_order_id: str
) -> tuple[OrderState | None, Wire]:
    """The order placed with `client_order_id`, or None if the exchange never took it."""
    request = {"symbol": symbol, "clientOrderId": client_order_id}
    params = (
        {"origClientOrderId": client_order_id}
        if instance.id == "binance"
        else {"clientOrderId": client_order_id}
    )

    def attempt() -> dict[str, Any] | None:
        try:
            return instance.fetch_order(None, symbol, params)  # type: ignore[no-any-return]
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as exc:
            raise map_ccxt_error(exc, exchange=instance.id, retry_after=None) from None

    def listed() -> dict[str, Any] | None:
        # Coinbase's Get Order takes the exchange's id only: list the market's orders
        # (List Orders, newest first) and pick ours by its client order id.
        try:
            orders = instance.fetch_orders(symbol, None, 100)
        except ccxt.BaseError as exc:
            raise map_ccxt_error(exc, exchange=instance.id, retry_after=None) from None
        return next((o for o in orders if o.get("clientOrderId") == client_order_id), None)

    order = with_retries(listed if instance.id == "coinbase" else attempt)
    if order is None:
        return None, Wire("lookup", _text(request), _text({"found": False}), True)
    return _state(order), Wire("lookup", _text(request), _text(_summary(order)), True)


def order_status(
    instance: ccxt.Exchange, symbol: str, exchange_order_id: str
) -> tuple[OrderState, Wire]:
    request = {"symbol": symbol, "id": exchange_order_id}
    order = call(instance, "fetch_order", exchange_order_id, symbol)
    return _state(order), Wire("status", _text(request), _text(_summary(order)), True)


def cancel_order(
    instance: ccxt.Exchange, symbol: str, exchange_order_id: str
) -> tuple[OrderState | None, Wire]:
    request = {"symbol": symbol, "id": exchange_order_id}
    try:
        order = call(instance, "cancel_order", exchange_order_id, symbol)
    except ExchangeError as exc:
        return None, Wire("cancel", _text(request), _text({"error": exc.message}), False)
    if instance.id == "coinbase":  # Cancel Orders answers only success + id: ask again
        cancelled = call(instance, "fetch_order", exchange_order_id, symbol)
        return _state(cancelled), Wire("cancel", _text(request), _text(_summary(cancelled)), True)
    return _state(order), Wire("cancel", _text(request), _text(_summary(order)), True)

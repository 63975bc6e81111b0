"""Plain rows of Decimals built from ccxt's string numbers, shared by both exchanges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple


def to_dec(value: Any) -> Decimal:
    """Decimal from ccxt's string numbers; a float here is a bug (number=str not set)."""
    if isinstance(value, float):
        raise TypeError("ccxt returned a float: exchange.number = str was not set")
    return Decimal(str(value))


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else to_dec(value)


def ms_to_dt(ms: Any) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def dt_to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def truthy(value: Any) -> bool:
    """A flag as the exchanges send it: a JSON boolean or the text "true"."""
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


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
    kind: str = "trade"  # trade | convert | card | dust | simple (models.Trade.kind)


@dataclass(frozen=True)
class TransferRow:
    transfer_id: str
    type: str  # deposit | withdrawal | income | unclassified (signed amount)
    asset: str
    amount: Decimal
    fee_cost: Decimal | None
    fee_asset: str | None
    status: str
    txid: str | None
    ts: datetime
    source: str | None = None  # models.Transfer.source: fiat, dividend, staking_reward, ...


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
    """A trade in ccxt's unified structure as a row."""
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

"""Coinbase (Advanced Trade v3 + the v2 wallet ledger): balances and wallets, fill pages,
ledger pages classified (transfers, simple buys/sells, convert legs, income, unclassified),
and the key's permissions. Pages follow the cursor Coinbase returns in the raw response
(`enableLastJsonResponse`).

What a v2 transaction's amounts hold (Coinbase App API reference, "Transactions"; ccxt
`coinbase.parse_ledger_entry`, whose "buy trade"/"sell trade"/"send" samples show them, and
which keeps the raw transaction in `info`, the sign of `amount` in `direction` and its
absolute value in `amount`, maps `completed` to `ok`, and reads a fee only from
`network.transaction_fee`):

- `buy` (crypto wallet): `amount` +crypto received; `native_amount` what was paid, the fee
  included; the linked `buy` resource, when expanded, has `total` (paid, fees included),
  `subtotal`, `fee`, `unit_price`. A fiat wallet that paid lists its own `buy` (-total).
- `sell` (crypto wallet): `amount` -crypto sold; `native_amount` -(value before the fee); the
  linked `sell` has `total` = received (fee deducted). The fiat wallet lists a `sell` (+total).
- `trade` (a convert): one transaction in each wallet (-given, +received) sharing `trade.id`.
- rewards and any other type: one signed `amount` in the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt

from exstrat_app.domain import STABLE_QUOTES
from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.rows import (
    KeyPermissions,
    TradeRow,
    TransferRow,
    balances_of,
    ms_to_dt,
    opt_dec,
    to_dec,
    trade_row,
    transfer_status,
    truthy,
)

COINBASE_FILLS_LIMIT = 250
COINBASE_LEDGER_LIMIT = 100

# v2 transaction types that move funds in or out of Coinbase (fills are read as fills).
_COINBASE_IN = {"receive", "fiat_deposit", "pro_withdrawal", "exchange_withdrawal"}
_COINBASE_OUT = {"fiat_withdrawal", "pro_deposit", "exchange_deposit"}
_COINBASE_FIAT_MOVES = {"fiat_deposit", "fiat_withdrawal"}
# Read elsewhere: Advanced Trade fills come from the fills endpoint (sync_coinbase's trades).
_COINBASE_SKIPPED = {"advanced_trade_fill"}
# Rewards: income (amount >= 0) with the v2 type as its source.
COINBASE_INCOME_TYPES = frozenset(
    {
        "staking_reward",
        "inflation_reward",
        "interest",
        "earn_payout",
        "incentives_rewards_payout",
        "subscription_rebate",
    }
)
# Fiat wallets Coinbase offers (a convert leg in one of them is the quote, like a stable).
_COINBASE_FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SGD", "JPY", "BRL"})


@dataclass(frozen=True)
class CoinbaseWallet:
    currency: str
    account_id: str  # the v3 account uuid (also the v2 account id)


@dataclass(frozen=True)
class ConvertLeg:
    """One wallet's side of a v2 `trade` (a convert); the other side is in another wallet."""

    trade_id: str  # `trade.id`, shared by both legs
    asset: str
    amount: Decimal  # signed: negative = the asset given
    ts: datetime


@dataclass(frozen=True)
class LedgerPage:
    transfers: list[TransferRow]  # deposits/withdrawals, income, unclassified
    next_cursor: str | None  # None on the last page
    oldest: datetime | None  # the oldest entry of any type on the page (newest come first)
    trades: list[TradeRow] = field(default_factory=list)  # completed simple buys/sells
    legs: list[ConvertLeg] = field(default_factory=list)  # completed convert legs


def coinbase_key_permissions(instance: ccxt.Exchange) -> KeyPermissions:
    """What the key may do, from `GET /api/v3/brokerage/key_permissions` (SPEC §5)."""
    raw = call(instance, "v3_private_get_brokerage_key_permissions")
    can_trade = truthy(raw.get("can_trade"))
    can_transfer = truthy(raw.get("can_transfer"))
    return KeyPermissions(
        can_read=truthy(raw.get("can_view", True)),
        can_trade=can_trade,
        can_withdraw=can_transfer,
        trade_rights=("Trade",) if can_trade else (),
        withdraw_rights=("Transfer",) if can_transfer else (),
    )


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
    if truthy(info.get("size_in_quote")) and info.get("size") not in (None, ""):
        row = row._replace(cost=to_dec(info["size"]))
    return row


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
    transfers: list[TransferRow] = []
    trades: list[TradeRow] = []
    legs: list[ConvertLeg] = []
    for entry in entries:
        row = coinbase_ledger_entry(entry)
        if isinstance(row, TransferRow):
            transfers.append(row)
        elif isinstance(row, ConvertLeg):
            legs.append(row)
        elif row is not None:
            trades.append(row)
    stamps = [e["timestamp"] for e in entries if e.get("timestamp") is not None]
    oldest = ms_to_dt(min(stamps)) if stamps else None
    return LedgerPage(transfers, next_cursor, oldest, trades, legs)


def coinbase_ledger_entry(entry: dict[str, Any]) -> TransferRow | TradeRow | ConvertLeg | None:
    """A v2 transaction (ccxt ledger entry) classified; None for what is read elsewhere
    (fills), for a fiat wallet's side of a buy/sell (the crypto side is the trade) and for
    buys/sells/converts that did not complete. A type we do not know is kept, as
    `unclassified` with its signed amount: never dropped."""
    info = entry.get("info") or {}
    tx_type = str(info.get("type") or "")
    if tx_type in _COINBASE_SKIPPED:
        return None
    if tx_type in ("buy", "sell"):
        return coinbase_simple_trade_row(entry) if entry.get("status") == "ok" else None
    if tx_type == "trade":
        trade_id = str((info.get("trade") or {}).get("id") or "")
        if entry.get("status") != "ok" or not trade_id:
            return None
        amount = to_dec(entry["amount"])
        return ConvertLeg(
            trade_id=trade_id,
            asset=entry["currency"],
            amount=-amount if entry.get("direction") == "out" else amount,
            ts=ms_to_dt(entry["timestamp"]),
        )
    transfer = coinbase_transfer_row(entry)
    if transfer is not None:
        return transfer
    amount = to_dec(entry["amount"]).copy_abs()
    incoming = entry.get("direction") != "out"
    kind = "income" if tx_type in COINBASE_INCOME_TYPES and incoming else "unclassified"
    return TransferRow(
        transfer_id=str(entry["id"]),
        type=kind,
        asset=entry["currency"],
        amount=amount if incoming else -amount,
        fee_cost=None,
        fee_asset=None,
        status=transfer_status(entry.get("status")),
        txid=None,
        ts=ms_to_dt(entry["timestamp"]),
        source=(tx_type or "unknown")[:40],
    )


def coinbase_simple_trade_row(entry: dict[str, Any]) -> TradeRow | None:
    """The crypto side of a `buy`/`sell` as a Trade of kind `simple` (None for the fiat
    wallet's side). `cost` is what was paid (buy, fee included) or received (sell, fee
    deducted) in the payment currency: the linked resource's `total` when present, else
    `native_amount` (a buy's includes the fee; a sell's is the value before it). The fee
    is inside `cost`, so no separate fee is recorded (it would count twice)."""
    info = entry.get("info") or {}
    side = str(info.get("type"))
    if (side == "buy") != (entry.get("direction") == "in"):
        return None  # the fiat wallet's leg: the crypto leg carries the trade
    linked = info.get(side) or {}
    total = linked.get("total") if isinstance(linked, dict) else None
    money = total if isinstance(total, dict) and total.get("amount") is not None else None
    if money is None:
        money = info.get("native_amount") or {}
    qty = to_dec(entry["amount"]).copy_abs()
    cost = to_dec(money["amount"]).copy_abs()
    base, quote = entry["currency"], str(money["currency"])
    return TradeRow(
        trade_id=f"cb:{entry['id']}",
        order_id=str(linked["id"]) if isinstance(linked, dict) and linked.get("id") else None,
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        side=side,
        price=cost / qty if qty else Decimal(0),
        amount=qty,
        cost=cost,
        fee_asset=None,
        fee_cost=None,
        ts=ms_to_dt(entry["timestamp"]),
        kind="simple",
    )


def coinbase_convert_row(first: ConvertLeg, second: ConvertLeg) -> TradeRow:
    """A convert's two legs as one Trade of kind `convert` (DESIGN's orientation rule): a
    stable or fiat leg is the quote; otherwise base = the asset received, quote = the asset
    given, side buy. The spread is inside the amounts, so there is no fee."""
    given, got = (first, second) if first.amount < 0 else (second, first)

    def cash(asset: str) -> bool:
        return asset in STABLE_QUOTES or asset in _COINBASE_FIAT

    if cash(got.asset) and not cash(given.asset):
        base, quote, side = given.asset, got.asset, "sell"
        amount, cost = -given.amount, got.amount
    else:
        base, quote, side = got.asset, given.asset, "buy"
        amount, cost = got.amount, -given.amount
    return TradeRow(
        trade_id=f"convert:{first.trade_id}",
        order_id=first.trade_id,
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        side=side,
        price=cost / amount if amount else Decimal(0),
        amount=amount,
        cost=cost,
        fee_asset=None,
        fee_cost=None,
        ts=max(first.ts, second.ts),
        kind="convert",
    )


def coinbase_transfer_row(entry: dict[str, Any]) -> TransferRow | None:
    """A ledger entry as a deposit/withdrawal (None for every other type).

    An outgoing send's amount already includes its network fee: the fee is split out so that
    `amount` is what moved, as for Binance (the balance drops by amount + fee).
    """
    info = entry.get("info") or {}
    kind = _kind(str(info.get("type") or ""), entry.get("direction"))
    if kind is None:
        return None
    amount = to_dec(entry["amount"]).copy_abs()
    fee = entry.get("fee") or {}
    fee_cost = opt_dec(fee.get("cost"))
    fee_asset = fee.get("currency") or entry.get("currency")
    if kind == "withdrawal" and fee_cost and fee_asset == entry.get("currency"):
        amount -= fee_cost
    network = info.get("network") or {}
    tx_type = str(info.get("type") or "")
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
        source="fiat" if tx_type in _COINBASE_FIAT_MOVES else None,
    )


def _kind(tx_type: str, direction: Any) -> str | None:
    if tx_type == "send":  # both ways: the sign of the amount tells
        return "withdrawal" if direction == "out" else "deposit"
    if tx_type in _COINBASE_IN:
        return "deposit"
    if tx_type in _COINBASE_OUT:
        return "withdrawal"
    return None

"""Coinbase (Advanced Trade v3 + the v2 wallet ledger): balances and wallets, fill pages,
ledger pages read as deposits/withdrawals, and the key's permissions. Pages follow the
cursor Coinbase returns in the raw response (`enableLastJsonResponse`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt

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


@dataclass(frozen=True)
class CoinbaseWallet:
    currency: str
    account_id: str  # the v3 account uuid (also the v2 account id)


@dataclass(frozen=True)
class LedgerPage:
    transfers: list[TransferRow]  # the deposits/withdrawals among the page's entries
    next_cursor: str | None  # None on the last page
    oldest: datetime | None  # the oldest entry of any type on the page (newest come first)


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
    rows = [row for entry in entries if (row := coinbase_transfer_row(entry)) is not None]
    stamps = [e["timestamp"] for e in entries if e.get("timestamp") is not None]
    return LedgerPage(rows, next_cursor, ms_to_dt(min(stamps)) if stamps else None)


def coinbase_transfer_row(entry: dict[str, Any]) -> TransferRow | None:
    """A ledger entry as a transfer (None for fills, rewards and the like).

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


def _kind(tx_type: str, direction: Any) -> str | None:
    if tx_type == "send":  # both ways: the sign of the amount tells
        return "withdrawal" if direction == "out" else "deposit"
    if tx_type in _COINBASE_IN:
        return "deposit"
    if tx_type in _COINBASE_OUT:
        return "withdrawal"
    return None

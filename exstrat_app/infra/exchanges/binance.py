"""Binance: its pages (one request each; the callers persist a cursor per page), its raw
`myTrades` parsing, deposits/withdrawals and the key's permissions."""

from __future__ import annotations

from typing import Any

import ccxt

from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.rows import (
    KeyPermissions,
    TradeRow,
    TransferRow,
    ms_to_dt,
    opt_dec,
    to_dec,
    transfer_status,
    truthy,
)

BINANCE_TRADES_LIMIT = 1000  # myTrades maximum page size
BINANCE_TRANSFERS_LIMIT = 1000  # deposit/withdraw history maximum page size
BINANCE_WINDOW_MS = 90 * 24 * 3600 * 1000  # widest startTime..endTime Binance accepts

# apiRestrictions flags -> the label of the tick box on Binance's API management page.
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


def binance_key_permissions(instance: ccxt.Exchange) -> KeyPermissions:
    """What the key may do, from `GET /sapi/v1/account/apiRestrictions` (SPEC §5)."""
    raw = call(instance, "sapi_get_account_apirestrictions")
    trade = tuple(label for k, label in BINANCE_TRADE_FLAGS.items() if truthy(raw.get(k)))
    withdraw = tuple(label for k, label in BINANCE_WITHDRAW_FLAGS.items() if truthy(raw.get(k)))
    return KeyPermissions(
        can_read=truthy(raw.get("enableReading", True)),
        can_trade=bool(trade),
        can_withdraw=bool(withdraw),
        trade_rights=trade,
        withdraw_rights=withdraw,
    )


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


def _side(trade: dict[str, Any]) -> str | None:
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
                _side(t),
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
    return [binance_transfer_row(tx) for tx in txs]


def binance_transfer_row(tx: dict[str, Any]) -> TransferRow:
    """A deposit/withdrawal in ccxt's structure. `amount` is what moved; a withdrawal's fee
    is on top."""
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

"""Binance's retail sources (beside the order book): Convert, card/bank buys and sells, fiat
deposits/withdrawals, dust conversions, distributions, Simple Earn rewards and positions, the
Funding wallet. Each function asks one request (through `call`: signed, throttled by its
documented weight, errors mapped, retried) and parses it into rows; the sync
(`services/exchanges/sync_binance_retail.py`) walks the windows and pages and keeps cursors.

Only final, successful records become rows: Convert `orderStatus` SUCCESS, fiat payments
`Completed`, fiat orders `Successful`/`Finished`. Ids are prefixed by the source, so kinds
never collide (`convert:<orderId>`, `card:<orderNo>`, `dust:<transId>:<fromAsset>`,
`fiat:<orderNo>`, `dividend:<id>`, `earn_flexible:...`, `earn_locked:...`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

import ccxt

from exstrat_app.domain.money import FIAT, STABLE_QUOTES
from exstrat_app.infra.exchanges.client import call
from exstrat_app.infra.exchanges.rows import (
    TradeRow,
    TransferRow,
    balances_of,
    ms_to_dt,
    opt_dec,
    to_dec,
)

DAY_MS = 86_400_000
CONVERT_WINDOW_MS = 30 * DAY_MS  # tradeFlow: startTime..endTime at most 30 days (ccxt checks)
CONVERT_LIMIT = 1000  # tradeFlow `limit` maximum
DIVIDEND_WINDOW_MS = 180 * DAY_MS  # assetDividend: at most 180 days apart
DIVIDEND_LIMIT = 500  # assetDividend `limit` maximum
EARN_WINDOW_MS = 90 * DAY_MS  # Simple Earn history: "cannot be longer than 3 months"
EARN_PAGE_SIZE = 100  # Simple Earn `size` maximum
# Binance published the Simple Earn API in 2023 (its connectors added the endpoints in April
# 2023); earlier interest lived behind the retired Savings endpoints. At weight 150 a window,
# walking 2017-2022 would cost ~35 empty requests per product for nothing.
EARN_HISTORY_START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
FIAT_ROWS = 500  # fiat payments/orders `rows` maximum

CONVERT_PENDING = {"PROCESS", "ACCEPT_SUCCESS"}  # not final yet: read again later
FIAT_OK = {"Successful", "Finished", "Completed"}
FIAT_PENDING = {"Processing", "Refunding"}


class Page(NamedTuple):
    rows: list[Any]
    raw_count: int  # records the exchange sent (failed ones included): a full page -> more
    total: int | None = None  # the exchange's total, when it sends one
    pending_ms: int | None = None  # the oldest record not yet final, when one was seen


def orient(given: str, given_amount: Decimal, got: str, got_amount: Decimal) -> tuple:
    """(base, quote, side, amount, cost) of a swap `given -> got` (DESIGN: a fiat leg is the
    quote, else a stable leg; otherwise base = what was received, side buy)."""
    for kinds in (FIAT, STABLE_QUOTES):
        if given in kinds and got not in kinds:
            return got, given, "buy", got_amount, given_amount
        if got in kinds and given not in kinds:
            return given, got, "sell", given_amount, got_amount
    if given in FIAT and got in STABLE_QUOTES:  # EUR -> USDT: the fiat is the quote
        return got, given, "buy", got_amount, given_amount
    if got in FIAT and given in STABLE_QUOTES:
        return given, got, "sell", given_amount, got_amount
    return got, given, "buy", got_amount, given_amount


def _swap_row(
    kind: str, ident: str, given: str, g_amt: Decimal, got: str, r_amt: Decimal, ts: int
) -> TradeRow:
    base, quote, side, amount, cost = orient(given, g_amt, got, r_amt)
    return TradeRow(
        f"{kind}:{ident}",
        None,
        f"{base}/{quote}",
        base,
        quote,
        side,
        cost / amount,
        amount,
        cost,
        None,
        None,
        ms_to_dt(ts),
        kind,
    )


def binance_converts(instance: ccxt.Exchange, start_ms: int, end_ms: int) -> Page:
    """SUCCESS converts with start_ms <= createTime <= end_ms (at most 30 days apart), through
    ccxt's `fetch_convert_trade_history` (`GET /sapi/v1/convert/tradeFlow`)."""
    found = call(
        instance, "fetch_convert_trade_history", None, start_ms, CONVERT_LIMIT, {"until": end_ms}
    )
    rows, pending = [], None
    for c in found:
        info = c["info"]
        status = info.get("orderStatus")
        if status in CONVERT_PENDING:
            pending = min(pending or c["timestamp"], c["timestamp"])
        if status != "SUCCESS":
            continue
        rows.append(
            _swap_row(
                "convert",
                str(info["orderId"]),
                c["fromCurrency"],
                to_dec(info["fromAmount"]),
                c["toCurrency"],
                to_dec(info["toAmount"]),
                c["timestamp"],
            )
        )
    return Page(rows, len(found), pending_ms=pending)


def binance_card_payments(
    instance: ccxt.Exchange, side: str, begin_ms: int, end_ms: int, page: int
) -> Page:
    """Card/bank buys (`side` buy: transactionType 0) or sells (1), `GET /sapi/v1/fiat/payments`,
    one page of up to 500. A buy costs `sourceAmount` of the fiat, fee included; a sell
    gives `sourceAmount` of the crypto for `obtainAmount` of the fiat, fee taken."""
    raw = call(
        instance,
        "sapiGetFiatPayments",
        {
            "transactionType": 0 if side == "buy" else 1,
            "beginTime": begin_ms,
            "endTime": end_ms,
            "page": page,
            "rows": FIAT_ROWS,
        },
    )
    data = raw.get("data") or []
    rows, pending = [], None
    for p in data:
        if p.get("status") in FIAT_PENDING:
            pending = min(pending or int(p["createTime"]), int(p["createTime"]))
        if p.get("status") != "Completed":
            continue
        fiat, crypto = p["fiatCurrency"], p["cryptoCurrency"]
        source, obtain = to_dec(p["sourceAmount"]), to_dec(p["obtainAmount"])
        ts = int(p["createTime"])
        if side == "buy":
            rows.append(_swap_row("card", p["orderNo"], fiat, source, crypto, obtain, ts))
        else:
            rows.append(_swap_row("card", p["orderNo"], crypto, source, fiat, obtain, ts))
    return Page(rows, len(data), int(raw.get("total") or 0), pending)


def binance_fiat_orders(
    instance: ccxt.Exchange, kind: str, begin_ms: int, end_ms: int, page: int
) -> Page:
    """Fiat deposits (`kind` deposit: transactionType 0) or withdrawals (1), `GET
    /sapi/v1/fiat/orders`: ordinary transfers of the fiat with source `fiat`. A deposit's
    `amount` is what was credited; a withdrawal's fee (`totalFee`) comes on top."""
    raw = call(
        instance,
        "sapiGetFiatOrders",
        {
            "transactionType": 0 if kind == "deposit" else 1,
            "beginTime": begin_ms,
            "endTime": end_ms,
            "page": page,
            "rows": FIAT_ROWS,
        },
    )
    data = raw.get("data") or []
    rows, pending = [], None
    for o in data:
        status = o.get("status")
        if status in FIAT_PENDING:
            pending = min(pending or int(o["createTime"]), int(o["createTime"]))
        if status not in FIAT_OK:
            continue
        rows.append(
            TransferRow(
                transfer_id=f"fiat:{o['orderNo']}",
                type=kind,
                asset=o["fiatCurrency"],
                amount=to_dec(o["amount"]),
                fee_cost=opt_dec(o.get("totalFee")),
                fee_asset=o["fiatCurrency"],
                status="ok",
                txid=None,
                ts=ms_to_dt(o["createTime"]),
                source="fiat",
            )
        )
    return Page(rows, len(data), int(raw.get("total") or 0), pending)


def binance_dust(instance: ccxt.Exchange) -> Page:
    """The last 100 dust conversions into BNB (`GET /sapi/v1/asset/dribblet`, through ccxt's
    `fetch_my_dust_trades`), one row per asset converted, oriented as ccxt does (FROM/BNB
    sell, or BNB/FROM buy when that market exists). The BNB credited is `transferedAmount`,
    the service charge the fee in BNB: the row's BNB leg is their sum (the gross)."""
    trades = call(instance, "fetch_my_dust_trades")
    rows = []
    for t in trades:
        info = t["info"]
        gross = to_dec(info["transferedAmount"]) + to_dec(info["serviceChargeAmount"])
        given = to_dec(info["amount"])
        base, _, quote = t["symbol"].partition("/")
        amount, cost = (given, gross) if t["side"] == "sell" else (gross, given)
        rows.append(
            TradeRow(
                f"dust:{info['transId']}:{info['fromAsset']}",
                str(info["transId"]),
                t["symbol"],
                base,
                quote,
                t["side"],
                cost / amount,
                amount,
                cost,
                "BNB",
                to_dec(info["serviceChargeAmount"]),
                ms_to_dt(int(info["operateTime"])),
                "dust",
            )
        )
    return Page(rows, len(trades))


def binance_dividends(instance: ccxt.Exchange, start_ms: int, end_ms: int) -> Page:
    """Distributions (airdrops, BNB vault, ...) in a window of at most 180 days, `GET
    /sapi/v1/asset/assetDividend`: income with source `dividend`."""
    raw = call(
        instance,
        "sapiGetAssetAssetDividend",
        {"startTime": start_ms, "endTime": end_ms, "limit": DIVIDEND_LIMIT},
    )
    found = raw.get("rows") or []
    rows = [
        TransferRow(
            f"dividend:{d['id']}",
            "income",
            d["asset"],
            to_dec(d["amount"]),
            None,
            None,
            "ok",
            None,
            ms_to_dt(d["divTime"]),
            "dividend",
        )
        for d in found
    ]
    return Page(rows, len(found), int(raw.get("total") or 0))


EARN_REWARDS = {
    "flexible": "sapiGetSimpleEarnFlexibleHistoryRewardsRecord",
    "locked": "sapiGetSimpleEarnLockedHistoryRewardsRecord",
}


def binance_earn_rewards(
    instance: ccxt.Exchange, product: str, start_ms: int, end_ms: int, current: int
) -> Page:
    """One page (`current`, 100 a page) of Simple Earn rewards (`product` flexible | locked) in
    a window of at most 90 days: income with source `earn_flexible` / `earn_locked`."""
    params: dict[str, Any] = {
        "startTime": start_ms,
        "endTime": end_ms,
        "current": current,
        "size": EARN_PAGE_SIZE,
    }
    if product == "flexible":
        params["type"] = "ALL"
    raw = call(instance, EARN_REWARDS[product], params)
    found = raw.get("rows") or []
    source = f"earn_{product}"
    rows = []
    for r in found:
        if product == "flexible":
            ident = f"{r.get('type')}:{r['asset']}:{r['time']}:{r.get('projectId', '')}"
            amount = r["rewards"]
        else:
            ident = f"{r.get('positionId')}:{r['asset']}:{r['time']}"
            amount = r["amount"]
        rows.append(
            TransferRow(
                f"{source}:{ident}",
                "income",
                r["asset"],
                to_dec(amount),
                None,
                None,
                "ok",
                None,
                ms_to_dt(r["time"]),
                source,
            )
        )
    return Page(rows, len(found), int(raw.get("total") or 0))


EARN_POSITIONS = {
    "flexible": ("sapiGetSimpleEarnFlexiblePosition", "totalAmount"),
    "locked": ("sapiGetSimpleEarnLockedPosition", "amount"),
}


def binance_earn_positions(
    instance: ccxt.Exchange, product: str
) -> dict[str, tuple[Decimal, Decimal]]:
    """{asset: (free, locked)} of the Simple Earn positions (flexible: free, they can be
    redeemed at once; locked: locked), every page of `.../{product}/position` summed."""
    method, field = EARN_POSITIONS[product]
    totals: dict[str, Decimal] = {}
    current = 1
    while True:
        raw = call(instance, method, {"current": current, "size": EARN_PAGE_SIZE})
        found = raw.get("rows") or []
        for p in found:
            totals[p["asset"]] = totals.get(p["asset"], Decimal(0)) + to_dec(p[field])
        if not found or current * EARN_PAGE_SIZE >= int(raw.get("total") or 0):
            break
        current += 1
    zero = Decimal(0)
    return {
        asset: ((amount, zero) if product == "flexible" else (zero, amount))
        for asset, amount in totals.items()
        if amount
    }


def binance_funding_balances(instance: ccxt.Exchange) -> dict[str, tuple[Decimal, Decimal]]:
    """The Funding wallet (`POST /sapi/v1/asset/get-funding-asset`, through ccxt's
    `fetch_balance({"type": "funding"})`)."""
    return balances_of(call(instance, "fetch_balance", {"type": "funding"}))

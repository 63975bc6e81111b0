"""Binance spot ingestion steps (see `runner.py` for the run and its guarantees).

- balances: `GET /api/v3/account` (free + locked), then the Funding and Simple Earn wallets
  (`sync_binance_retail.sync_wallets`).
- transfers: deposit and withdrawal history walked in 90-day windows (Binance's widest)
  from `EXSTRAT_HISTORY_START` to now, never stopping on an empty window; the cursor is the
  end of the last window walked, saved after each one. A window that fills a whole page is
  split in two until every page is partial. Then the retail sources (Convert, card buys,
  fiat, dust, distributions, Earn rewards: `sync_binance_retail.sync_history`).
- trades: `myTrades` for every market whose base or quote the account has ever held
  (balances, deposits, withdrawals, earlier trades, fee assets), crossed with the markets
  Binance lists; paged by `fromId` 1000 at a time, the last id saved with each page.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.exchanges.weights import BINANCE_WEIGHTS
from exstrat_app.models import Balance, Trade, Transfer
from exstrat_app.services.exchanges import sync_binance_retail
from exstrat_app.services.exchanges.context import StepContext, eta_seconds
from exstrat_app.services.exchanges.store import (
    get_cursor,
    replace_balances,
    save_cursor,
    store_trades,
    store_transfers,
)

TRANSFER_KINDS = ("deposit", "withdrawal")
# Re-read a little before the saved cursor: a transfer can appear in the history after the
# time it is dated (a deposit is dated when first seen on chain, listed once confirmed).
TRANSFER_OVERLAP = timedelta(days=3)
# A transfer still pending after this long is not waited for any more (it would otherwise
# pull every sync back to its date).
PENDING_WAIT = timedelta(days=30)


def sync_balances(ctx: StepContext) -> None:
    balance = xa.call(ctx.instance, "fetch_balance")
    replace_balances(ctx.session, ctx.account.id, xa.balances_of(balance))
    ctx.session.commit()
    sync_binance_retail.sync_wallets(ctx)  # funding, earn_flexible, earn_locked


# --- transfers ----------------------------------------------------------------------------


def sync_transfers(ctx: StepContext) -> None:
    now_ms = xa.dt_to_ms(datetime.now(UTC))
    for kind in TRANSFER_KINDS:
        start_ms = _transfers_start(ctx, kind)
        while start_ms <= now_ms:
            end_ms = min(start_ms + xa.BINANCE_WINDOW_MS - 1, now_ms)
            rows = _window(ctx, kind, start_ms, end_ms)
            store_transfers(ctx.session, ctx.account.id, rows)
            save_cursor(ctx.session, ctx.account.id, f"{kind}s", "*", last_ts=xa.ms_to_dt(end_ms))
            ctx.session.commit()
            start_ms = end_ms + 1
    # Convert, card/fiat, dust, distributions, Earn rewards: before trades, so their assets
    # count for the symbol list.
    sync_binance_retail.sync_history(ctx)


def _window(ctx: StepContext, kind: str, start_ms: int, end_ms: int) -> list[xa.TransferRow]:
    """Every transfer of the window; a full page means there may be more: split in two."""
    rows = xa.binance_transfers(ctx.instance, kind, start_ms, end_ms)
    if len(rows) < xa.BINANCE_TRANSFERS_LIMIT or end_ms - start_ms < 1000:
        return rows
    middle = (start_ms + end_ms) // 2
    return _window(ctx, kind, start_ms, middle) + _window(ctx, kind, middle + 1, end_ms)


def _transfers_start(ctx: StepContext, kind: str) -> int:
    """Where to resume: the saved cursor (minus an overlap), or earlier if a transfer seen
    pending then is still to be settled; the configured history start the first time."""
    cursor = get_cursor(ctx.session, ctx.account.id, f"{kind}s", "*")
    if cursor is None or cursor.last_ts is None:
        return xa.dt_to_ms(ctx.env.history_start)
    start = cursor.last_ts - TRANSFER_OVERLAP
    oldest_pending = ctx.session.execute(
        select(func.min(Transfer.ts)).where(
            Transfer.exchange_account_id == ctx.account.id,  # type: ignore[arg-type]
            Transfer.type == kind,  # type: ignore[arg-type]
            Transfer.status == "pending",  # type: ignore[arg-type]
            Transfer.ts >= datetime.now(UTC) - PENDING_WAIT,  # type: ignore[operator]
        )
    ).scalar_one_or_none()
    if oldest_pending is not None:
        start = min(start, oldest_pending.replace(tzinfo=UTC))
    return max(xa.dt_to_ms(start), xa.dt_to_ms(ctx.env.history_start))


# --- trades ---------------------------------------------------------------------------------

MY_TRADES_WEIGHT = BINANCE_WEIGHTS[("private", "myTrades")].ip  # 20 of 6000 a minute


# Pages fetched ahead of the one being stored (issue 17): while the throttle holds the next
# request, the writer stores the previous page. Bounded, so memory stays a few pages.
PIPELINE_DEPTH = 3


def sync_trades(ctx: StepContext) -> None:
    """A fetching thread walks every symbol's pages (the ccxt instance is used from it
    only) into a bounded queue; this thread stores each page and commits it with its cursor,
    in order, so a crash resumes exactly after the last page stored (pages fetched but not
    stored yet are fetched again)."""
    symbols = candidate_symbols(ctx.markets(), account_assets(ctx))
    ctx.progress(done=0, total=len(symbols), eta_s=None)
    starts = {symbol: _start_id(ctx, symbol) for symbol in symbols}
    pages: queue.Queue[Any] = queue.Queue(maxsize=PIPELINE_DEPTH)
    stop = threading.Event()
    fetcher = threading.Thread(
        target=_fetch_pages, args=(ctx.instance, symbols, starts, pages, stop), daemon=True
    )
    started, fetched, done = time.monotonic(), 0, 0
    fetcher.start()
    try:
        while done < len(symbols):
            item = pages.get()
            if isinstance(item, Exception):
                raise item
            fetched += 1
            symbol, rows, last = item
            if rows:
                _store_page(ctx, symbol, rows)
            if last:
                done += 1
                # at least one myTrades page per symbol left, at Binance's weight and our pace
                left = len(symbols) - done
                pace = (time.monotonic() - started) / max(1, fetched)
                eta = eta_seconds(left * MY_TRADES_WEIGHT, left, pace)
                ctx.progress(done=done, eta_s=eta if left else None)
    finally:
        stop.set()
        fetcher.join(timeout=60)


def _start_id(ctx: StepContext, symbol: str) -> int:
    cursor = get_cursor(ctx.session, ctx.account.id, "trades", symbol)
    return int(cursor.last_id) + 1 if cursor is not None and cursor.last_id else 0


def _put(pages: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _fetch_pages(
    instance: Any,
    symbols: list[str],
    starts: dict[str, int],
    pages: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    """Each symbol's pages by `fromId`, 1000 at a time: (symbol, rows, last page?)."""
    try:
        for symbol in symbols:
            from_id = starts[symbol]
            while True:
                rows = xa.binance_trades_page(instance, symbol, from_id)
                last = len(rows) < xa.BINANCE_TRADES_LIMIT
                if not _put(pages, (symbol, rows, last), stop):
                    return
                if last:
                    break
                from_id = max(int(r.trade_id) for r in rows) + 1
    except Exception as exc:  # noqa: BLE001 -- handed to the writer, raised in the step
        _put(pages, exc, stop)


def _store_page(ctx: StepContext, symbol: str, rows: list[xa.TradeRow]) -> None:
    account_id = ctx.account.id
    last_id = max(int(r.trade_id) for r in rows)
    store_trades(ctx.session, account_id, rows)
    save_cursor(
        ctx.session,
        account_id,
        "trades",
        symbol,
        last_id=str(last_id),
        last_ts=max(r.ts for r in rows),
    )
    ctx.session.commit()  # the page and its cursor together: a crash resumes here


def account_assets(ctx: StepContext) -> set[str]:
    """Every asset the account is known to have held: balances, transfers, trades, fees."""
    account_id = ctx.account.id
    queries = union(
        select(Balance.asset).where(Balance.exchange_account_id == account_id),  # type: ignore[arg-type]
        select(Transfer.asset).where(Transfer.exchange_account_id == account_id),  # type: ignore[arg-type]
        select(Trade.base).where(Trade.exchange_account_id == account_id),  # type: ignore[arg-type]
        select(Trade.quote).where(Trade.exchange_account_id == account_id),  # type: ignore[arg-type]
        select(Trade.fee_asset).where(
            Trade.exchange_account_id == account_id,  # type: ignore[arg-type]
            Trade.fee_asset.is_not(None),  # type: ignore[union-attr]
        ),
    )
    return {asset for (asset,) in ctx.session.execute(queries) if asset}


def candidate_symbols(markets: dict[str, dict], assets: set[str]) -> list[str]:
    """Spot markets (listed or delisted) whose base or quote is one of the assets."""
    return sorted(
        symbol
        for symbol, market in markets.items()
        if market.get("spot", True)
        and (market.get("base") in assets or market.get("quote") in assets)
    )

"""Coinbase (Advanced Trade) ingestion steps (see `runner.py` for the run and its guarantees).

- balances: `fetch_balance({'v3': True})` follows the accounts cursor; `hold` is locked.
- transfers: each wallet's v2 transactions (sends, receives, fiat deposits/withdrawals;
  fills are read as fills, not here), newest first. A wallet walked before is read only
  down to a little before that walk (or its oldest still-pending transfer).
- trades: fills of every product, newest first, by cursor. The walk's cursor is saved with
  each page so a killed walk resumes mid-way; when a walk completes, the newest fill time
  becomes the `since` of the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Transfer
from exstrat_app.services.exchanges.context import StepContext
from exstrat_app.services.exchanges.store import (
    clear_cursor,
    get_cursor,
    replace_balances,
    save_cursor,
    store_trades,
    store_transfers,
)

LEDGER_OVERLAP = timedelta(days=3)
FILLS_OVERLAP = timedelta(days=1)
# A transfer still pending after this long is not waited for any more (it would otherwise
# pull every sync back to its date).
PENDING_WAIT = timedelta(days=30)


def sync_balances(ctx: StepContext) -> None:
    ctx.markets()  # a bad key already fails here (Coinbase's markets call is signed)
    balances, _wallets = xa.coinbase_balances(ctx.instance)
    replace_balances(ctx.session, ctx.account.id, balances)
    ctx.session.commit()


# --- transfers ------------------------------------------------------------------------------


def sync_transfers(ctx: StepContext) -> None:
    ctx.markets()
    _balances, wallets = xa.coinbase_balances(ctx.instance)
    # Progress units: one per wallet ledger, plus one for the fills (the trades step).
    ctx.progress(done=0, total=len(wallets) + 1)
    for done, wallet in enumerate(wallets, start=1):
        _sync_wallet(ctx, wallet)
        ctx.progress(done=done)


def _sync_wallet(ctx: StepContext, wallet: xa.CoinbaseWallet) -> None:
    started = utcnow()
    stop_before = _ledger_horizon(ctx, wallet)
    cursor: str | None = None
    while True:
        page = xa.coinbase_ledger_page(ctx.instance, wallet.account_id, cursor)
        store_transfers(ctx.session, ctx.account.id, page.transfers)
        ctx.session.commit()
        cursor = page.next_cursor
        reached = stop_before is not None and page.oldest is not None and page.oldest < stop_before
        if cursor is None or reached:
            break
    # Only a completed walk moves the horizon: an interrupted one is simply walked again.
    save_cursor(ctx.session, ctx.account.id, "ledger", wallet.account_id, last_ts=started)
    ctx.session.commit()


def _ledger_horizon(ctx: StepContext, wallet: xa.CoinbaseWallet) -> datetime | None:
    """How far back this walk must read; None: the whole ledger (first walk)."""
    cursor = get_cursor(ctx.session, ctx.account.id, "ledger", wallet.account_id)
    if cursor is None or cursor.last_ts is None:
        return None
    horizon = cursor.last_ts - LEDGER_OVERLAP
    oldest_pending = ctx.session.execute(
        select(func.min(Transfer.ts)).where(
            Transfer.exchange_account_id == ctx.account.id,  # type: ignore[arg-type]
            Transfer.asset == wallet.currency,  # type: ignore[arg-type]
            Transfer.status == "pending",  # type: ignore[arg-type]
            Transfer.ts >= datetime.now(UTC) - PENDING_WAIT,  # type: ignore[operator]
        )
    ).scalar_one_or_none()
    if oldest_pending is not None:
        horizon = min(horizon, oldest_pending.replace(tzinfo=UTC))
    return horizon


# --- fills ------------------------------------------------------------------------------------


def sync_trades(ctx: StepContext) -> None:
    ctx.markets()
    account_id = ctx.account.id
    completed = get_cursor(ctx.session, account_id, "fills", "*")
    watermark = completed.last_ts if completed is not None else None
    since_ms = xa.dt_to_ms(watermark - FILLS_OVERLAP) if watermark is not None else None
    walk = get_cursor(ctx.session, account_id, "fills-walk", "*")
    cursor = walk.last_id if walk is not None else None
    newest = walk.last_ts if walk is not None and walk.last_ts else watermark
    while True:
        rows, next_cursor = xa.coinbase_fills_page(ctx.instance, since_ms=since_ms, cursor=cursor)
        store_trades(ctx.session, account_id, rows)
        for row in rows:
            newest = row.ts if newest is None or row.ts > newest else newest
        if next_cursor is None:
            save_cursor(ctx.session, account_id, "fills", "*", last_ts=newest)
            clear_cursor(ctx.session, account_id, "fills-walk", "*")
            ctx.session.commit()
            break
        # Same `since` until the walk completes: the cursor belongs to that query.
        save_cursor(ctx.session, account_id, "fills-walk", "*", last_id=next_cursor, last_ts=newest)
        ctx.session.commit()
        cursor = next_cursor
    ctx.progress(done=ctx.account.progress_total)

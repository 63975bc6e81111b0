"""Coinbase (Advanced Trade) ingestion steps (see `runner.py` for the run and its guarantees).

- balances: `fetch_balance({'v3': True})` follows the accounts cursor; `hold` is locked.
- transfers: each wallet's v2 transactions, newest first, classified (`xa.coinbase_ledger_entry`):
  sends/receives/fiat deposits/withdrawals (fiat ones with source `fiat`) as transfers; the
  app's `buy`/`sell` as Trades of kind `simple` (the crypto wallet's side only: the fiat
  wallet's side of the same buy is not counted again); a `trade` (convert) as one Trade of
  kind `convert` once both of its legs, read from two wallets, have been seen (the first leg
  waits in a `cb-convert-leg` cursor keyed by `trade.id`, committed with its page); rewards
  as `income` transfers; any other type as `unclassified` with its signed amount (never
  dropped). Advanced Trade fills appear in the ledger too (`advanced_trade_fill`) and are
  skipped there: they are read as fills (below). Each page is committed with the walk's
  cursor (`ledger-walk`: the next `starting_after` and the walk's start), so a killed walk
  resumes at that page; a completed walk moves the wallet's `ledger` horizon: the next walk
  reads only down to a little before it (or the wallet's oldest still-pending transfer).
- trades: fills of every product, newest first, by cursor. The walk's cursor is saved with
  each page so a killed walk resumes mid-way; when a walk completes, the newest fill time
  becomes the `since` of the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Trade, Transfer
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
    account_id, key = ctx.account.id, wallet.account_id
    stop_before = _ledger_horizon(ctx, wallet)
    walk = get_cursor(ctx.session, account_id, "ledger-walk", key)
    cursor: str | None = None
    started = utcnow()
    if walk is not None and walk.last_id:  # a walk killed mid-way: resume at its page
        cursor = walk.last_id
        started = walk.last_ts or started
    while True:
        page = xa.coinbase_ledger_page(ctx.instance, key, cursor)
        store_transfers(ctx.session, account_id, page.transfers)
        store_trades(ctx.session, account_id, page.trades)
        _pair_converts(ctx, page.legs)
        cursor = page.next_cursor
        reached = stop_before is not None and page.oldest is not None and page.oldest < stop_before
        if cursor is None or reached:
            break
        save_cursor(ctx.session, account_id, "ledger-walk", key, last_id=cursor, last_ts=started)
        ctx.session.commit()
    # Only a completed walk moves the horizon.
    save_cursor(ctx.session, account_id, "ledger", key, last_ts=started)
    clear_cursor(ctx.session, account_id, "ledger-walk", key)
    ctx.session.commit()


CONVERT_LEG = "cb-convert-leg"


def _pair_converts(ctx: StepContext, legs: list[xa.ConvertLeg]) -> None:
    """Each convert leg either waits for its other leg (parked in a cursor, in the same
    transaction as its page) or, with it, becomes the convert Trade. A leg read again
    after its trade was stored changes nothing."""
    account_id = ctx.account.id
    for leg in legs:
        key = leg.trade_id[:40]
        done = ctx.session.execute(
            select(Trade.id).where(
                Trade.exchange_account_id == account_id,  # type: ignore[arg-type]
                Trade.exchange_trade_id == f"convert:{leg.trade_id}",  # type: ignore[arg-type]
            )
        ).first()
        if done is not None:
            continue
        parked = get_cursor(ctx.session, account_id, CONVERT_LEG, key)
        other = _parked_leg(leg.trade_id, parked.last_id, parked.last_ts) if parked else None
        if other is None or (other.amount < 0) == (leg.amount < 0):
            save_cursor(
                ctx.session,
                account_id,
                CONVERT_LEG,
                key,
                last_id=f"{leg.asset} {leg.amount}",
                last_ts=leg.ts,
            )
            continue
        store_trades(ctx.session, account_id, [xa.coinbase_convert_row(other, leg)])
        clear_cursor(ctx.session, account_id, CONVERT_LEG, key)


def _parked_leg(trade_id: str, text: str | None, ts: datetime | None) -> xa.ConvertLeg | None:
    asset, _, amount = (text or "").partition(" ")
    if not asset or not amount or ts is None:
        return None
    return xa.ConvertLeg(trade_id=trade_id, asset=asset, amount=Decimal(amount), ts=ts)


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

"""Binance's retail sources, synced inside the `balances` and `transfers` steps.

They run in the transfers step, before trades, so the assets they bring (a coin bought by
card, converted into, received as a distribution) count for the trades step's symbol list;
the Earn and Funding wallets are read with the spot balances. Each source has its own cursor
kind, committed with the rows of each window or page it covers (a crash resumes there; every
insert is idempotent, so a re-sync adds nothing):

| cursor kind | endpoint | walked as |
|---|---|---|
| `convert` | convert/tradeFlow (UID 3000) | 30-day windows, split when full |
| `fiat_payments` buy/sell | fiat/payments (IP 1) | one span since the cursor, pages |
| `fiat_orders` dep/wd | fiat/orders (UID 90000) | one span since the cursor, pages |
| `dust` | asset/dribblet (IP 1) | the last 100, one request |
| `dividends` | asset/assetDividend (IP 10) | 180-day windows, split when full |
| `earn_rewards_flexible` | simple-earn/flexible/... (IP 150) | 90-day windows, pages of 100 |
| `earn_rewards_locked` | simple-earn/locked/... (IP 150) | 90-day windows, pages of 100 |

The fiat endpoints document no widest span, and fiat/orders costs half a minute of the
account's UID budget a request: one span from the cursor to now, paged, is the cheapest walk.
A record not final yet (a Convert PROCESS, a payment Processing) holds its cursor just before
it, so the next sync reads it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from exstrat_app.infra import exchanges as xa
from exstrat_app.services.exchanges.context import StepContext
from exstrat_app.services.exchanges.store import (
    get_cursor,
    replace_balances,
    save_cursor,
    store_trades,
    store_transfers,
)

Fetch = Callable[[int, int], xa.RetailPage]


def sync_wallets(ctx: StepContext) -> None:
    """Funding and Simple Earn (flexible, locked) balances, one wallet each."""
    wallets = {
        "funding": xa.binance_funding_balances(ctx.instance),
        "earn_flexible": xa.binance_earn_positions(ctx.instance, "flexible"),
        "earn_locked": xa.binance_earn_positions(ctx.instance, "locked"),
    }
    for wallet, balances in wallets.items():
        replace_balances(ctx.session, ctx.account.id, balances, wallet=wallet)
    ctx.session.commit()


def sync_history(ctx: StepContext) -> None:
    ctx.markets()  # ccxt's convert/dust parsers resolve currency codes through the markets
    inst = ctx.instance
    _windows(ctx, "convert", xa.CONVERT_WINDOW_MS, xa.CONVERT_LIMIT,
             lambda a, b: xa.binance_converts(inst, a, b))  # fmt: skip
    for side in ("buy", "sell"):
        _span(ctx, "fiat_payments", side,
              lambda a, b, p, s=side: xa.binance_card_payments(inst, s, a, b, p))  # fmt: skip
    for kind in ("deposit", "withdrawal"):
        _span(ctx, "fiat_orders", kind,
              lambda a, b, p, k=kind: xa.binance_fiat_orders(inst, k, a, b, p))  # fmt: skip
    _dust(ctx)
    _windows(ctx, "dividends", xa.DIVIDEND_WINDOW_MS, xa.DIVIDEND_LIMIT,
             lambda a, b: xa.binance_dividends(inst, a, b))  # fmt: skip
    for product in ("flexible", "locked"):
        _windows(ctx, f"earn_rewards_{product}", xa.EARN_WINDOW_MS, None,
                 lambda a, b, p=product: _earn_window(inst, p, a, b),
                 not_before=xa.EARN_HISTORY_START_MS)  # fmt: skip


def _now_ms() -> int:
    return xa.dt_to_ms(datetime.now(UTC))


def _store(ctx: StepContext, rows: list) -> None:
    trades = [r for r in rows if isinstance(r, xa.TradeRow)]
    transfers = [r for r in rows if isinstance(r, xa.TransferRow)]
    if trades:
        store_trades(ctx.session, ctx.account.id, trades)
    if transfers:
        store_transfers(ctx.session, ctx.account.id, transfers)


def _resume_ms(ctx: StepContext, kind: str, key: str = "*") -> int:
    cursor = get_cursor(ctx.session, ctx.account.id, kind, key)
    if cursor is None or cursor.last_ts is None:
        return xa.dt_to_ms(ctx.env.history_start)
    return xa.dt_to_ms(cursor.last_ts.replace(tzinfo=UTC)) + 1


def _windows(
    ctx: StepContext,
    kind: str,
    span: int,
    limit: int | None,
    fetch: Fetch,
    *,
    not_before: int = 0,
) -> None:
    """Windows of `span` from the cursor (never before `not_before`, when the source has no
    older records) to now; a window whose page is full is split in two (until pages are
    partial); each leaf is committed with the cursor at its end."""
    start, now = max(_resume_ms(ctx, kind), not_before), _now_ms()
    hold: int | None = None  # the oldest record seen that is not final yet
    while start <= now:
        end = min(start + span - 1, now)
        stack = [(start, end)]
        while stack:
            a, b = stack.pop()
            page = fetch(a, b)
            if limit is not None and page.raw_count >= limit and b - a >= 1000:
                middle = (a + b) // 2
                stack += [(middle + 1, b), (a, middle)]  # the earlier half first
                continue
            _store(ctx, page.rows)
            if page.pending_ms is not None:
                hold = page.pending_ms if hold is None else min(hold, page.pending_ms)
            mark = b if hold is None else min(b, hold - 1)
            save_cursor(ctx.session, ctx.account.id, kind, "*", last_ts=xa.ms_to_dt(mark))
            ctx.session.commit()
        start = end + 1


def _span(
    ctx: StepContext, kind: str, key: str, fetch: Callable[[int, int, int], xa.RetailPage]
) -> None:
    """One span from the cursor to now, paged; each page is committed with the cursor
    `last_id = "<begin>:<end>:<page>"` (a crash goes on with the next page of the same span);
    the last page sets `last_ts` to the span's end and clears `last_id`."""
    cursor = get_cursor(ctx.session, ctx.account.id, kind, key)
    before = cursor.last_ts if cursor is not None else None
    if cursor is not None and cursor.last_id:
        begin, end, done_page = (int(x) for x in cursor.last_id.split(":"))
        page = done_page + 1
    else:
        begin, end, page = _resume_ms(ctx, kind, key), _now_ms(), 1
    hold: int | None = None
    while True:
        result = fetch(begin, end, page)
        _store(ctx, result.rows)
        if result.pending_ms is not None:
            hold = result.pending_ms if hold is None else min(hold, result.pending_ms)
        if not result.raw_count or page * xa.FIAT_ROWS >= (result.total or 0):
            mark = end if hold is None else min(end, hold - 1)
            save_cursor(ctx.session, ctx.account.id, kind, key, last_ts=xa.ms_to_dt(mark))
            ctx.session.commit()
            return
        save_cursor(
            ctx.session, ctx.account.id, kind, key, last_id=f"{begin}:{end}:{page}", last_ts=before
        )
        ctx.session.commit()
        page += 1


def _dust(ctx: StepContext) -> None:
    page = xa.binance_dust(ctx.instance)
    _store(ctx, page.rows)
    if page.rows:
        newest = max(r.ts for r in page.rows)
        save_cursor(ctx.session, ctx.account.id, "dust", "*", last_ts=newest)
    ctx.session.commit()


def _earn_window(instance: object, product: str, start: int, end: int) -> xa.RetailPage:
    """Every page of one Earn rewards window, as one page."""
    rows: list = []
    current, count = 1, 0
    while True:
        page = xa.binance_earn_rewards(instance, product, start, end, current)
        rows += page.rows
        count += page.raw_count
        if not page.raw_count or current * xa.EARN_PAGE_SIZE >= (page.total or 0):
            return xa.RetailPage(rows, count, page.total)
        current += 1

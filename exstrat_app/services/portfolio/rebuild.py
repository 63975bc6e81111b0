"""The consolidated portfolio's write side: positions rebuilt from every trade and
transfer of the user's accounts, quantities from the live balances.

`recompute_positions` runs after each sync (and after an account is deleted) and stores one
`Position` row per asset; the read side (`views`, `token`) reads those rows and only adds
current prices, so a page load never replays the history. Nothing here commits: the caller
(the sync's positions step, the account deletion) owns the unit of work.

Positions are computed in two books in the same pass (docs/currencies.md): dollars (USDT:
USDT, USDC, USD and the other stablecoins are all worth 1, so one book serves them all) and
euros (every leg at its own minute's EURUSDT), from the same minute closes. Both land on the
same `Position` row (the euro figures in its `eur_*` columns): quantities do not depend on
the currency.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from sqlalchemy import delete, func, select
from sqlmodel import Session

from exstrat_app.domain import Unvalued
from exstrat_app.domain.currency import EUR, book_fiat, eur_price_at
from exstrat_app.domain.events import Fill, Movement
from exstrat_app.domain.money import FIAT, STABLE_QUOTES
from exstrat_app.domain.positions import PositionState, rebuild_positions
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.bulk import upsert
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import (
    ExchangeAccount,
    OpeningPosition,
    Position,
    Trade,
    Transfer,
    UnvaluedItem,
    User,
)
from exstrat_app.services.portfolio.loaders import (
    account_ids,
    account_of_ref,
    live_quantities,
    load_fills,
    load_movements,
    load_openings,
    price_needs,
)
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild_cache import Books, cache_books, cached_books

log = logging.getLogger(__name__)

BOOK_QUOTE = "USDT"  # positions are stored in this quote (every stable is 1:1 in V1)
ZERO = Decimal(0)


def recompute_for_user(session: Session, user_id: str, *, redis: Redis | None = None) -> None:
    """`recompute_positions` with the real price history (Binance candles, cached).
    Adds and flushes only: the caller commits."""
    recompute_positions(
        session, user_id=user_id, closes=MinuteCloses(session, redis=redis), redis=redis
    )


def recompute_positions(
    session: Session,
    *,
    user_id: str,
    closes: MinuteCloses,
    redis: Redis | None = None,
) -> dict[str, PositionState]:
    """Replay the user's trades and transfers (all accounts) and store one Position per asset
    held or traded: live quantity, rebuilt quantity, cost, average, realized P&L.

    With `redis`, the replay's result is cached under a fingerprint of its inputs: a re-sync
    that brought nothing new (the hourly case) only refreshes the live quantities instead of
    replaying years of history.
    """
    accounts = account_ids(session, user_id)
    fingerprint = inputs_fingerprint(session, accounts, user_id)
    cached = cached_books(redis, user_id, fingerprint)
    if cached is None:
        fills = load_fills(session, accounts)
        movements = load_movements(session, accounts) + load_openings(session, user_id)
        fetch = fetches_eur_rates(session, user_id)
        books, items, complete = replay_books(fills, movements, closes, fetch_eur_rates=fetch)
        if complete:  # a replay short of rates it should have fetched is not kept
            cache_books(redis, user_id, fingerprint, books, items)
    else:
        books, items = cached
    held = live_quantities(session, accounts)
    _store_positions(session, user_id, books, held)
    _store_unvalued(session, user_id, accounts, items)
    return books[BOOK_QUOTE]


def replay_books(
    fills: list[Fill], movements: list[Movement], closes: MinuteCloses, *, fetch_eur_rates: bool
) -> tuple[Books, list[Unvalued], bool]:
    """The positions in both books, the dollar book's unvalued items, and False when the
    exchange could not be reached for the euro rates (the result is then not cached).

    A price no route knows never fails the replay: the engine values that leg at 0 and
    records an Unvalued item (every item, also those of assets with no position). Only the
    dollar book's items are stored: they name what no route prices at all.

    The euro book is replayed for a euro user (`fetch_eur_rates`: missing EURUSDT closes
    are fetched, a minute Binance has none of is unvalued like any price), and for a dollar
    user only when every EURUSDT close it needs is cached already: their euro figures are
    otherwise left unknown (None) rather than made of legs valued at 0.
    """
    closes.prefetch(price_needs(fills, movements))
    items: list[Unvalued] = []
    usd = rebuild_positions(
        fills, movements, quote=BOOK_QUOTE, price_at=closes.price_at, fiat=FIAT, unvalued=items
    )
    books: Books = {BOOK_QUOTE: usd}
    replay, reached = prefetch_eur_rates(
        closes, eur_rate_needs(fills, movements), fetch=fetch_eur_rates
    )
    if replay:
        books[EUR] = rebuild_positions(
            fills,
            movements,
            quote=EUR,
            price_at=eur_price_at(closes.price_at),
            fiat=book_fiat(EUR),
            unvalued=[],
        )
    return books, items, reached


def prefetch_eur_rates(
    closes: MinuteCloses, needs: list[tuple[str, datetime]], *, fetch: bool
) -> tuple[bool, bool]:
    """The EURUSDT closes the euro book needs, asked of the exchange when `fetch`, else from
    the cached candles only: (whether to replay the euro book, whether the exchange was
    reached). Replayed when fetching (a minute with no close is then an unvalued leg), else
    only when every close is cached. Best effort: the exchange out of reach never fails the
    dollar book (a sync)."""
    moments = [ts for _, ts in needs]
    if not moments:
        return True, True
    if not fetch and not closes.any_cached(f"{EUR}/USDT", min(moments), max(moments)):
        return False, True  # the usual dollar user: none kept, so not all of them
    try:
        complete = closes.prefetch_direct(EUR, moments, cached_only=not fetch)
    except xa.ExchangeError as exc:
        log.warning("no EURUSDT closes for the euro book this time: %s", exc)
        return fetch, False
    return fetch or complete, True


def fetches_eur_rates(session: Session, user_id: str) -> bool:
    """Whether the user reports in euros (their rebuild fetches the EURUSDT closes)."""
    user = session.get(User, user_id)
    return user is not None and user.currency == EUR


def eur_rate_needs(
    fills: Iterable[Fill], movements: Iterable[Movement]
) -> list[tuple[str, datetime]]:
    """The minutes the euro book needs an EURUSDT close at: every trade and valued movement
    with a leg not in euros (a trade wholly in euros, fee included, needs none)."""
    needs = []
    for fill in fills:
        fee_elsewhere = fill.fee and fill.fee_asset not in (None, fill.base, EUR)
        if fill.quote != EUR or fee_elsewhere:
            needs.append((EUR, fill.ts))
    for move in movements:
        if move.kind == "income" or (move.kind == "opening" and move.value_asset != EUR):
            needs.append((EUR, move.ts))
    return needs


# Bump when the replay's rules change: every cached result is then recomputed.
REPLAY_VERSION = "2"  # 2: income, openings, unclassified, fiat, unvalued items


def inputs_fingerprint(session: Session, account_ids: list[str], user_id: str = "") -> str:
    """What the replay depends on: the accounts, how many trades each has (trades are only
    ever inserted, never changed), every transfer's settled state (they can change) and the
    user's opening positions (added, edited, deleted by the person)."""
    # The user's currency decides whether the euro rates are fetched: a change replays.
    digest = hashlib.sha256(f"v{REPLAY_VERSION}|{fetches_eur_rates(session, user_id)}".encode())
    for account_id in sorted(account_ids):
        count = session.execute(
            select(func.count()).select_from(Trade).where(Trade.exchange_account_id == account_id)  # type: ignore[arg-type]
        ).scalar_one()
        digest.update(f"|{account_id}:{count}".encode())
    transfers = session.execute(
        select(
            Transfer.exchange_account_id,
            Transfer.type,
            Transfer.exchange_transfer_id,
            Transfer.status,
            Transfer.amount,
            Transfer.fee_cost,
        )
        .where(Transfer.exchange_account_id.in_(account_ids or [""]))  # type: ignore[attr-defined]
        .order_by(Transfer.exchange_account_id, Transfer.type, Transfer.exchange_transfer_id)  # type: ignore[arg-type]
    )
    for row in transfers:
        digest.update(repr(tuple(row)).encode())
    openings = session.execute(
        select(
            OpeningPosition.id,
            OpeningPosition.asset,
            OpeningPosition.quantity,
            OpeningPosition.total_cost,
            OpeningPosition.at,
        )
        .where(OpeningPosition.user_id == user_id)  # type: ignore[arg-type]
        .order_by(OpeningPosition.id)  # type: ignore[arg-type]
    )
    for row in openings:
        digest.update(f"|opening:{tuple(row)!r}".encode())
    return digest.hexdigest()


def _store_positions(
    session: Session, user_id: str, books: Books, held: dict[str, Decimal]
) -> None:
    now = utcnow()
    usd, eur = books[BOOK_QUOTE], books.get(EUR, {})
    rows = []
    for asset in sorted(set(usd) | {a for a, q in held.items() if q}):
        quantity = held.get(asset, ZERO)
        row = _position_row(user_id, asset, usd.get(asset), quantity, now)
        row.update(_eur_figures(asset, eur.get(asset), quantity, known=EUR in books))
        rows.append(row)
    assets = [row["asset"] for row in rows]
    session.execute(
        delete(Position).where(
            Position.user_id == user_id,  # type: ignore[arg-type]
            Position.asset.not_in(assets),  # type: ignore[attr-defined]
        )
    )
    upsert(
        session,
        Position,
        rows,
        ("user_id", "asset", "quote"),
        update=(
            "quantity",
            "computed_qty",
            "cost_basis",
            "avg_price",
            "realized_pnl",
            "unknown_cost_qty",
            "income",
            *EUR_COLUMNS,
            "updated_at",
        ),
    )


EUR_COLUMNS = ("eur_cost_basis", "eur_avg_price", "eur_realized_pnl", "eur_income")


def _eur_figures(
    asset: str, state: PositionState | None, quantity: Decimal, *, known: bool
) -> dict[str, Any]:
    """The euro book's money figures of one position (its quantities are the dollar book's);
    all None when the euro book was not replayed (`known` False).

    With no position: euros held are cash (worth 1 each, their own cost); the dollar
    stables and other fiat are money with no cost basis in euros (no P&L made up for them);
    anything else has no known cost."""
    if not known:
        return dict.fromkeys(EUR_COLUMNS)
    if state is None:
        cash = asset == EUR
        return {
            "eur_cost_basis": quantity if cash else ZERO,
            "eur_avg_price": Decimal(1) if cash else None,
            "eur_realized_pnl": ZERO,
            "eur_income": ZERO,
        }
    return {
        "eur_cost_basis": state.cost,
        "eur_avg_price": state.avg_price,
        "eur_realized_pnl": state.realized,
        "eur_income": state.income,
    }


def _store_unvalued(
    session: Session, user_id: str, accounts: list[str], items: list[Unvalued]
) -> None:
    """The user's unvalued items, rebuilt (delete + insert), and each account's count."""
    session.execute(delete(UnvaluedItem).where(UnvaluedItem.user_id == user_id))  # type: ignore[arg-type]
    counts = dict.fromkeys(accounts, 0)
    for item in items:
        account = account_of_ref(item.ref, accounts)
        if account is not None:
            counts[account] += 1
        session.add(
            UnvaluedItem(
                user_id=user_id,
                exchange_account_id=account,
                asset=item.asset[:20],
                item_asset=item.item_asset[:20],
                amount=item.amount,
                role=item.role[:16],
                ref=(item.ref or "")[:128] or None,
                ts=item.ts,
            )
        )
    for account_id, count in counts.items():
        account_row = session.get(ExchangeAccount, account_id)
        if account_row is not None and account_row.unvalued_count != count:
            account_row.unvalued_count = count
    session.flush()


def _position_row(
    user_id: str, asset: str, state: PositionState | None, quantity: Decimal, now: datetime
) -> dict[str, Any]:
    if state is None:
        # Cash (stablecoins are not tracked by the engine) or an asset nothing explains
        # (an airdrop): cash is worth 1 each; anything else has no known cost. Fiat held on
        # the exchange (EUR after a bank deposit) is cash too: explained by definition, valued
        # at its rate, but with no cost basis (so no P&L is made up for it).
        cash = asset in STABLE_QUOTES
        explained = cash or asset in FIAT
        return {
            "user_id": user_id,
            "asset": asset,
            "quote": BOOK_QUOTE,
            "quantity": quantity,
            "computed_qty": quantity if explained else ZERO,
            "cost_basis": quantity if cash else ZERO,
            "avg_price": Decimal(1) if cash else None,
            "realized_pnl": ZERO,
            "unknown_cost_qty": ZERO if cash else quantity,
            "income": ZERO,
            "updated_at": now,
        }
    return {
        "user_id": user_id,
        "asset": asset,
        "quote": BOOK_QUOTE,
        "quantity": quantity,
        "computed_qty": state.quantity,
        "cost_basis": state.cost,
        "avg_price": state.avg_price,
        "realized_pnl": state.realized,
        "unknown_cost_qty": state.unknown_cost_qty,
        "income": state.income,
        "updated_at": now,
    }

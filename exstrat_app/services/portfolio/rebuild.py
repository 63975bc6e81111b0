"""The consolidated portfolio's write side (SPEC §4): positions rebuilt from every trade and
transfer of the user's accounts, quantities from the live balances.

`recompute_positions` runs after each sync (and after an account is deleted) and stores one
`Position` row per asset; the read side (`views`, `token`) reads those rows and only adds
current prices, so a page load never replays the history. Nothing here commits: the caller
(the sync's positions step, the account deletion) owns the unit of work.

Positions are computed once, in USDT: USDT, USDC and USD (and the other stablecoins) are
all worth 1 in V1, so the rebuild is the same whichever of them the user reports in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, func, select
from sqlmodel import Session

from exstrat_app.domain import Unvalued
from exstrat_app.domain.money import FIAT, STABLE_QUOTES
from exstrat_app.domain.positions import PositionState, rebuild_positions
from exstrat_app.infra.db.bulk import upsert
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import (
    ExchangeAccount,
    OpeningPosition,
    Position,
    Trade,
    Transfer,
    UnvaluedItem,
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
    cached = _cached_states(redis, user_id, fingerprint)
    if cached is None:
        fills = load_fills(session, accounts)
        movements = load_movements(session, accounts) + load_openings(session, user_id)
        closes.prefetch(price_needs(fills, movements))
        # A price no route knows never fails the replay: the engine values that leg at 0 and
        # records an Unvalued item (every item, also those of assets with no position).
        items: list[Unvalued] = []
        states = rebuild_positions(
            fills,
            movements,
            quote=BOOK_QUOTE,
            price_at=closes.price_at,
            fiat=FIAT,
            unvalued=items,
        )
        _cache_states(redis, user_id, fingerprint, states, items)
    else:
        states, items = cached
    held = live_quantities(session, accounts)
    _store_positions(session, user_id, states, held)
    _store_unvalued(session, user_id, accounts, items)
    return states


# Bump when the replay's rules change: every cached result is then recomputed.
REPLAY_VERSION = "2"  # 2: income, openings, unclassified, fiat, unvalued items
STATES_TTL_SECONDS = 24 * 3600  # and at least daily anyway
_STATE_FIELDS = tuple(f.name for f in fields(PositionState))


def inputs_fingerprint(session: Session, account_ids: list[str], user_id: str = "") -> str:
    """What the replay depends on: the accounts, how many trades each has (trades are only
    ever inserted, never changed), every transfer's settled state (they can change) and the
    user's opening positions (added, edited, deleted by the person)."""
    digest = hashlib.sha256(f"v{REPLAY_VERSION}".encode())
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


def _states_key(user_id: str) -> str:
    return f"exstrat:positions:{user_id}"


def _cached_states(
    redis: Redis | None, user_id: str, fingerprint: str
) -> tuple[dict[str, PositionState], list[Unvalued]] | None:
    if redis is None:
        return None
    try:
        raw = redis.get(_states_key(user_id))
    except RedisError:
        return None
    if not raw:
        return None
    saved = json.loads(raw)
    if saved.get("fingerprint") != fingerprint:
        return None
    states = {
        asset: PositionState(
            asset=asset,
            **{
                name: _from_json(name, value)
                for name, value in values.items()
                if name in _STATE_FIELDS and name != "asset"
            },
        )
        for asset, values in saved["states"].items()
    }
    return states, _from_json("unvalued", saved.get("unvalued", []))


def _to_json(name: str, value: Any) -> Any:
    if name == "unvalued":
        return [
            {k: str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime)
             else v for k, v in asdict(item).items()}
            for item in value
        ]  # fmt: skip
    return None if value is None else str(value)


def _from_json(name: str, value: Any) -> Any:
    if name == "unvalued":
        return [
            Unvalued(
                **{
                    **item,
                    "amount": Decimal(item["amount"]),
                    "ts": datetime.fromisoformat(item["ts"]),
                }
            )
            for item in value
        ]
    return None if value is None else Decimal(value)


def _cache_states(
    redis: Redis | None,
    user_id: str,
    fingerprint: str,
    states: dict[str, PositionState],
    items: list[Unvalued],
) -> None:
    if redis is None:
        return
    payload = {
        "fingerprint": fingerprint,
        "unvalued": _to_json("unvalued", items),
        "states": {
            asset: {
                name: _to_json(name, getattr(state, name))
                for name in _STATE_FIELDS
                if name != "asset"
            }
            for asset, state in states.items()
        },
    }
    try:
        redis.set(_states_key(user_id), json.dumps(payload), ex=STATES_TTL_SECONDS)
    except RedisError:
        log.warning("could not cache the positions", exc_info=True)


def _store_positions(
    session: Session, user_id: str, states: dict[str, PositionState], held: dict[str, Decimal]
) -> None:
    now = utcnow()
    rows = []
    for asset in sorted(set(states) | {a for a, q in held.items() if q}):
        state = states.get(asset)
        quantity = held.get(asset, ZERO)
        rows.append(_position_row(user_id, asset, state, quantity, now))
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
            "updated_at",
        ),
    )


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

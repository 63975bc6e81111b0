"""The value history's storage and inputs, for `history.py`: the user's events in
replay order (with fiat cash movements), the per-day digests that find the first changed day,
the inputs' fingerprint, and the day rows and snapshots written with bulk statements."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session

from exstrat_app.domain.history import (
    DayPoint,
    Event,
    Snapshot,
    day_of,
    sort_events,
)
from exstrat_app.domain.money import FIAT
from exstrat_app.domain.positions import Fill, Movement
from exstrat_app.infra.db.bulk import upsert
from exstrat_app.models import (
    OpeningPosition,
    Trade,
    Transfer,
    ValueHistoryDay,
    ValueHistorySnapshot,
)
from exstrat_app.services.portfolio.loaders import (
    account_ids,
    load_fills,
    load_movements,
    load_openings,
)
from exstrat_app.services.portfolio.rebuild import REPLAY_VERSION

DAY = timedelta(days=1)
HISTORY_VERSION = "2"  # bump when the history's rules change: every history is rebuilt
EMPTY_DIGEST = hashlib.blake2b(b"", digest_size=16).hexdigest()


# -- inputs -----------------------------------------------------------------------------------


def load_events(session: Session, user_id: str, *, since: datetime | None = None) -> list[Event]:
    """Every event of the user in replay order (only those at or after `since` when given:
    the next days after a snapshot): the positions rebuild's fills and movements, plus fiat
    cash movements (the rebuild skips them: fiat has no position; the history follows fiat
    held as cash)."""
    accounts = account_ids(session, user_id)
    fills = load_fills(session, accounts, since=since)
    moves = load_movements(session, accounts, since=since)
    moves += load_openings(session, user_id, since=since)
    moves += _fiat_movements(session, accounts, since)
    return sort_events(fills, moves)


def _fiat_movements(
    session: Session, accounts: list[str], since: datetime | None
) -> list[Movement]:
    if not accounts:
        return []
    where = [
        Transfer.exchange_account_id.in_(accounts),  # type: ignore[attr-defined]
        Transfer.asset.in_(sorted(FIAT)),  # type: ignore[attr-defined]
        Transfer.status == "ok",
    ]
    if since is not None:
        where.append(Transfer.ts >= since)  # type: ignore[arg-type,operator]
    rows = session.execute(
        select(
            Transfer.ts, Transfer.exchange_account_id, Transfer.exchange_transfer_id,
            Transfer.type, Transfer.asset, Transfer.amount, Transfer.fee_cost,
        ).where(*where)  # type: ignore[arg-type]
    )  # fmt: skip
    moves = []
    for ts, acc, tid, kind, asset, amount, fee in rows:
        if kind == "unclassified" and amount:
            kind, amount = ("deposit", amount) if amount > 0 else ("withdrawal", -amount)
        if kind not in ("deposit", "withdrawal"):
            continue
        charged = fee if kind == "withdrawal" and fee else Decimal(0)
        moves.append(Movement(ts, f"{acc}:{tid}", asset, kind, amount, charged))
    return moves


def day_digests(events: list[Event]) -> dict[date, str]:
    """A digest of each day's events (what they are, not where they are stored)."""
    hashes: dict[date, Any] = {}
    for e in events:
        day = day_of(e.ts)
        h = hashes.get(day)
        if h is None:
            h = hashes[day] = hashlib.blake2b(digest_size=16)
        h.update(repr(e).encode())
    return {day: h.hexdigest() for day, h in hashes.items()}


def fingerprint(session: Session, user_id: str, *, before: datetime) -> str:
    """What the stored days before `before` depend on: each account's count of trades
    before it (trades are only ever inserted), the state of every transfer and opening
    position dated before it. Unchanged: the days up to `before` stand, and the next days
    are replayed from the last snapshot with their own events only."""
    accounts = sorted(account_ids(session, user_id))
    digest = hashlib.sha256(f"h{HISTORY_VERSION}|v{REPLAY_VERSION}|{before.isoformat()}".encode())
    counts = dict(
        session.execute(
            select(Trade.exchange_account_id, func.count())
            .where(Trade.exchange_account_id.in_(accounts or [""]), Trade.ts < before)  # type: ignore[attr-defined,arg-type,operator]
            .group_by(Trade.exchange_account_id)  # type: ignore[arg-type]
        ).all()
    )
    for account_id in accounts:
        digest.update(f"|{account_id}:{counts.get(account_id, 0)}".encode())
    transfers = session.execute(
        select(
            Transfer.exchange_account_id, Transfer.type, Transfer.exchange_transfer_id,
            Transfer.status, Transfer.asset, Transfer.amount, Transfer.fee_cost,
        )
        .where(Transfer.exchange_account_id.in_(accounts or [""]), Transfer.ts < before)  # type: ignore[attr-defined,arg-type,operator]
        .order_by(Transfer.exchange_account_id, Transfer.type, Transfer.exchange_transfer_id)  # type: ignore[arg-type]
    )  # fmt: skip
    for row in transfers:
        digest.update(repr(tuple(row)).encode())
    openings = session.execute(
        select(
            OpeningPosition.id, OpeningPosition.asset, OpeningPosition.quantity,
            OpeningPosition.total_cost, OpeningPosition.at,
        )
        .where(OpeningPosition.user_id == user_id, OpeningPosition.at < before)  # type: ignore[arg-type,operator]
        .order_by(OpeningPosition.id)  # type: ignore[arg-type]
    )  # fmt: skip
    for row in openings:
        digest.update(f"|opening:{tuple(row)!r}".encode())
    return digest.hexdigest()


def event_assets(events: list[Event]) -> set[str]:
    assets: set[str] = set()
    for e in events:
        if isinstance(e, Fill):
            assets.update((e.base, e.quote))
            if e.fee_asset:
                assets.add(e.fee_asset)
        else:
            assets.add(e.asset)
    return assets


def store_points(
    session: Session,
    user_id: str,
    points: list[DayPoint],
    digests: dict[date, str],
    today: date,
    eur_points: list[DayPoint],
) -> None:
    """The days' rows, each with its figures in dollars and in euros (`eur_points`: the same
    days, replayed in the euro book)."""
    eur = {p.day: p for p in eur_points}
    rows = [
        {
            "user_id": user_id, "day": p.day, "value": p.value, "invested": p.invested,
            "realized": p.realized, "unrealized": p.unrealized, "income": p.income,
            "unpriced": p.unpriced, "digest": digests.get(p.day, EMPTY_DIGEST),
            "final": p.day < today, **_eur_columns(eur.get(p.day)),
        }
        for p in points
    ]  # fmt: skip
    columns = (
        "value", "invested", "realized", "unrealized", "income", "unpriced", "digest", "final",
        *EUR_COLUMNS,
    )  # fmt: skip
    for i in range(0, len(rows), 500):
        upsert(session, ValueHistoryDay, rows[i : i + 500], ("user_id", "day"), update=columns)


EUR_COLUMNS = ("eur_value", "eur_invested", "eur_realized", "eur_unrealized", "eur_income",
               "eur_unpriced")  # fmt: skip


def _eur_columns(p: DayPoint | None) -> dict[str, Any]:
    if p is None:
        return dict.fromkeys(EUR_COLUMNS)
    return {
        "eur_value": p.value, "eur_invested": p.invested, "eur_realized": p.realized,
        "eur_unrealized": p.unrealized, "eur_income": p.income, "eur_unpriced": p.unpriced,
    }  # fmt: skip


def lacks_euros(session: Session, user_id: str) -> bool:
    """True when a stored day has no euro figures yet (stored before the history had them):
    the history is then replayed from its first day."""
    row = session.execute(
        select(ValueHistoryDay.day)
        .where(
            ValueHistoryDay.user_id == user_id,  # type: ignore[arg-type]
            ValueHistoryDay.eur_value.is_(None),  # type: ignore[union-attr]
        )
        .limit(1)
    ).first()
    return row is not None


def save_snapshot(session: Session, user_id: str, snapshot: Snapshot) -> None:
    row = {"user_id": user_id, "day": snapshot.day, "state": json.dumps(snapshot.to_json())}
    upsert(session, ValueHistorySnapshot, [row], ("user_id", "day"), update=("state",))


def latest_snapshot(session: Session, user_id: str, *, before: date) -> Snapshot | None:
    row = session.execute(
        select(ValueHistorySnapshot.state)
        .where(
            ValueHistorySnapshot.user_id == user_id,  # type: ignore[arg-type]
            ValueHistorySnapshot.day < before,  # type: ignore[operator]
        )
        .order_by(ValueHistorySnapshot.day.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).scalar_one_or_none()
    return None if row is None else Snapshot.from_json(json.loads(row))


def drop_snapshots(session: Session, user_id: str, since: date | None) -> None:
    stmt = delete(ValueHistorySnapshot).where(ValueHistorySnapshot.user_id == user_id)  # type: ignore[arg-type]
    if since is not None:
        stmt = stmt.where(ValueHistorySnapshot.day >= since)  # type: ignore[operator]
    session.execute(stmt)


def prune_snapshots(session: Session, user_id: str, *, keep: date) -> None:
    """Keep the month checkpoints and the last day's; drop older last-day ones."""
    rows = session.execute(
        select(ValueHistorySnapshot.id, ValueHistorySnapshot.day).where(
            ValueHistorySnapshot.user_id == user_id  # type: ignore[arg-type]
        )
    ).all()
    stale = [i for i, day in rows if day.day != 1 and day != keep]
    if stale:
        session.execute(delete(ValueHistorySnapshot).where(ValueHistorySnapshot.id.in_(stale)))  # type: ignore[attr-defined]

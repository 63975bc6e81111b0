"""The value history's use cases (issue 16): build it, extend it by the new days, rebuild it
from the first changed day; read it for the pages and the API.

Stored incrementally (`models/history.py`): one row per day with a digest of that day's
events, the replay's state at the last finished day and at each month's first day.

- Nothing dated before the new days changed (same `history_store.fingerprint` of the inputs
  before them): only the new days' events are read (`since` the last stored day's end) and
  replayed from that day's snapshot, one step each.
- The inputs changed (a late-ingested trade, an opening position, a transfer settled): the
  fresh per-day digests are compared with the stored ones; the first differing day is
  replayed from the latest snapshot before it, and only its rows and the later ones are
  written again.

Today's row is provisional (`final=False`: its candle is unfinished) and rewritten at every
build. Nothing here commits: the caller (the history job, per chunk) owns the unit of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlmodel import Session

from exstrat_app.domain.history import (
    AssetDay,
    DayPoint,
    HistoryBook,
    Snapshot,
    asset_days,
    day_of,
    replay_days,
)
from exstrat_app.domain.positions import Fill, Movement
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.queue import HISTORY_JOB, INGEST_QUEUE, enqueue_unique, safe_job_id
from exstrat_app.models import (
    User,
    ValueHistoryDay,
    ValueHistoryState,
)
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history_gaps import QuantityGap, quantity_gaps
from exstrat_app.services.portfolio.history_store import (
    EMPTY_DIGEST,
    day_digests,
    drop_snapshots,
    event_assets,
    latest_snapshot,
    load_events,
    prune_snapshots,
    save_snapshot,
    store_points,
)
from exstrat_app.services.portfolio.history_store import fingerprint as fingerprint_of
from exstrat_app.services.portfolio.loaders import (
    account_ids,
    price_needs,
)
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import BOOK_QUOTE

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


@dataclass(frozen=True)
class HistoryView:
    quote: str
    points: tuple[DayPoint, ...]  # oldest first
    building: bool  # the first build (or a rebuild) is still running
    progress: Decimal | None  # 0..1 of the days built while building, else None
    # Assets whose live quantity the history does not explain (`history_gaps`): the last
    # point and the portfolio page part by exactly these quantities.
    gaps: tuple[QuantityGap, ...] = ()


@dataclass(frozen=True)
class AssetDayPoint:
    day: date
    quantity: Decimal
    price: Decimal | None
    value: Decimal | None
    avg_price: Decimal | None
    cost: Decimal


@dataclass(frozen=True)
class AssetHistoryView:
    asset: str
    quote: str
    points: tuple[AssetDayPoint, ...]


@dataclass(frozen=True)
class BuildResult:
    rows_written: int  # day rows (re)written by this call
    first_written: date | None  # the first day rewritten (the first changed day)
    done: bool  # up to today; False when `max_days` stopped it earlier


# -- build ------------------------------------------------------------------------------------


def build_history(
    session: Session,
    user_id: str,
    *,
    closes: DailyCloses,
    prices: MinuteCloses,
    max_days: int | None = None,
    rebuild_from: date | None = None,
) -> BuildResult:
    """Bring the user's stored history up to today (see the module's docstring); at most
    `max_days` days replayed per call (the job commits between calls, for the progress)."""
    today = closes.today
    if session.get(User, user_id) is None:  # deleted since the job was queued: nothing to do
        return BuildResult(0, None, True)
    state = session.get(ValueHistoryState, user_id)
    if state is None:
        state = ValueHistoryState(user_id=user_id)
        session.add(state)
    fast = _next_days(session, state, today, max_days)
    if fast is not None:  # nothing before the stored days changed: their events only
        snapshot, new_fingerprint = fast
        from_day, first_day = snapshot.day + DAY, state.first_day
        assert first_day is not None  # _next_days checked it
        events = load_events(session, user_id, since=_midnight(from_day))
        digests = day_digests(events)
        later = events
        assets = event_assets(events) | set(snapshot.positions) | set(snapshot.cash)
    else:
        snapshot, new_fingerprint = None, None
        events = load_events(session, user_id)
        if not events:
            session.execute(delete(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id))  # type: ignore[arg-type]
            drop_snapshots(session, user_id, None)
            state.first_day = state.last_day = None
            state.fingerprint, state.building, state.updated_at = "", False, utcnow()
            session.flush()
            return BuildResult(0, None, True)
        first_day = day_of(events[0].ts)  # events are in replay order
        digests = day_digests(events)
        from_day = _first_changed(session, state, digests, first_day)
        if rebuild_from is not None:
            from_day = max(min(from_day, rebuild_from), first_day)
        assets = event_assets(events)
    if from_day > today:
        state.building = False
        session.flush()
        return BuildResult(0, None, True)
    end = today if max_days is None else min(today, from_day + DAY * (max_days - 1))
    drop_snapshots(session, user_id, from_day)
    if snapshot is None:
        snapshot = latest_snapshot(session, user_id, before=from_day)
        start = first_day if snapshot is None else snapshot.day + DAY
        later = [e for e in events if day_of(e.ts) >= start]
    else:
        start = from_day
    prices.prefetch(
        price_needs(
            [e for e in later if isinstance(e, Fill)], [e for e in later if isinstance(e, Movement)]
        )
    )
    closes.prefetch(assets, start, end)
    last_final = min(end, today - DAY)

    def checkpoint(book: HistoryBook, day: date) -> None:
        if day >= from_day and day <= last_final and (day.day == 1 or day == last_final):
            save_snapshot(session, user_id, book.snapshot(day))

    points, _ = replay_days(
        later, first=start, last=end, close=closes.close, price_at=prices.price_at,
        snapshot=snapshot, quote=BOOK_QUOTE, on_day=checkpoint,
    )  # fmt: skip
    written = [p for p in points if p.day >= from_day]
    store_points(session, user_id, written, digests, today)
    # Rows before the first activity (an opening moved later) or of days no longer wanted.
    session.execute(
        delete(ValueHistoryDay).where(
            ValueHistoryDay.user_id == user_id,  # type: ignore[arg-type]
            (ValueHistoryDay.day < first_day) | (ValueHistoryDay.day > today),  # type: ignore[operator]
        )
    )
    prune_snapshots(session, user_id, keep=last_final)
    done = end >= today
    if new_fingerprint is None:
        # Taken after the loads (the cut-off depends on the changed day): a trade committed
        # in between would be missed until the next past change; a user's syncs and history
        # builds run one after the other, so none lands there.
        new_fingerprint = fingerprint_of(session, user_id, before=_midnight(last_final + DAY))
    state.first_day, state.last_day = first_day, last_final
    state.fingerprint, state.building, state.updated_at = new_fingerprint, not done, utcnow()
    session.flush()
    return BuildResult(len(written), written[0].day if written else None, done)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _next_days(
    session: Session, state: ValueHistoryState, today: date, max_days: int | None
) -> tuple[Snapshot, str] | None:
    """The fast path: when nothing dated before the stored days changed (same fingerprint)
    and the last day's snapshot is there, (that snapshot, the fingerprint the build will
    store, taken before the events are read); else None (every event is read)."""
    if state.last_day is None or state.first_day is None or not state.fingerprint:
        return None
    from_day = state.last_day + DAY
    if fingerprint_of(session, state.user_id, before=_midnight(from_day)) != state.fingerprint:
        return None
    snapshot = latest_snapshot(session, state.user_id, before=from_day)
    if snapshot is None or snapshot.day != state.last_day:
        return None
    end = today if max_days is None else min(today, from_day + DAY * (max_days - 1))
    last_final = max(min(end, today - DAY), state.last_day)
    return snapshot, fingerprint_of(session, state.user_id, before=_midnight(last_final + DAY))


def _first_changed(
    session: Session, state: ValueHistoryState, digests: dict[date, str], first_day: date
) -> date:
    """The first day whose stored row no longer reflects the events (or the first new day)."""
    if state.last_day is None or state.first_day is None:
        return first_day
    next_day = state.last_day + DAY
    stored = dict(
        session.execute(
            select(ValueHistoryDay.day, ValueHistoryDay.digest).where(
                ValueHistoryDay.user_id == state.user_id,  # type: ignore[arg-type]
                ValueHistoryDay.day <= state.last_day,  # type: ignore[operator]
            )
        ).all()
    )
    day = min(first_day, state.first_day)
    while day <= state.last_day:
        if digests.get(day, EMPTY_DIGEST) != stored.get(day):
            return day
        day += DAY
    return next_day


# -- read -------------------------------------------------------------------------------------


def value_history(session: Session, user_id: str, *, start: date | None = None) -> HistoryView:
    """The stored points (never the exchange), oldest first, from `start` when given."""
    query = select(ValueHistoryDay).where(ValueHistoryDay.user_id == user_id)  # type: ignore[arg-type]
    if start is not None:
        query = query.where(ValueHistoryDay.day >= start)  # type: ignore[operator]
    rows = session.execute(query.order_by(ValueHistoryDay.day)).scalars().all()  # type: ignore[arg-type]
    points = tuple(
        DayPoint(r.day, r.value, r.invested, r.realized, r.unrealized, r.income, r.unpriced)
        for r in rows
    )
    state = session.get(ValueHistoryState, user_id)
    gaps = quantity_gaps(session, user_id)
    if state is None:
        building = bool(account_ids(session, user_id))
        return HistoryView(BOOK_QUOTE, points, building, Decimal(0) if building else None, gaps)
    if not state.building:
        return HistoryView(BOOK_QUOTE, points, False, None, gaps)
    return HistoryView(BOOK_QUOTE, points, True, _progress(state), gaps)


def _progress(state: ValueHistoryState) -> Decimal:
    if state.first_day is None or state.last_day is None:
        return Decimal(0)
    total = (datetime.now(UTC).date() - state.first_day).days + 1
    done = (state.last_day - state.first_day).days + 1
    return min(Decimal(1), Decimal(done) / Decimal(max(total, 1))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )


class _NoMarkets:
    """The read path's exchange: lists nothing, so only cached prices are used."""

    id = "binance"
    markets: dict[str, Any] = {}
    currencies: dict[str, Any] = {}

    def load_markets(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def set_markets(self, *args: Any, **kwargs: Any) -> None:
        return None


def asset_history(
    session: Session, user_id: str, asset: str, *, start: date | None = None
) -> AssetHistoryView:
    """One asset's quantity, value and average day by day, from the cached prices only."""
    asset = asset.strip().upper()[:20]
    events = load_events(session, user_id)
    mine = [e for e in events if asset in event_assets([e])]
    if not mine:
        return AssetHistoryView(asset, BOOK_QUOTE, ())
    closes = DailyCloses(session, offline=True)
    prices = MinuteCloses(session, exchange_factory=_NoMarkets)
    first = day_of(mine[0].ts)
    closes.prefetch([asset], first, closes.today)
    days: list[AssetDay] = asset_days(
        mine, asset, first=first, last=closes.today, close=closes.close, price_at=prices.price_at
    )
    points = tuple(
        AssetDayPoint(d.day, d.quantity, d.price, d.value, d.avg_price, d.cost)
        for d in days
        if start is None or d.day >= start
    )
    return AssetHistoryView(asset, BOOK_QUOTE, points)


def request_history_build(user_id: str, *, redis: Redis | None) -> None:
    """Enqueue the history job once (after a sync's positions step). Redis down: the next
    sync enqueues it again; the stored history stays as it was."""
    if redis is None:
        return
    try:
        enqueue_unique(
            INGEST_QUEUE, HISTORY_JOB, user_id, job_id=safe_job_id("history", user_id),
            connection=redis,
        )  # fmt: skip
    except RedisError:
        log.warning("could not enqueue the value history build", exc_info=True)

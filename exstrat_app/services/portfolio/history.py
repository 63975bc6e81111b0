"""The value history's use cases: build it, extend it by the new days, rebuild it
from the first changed day; read it for the pages and the API.

The read side is `history_views.py`. Stored incrementally (`models/history.py`): one row per
day with a digest of that day's events, the replay's state at the last finished day and at
each month's first day.

- Nothing dated before the new days changed (same `history_store.fingerprint` of the inputs
  before them): only the new days' events are read (`since` the last stored day's end) and
  replayed from that day's snapshot, one step each.
- The inputs changed (a late-ingested trade, an opening position, a transfer settled): the
  fresh per-day digests are compared with the stored ones; the first differing day is
  replayed from the latest snapshot before it, and only its rows and the later ones are
  written again.

Every day is replayed twice in the same build, in dollars and in euros (docs/currencies.md),
from the same prices: a row holds both, a snapshot both books' states.

Today's row is provisional (`final=False`: its candle is unfinished) and rewritten at every
build. Nothing here commits: the caller (the history job, per chunk) owns the unit of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlmodel import Session

from exstrat_app.domain.currency import EUR, book_fiat, eur_close, eur_price_at
from exstrat_app.domain.history import (
    HistoryBook,
    Snapshot,
    day_of,
    replay_days,
)
from exstrat_app.domain.positions import Fill, Movement
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.queue import (
    HISTORY_JOB,
    INGEST_QUEUE,
    REFIGURE_JOB,
    enqueue_unique,
    safe_job_id,
)
from exstrat_app.models import (
    User,
    ValueHistoryDay,
    ValueHistoryState,
)
from exstrat_app.services.portfolio.daily_closes import DailyCloses
from exstrat_app.services.portfolio.history_store import (
    EMPTY_DIGEST,
    day_digests,
    drop_snapshots,
    event_assets,
    lacks_euros,
    latest_snapshot,
    load_events,
    prune_snapshots,
    save_snapshot,
    store_points,
)
from exstrat_app.services.portfolio.history_store import fingerprint as fingerprint_of

# The read side lives in history_views; its names stay importable from here.
from exstrat_app.services.portfolio.history_views import (
    AssetDayPoint,
    AssetHistoryView,
    HistoryView,
    asset_history,
    value_history,
)
from exstrat_app.services.portfolio.loaders import (
    price_needs,
)
from exstrat_app.services.portfolio.price_history import MinuteCloses
from exstrat_app.services.portfolio.rebuild import (
    BOOK_QUOTE,
    eur_rate_needs,
    prefetch_eur_rates,
)

__all__ = [
    "AssetDayPoint",
    "AssetHistoryView",
    "BuildResult",
    "HistoryView",
    "asset_history",
    "build_history",
    "request_history_build",
    "value_history",
]

log = logging.getLogger(__name__)

DAY = timedelta(days=1)


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
        if lacks_euros(session, user_id):
            from_day = first_day
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
    fills = [e for e in later if isinstance(e, Fill)]
    moves = [e for e in later if isinstance(e, Movement)]
    prices.prefetch(price_needs(fills, moves))
    # Fetched for every user (a background job, each close once ever): the positions rebuild
    # of a dollar user then finds them cached and keeps their euro book too.
    prefetch_eur_rates(prices, eur_rate_needs(fills, moves), fetch=True)
    closes.prefetch(assets | {EUR}, start, end)
    last_final = min(end, today - DAY)

    def kept(day: date) -> bool:
        return day >= from_day and day <= last_final and (day.day == 1 or day == last_final)

    # The euro book first: its checkpoints join the dollar book's snapshots of the same days.
    eur_books: dict[date, Snapshot] = {}

    def keep_eur(book: HistoryBook, day: date) -> None:
        if kept(day):
            eur_books[day] = book.snapshot(day)

    def checkpoint(book: HistoryBook, day: date) -> None:
        if kept(day):
            both = book.snapshot(day)
            both.eur = eur_books.get(day)
            save_snapshot(session, user_id, both)

    eur_points, _ = replay_days(
        later, first=start, last=end, close=eur_close(closes.close),
        price_at=eur_price_at(prices.price_at), snapshot=None if snapshot is None else snapshot.eur,
        quote=EUR, fiat=book_fiat(EUR), on_day=keep_eur,
    )  # fmt: skip
    points, _ = replay_days(
        later, first=start, last=end, close=closes.close, price_at=prices.price_at,
        snapshot=snapshot, quote=BOOK_QUOTE, on_day=checkpoint,
    )  # fmt: skip
    written = [p for p in points if p.day >= from_day]
    store_points(session, user_id, written, digests, today, eur_points)
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
    if snapshot is None or snapshot.day != state.last_day or snapshot.eur is None:
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


def request_refigure(user_id: str, *, redis: Redis | None) -> None:
    """After the reporting currency changed: rebuild the positions (the currency is part of
    the rebuild's fingerprint, so the euro book is replayed and its minute closes fetched),
    then the value history, in a worker. Until it ran, figures show what is already known."""
    _enqueue_for_user(REFIGURE_JOB, "refigure", user_id, redis)


def request_history_build(user_id: str, *, redis: Redis | None) -> None:
    """Enqueue the history job once (after a sync's positions step). Redis down: the next
    sync enqueues it again; the stored history stays as it was."""
    _enqueue_for_user(HISTORY_JOB, "history", user_id, redis)


def _enqueue_for_user(job: str, prefix: str, user_id: str, redis: Redis | None) -> None:
    """One job of this kind per user at a time; Redis down: logged, nothing else changes."""
    if redis is None:
        return
    try:
        enqueue_unique(
            INGEST_QUEUE, job, user_id, job_id=safe_job_id(prefix, user_id), connection=redis
        )
    except RedisError:
        log.warning("could not enqueue a job for the user", extra={"job": prefix}, exc_info=True)

"""The price watcher: one batched cycle fires every take-profit step whose target is reached.

A cycle evaluates one `PriceTouch` per asset (the last price and the high and low since the
previous evaluation), from either price path: the stream (`runtime/price_stream.py`, on every
change) or the REST fallback (`touches.rest_watch_cycle`, every PRICE_POLL_SECONDS: ticker +
1-minute klines since the last evaluation). Then:
1. (the caller) the distinct assets that have pending steps (`watched_assets`) and their touches;
2. a stale price never triggers: the callers leave stale assets out;
3. the pending steps of active strategies with `target_price <= high` of their asset, through
   the (asset, state, target_price) index (one range per asset, batched into few statements),
   lowest target first: a price that jumped past several steps fires each, in order. A step
   reached only by a spike (last < target <= high) fires at the high, "touched ... at ...",
   unless its strategy was created after the spike began;
4. each step fires exactly once: a Redis lock `step:{id}` (SET NX EX) so workers
   don't pile onto the same row, AND a conditional `UPDATE ... WHERE state='pending'` that
   only one transaction can win; the winner writes the StrategyExecution (type `alert`) and
   the Notification in the same transaction;
5. after the commit, best effort: the live push, and the email job (unique id
   `notify-email-{notification_id}`). Their failures are logged and never undo the alert;
   an email job that could not be enqueued (or was lost) is enqueued again by the periodic
   email sweep (`services.notifications.sweep`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import exists, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.i18n import render
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.models import Notification, Strategy, StrategyExecution, StrategyStep, User
from exstrat_app.services.execution.placement import enqueue_step_order
from exstrat_app.services.notifications.channel_delivery import enqueue_fan_out
from exstrat_app.services.notifications.delivery import enqueue_email
from exstrat_app.services.notifications.push import publish_alert
from exstrat_app.services.notifications.wording import (
    KIND_STEP_TRIGGERED,
    alert_body,
    alert_facts,
    alert_title,
)
from exstrat_app.services.portfolio.prices import Quote
from exstrat_app.services.strategies.crossing import Candidate, crossed_steps, watched_assets
from exstrat_app.services.strategies.markets import via_note
from exstrat_app.services.strategies.queries import step_count

log = logging.getLogger(__name__)

__all__ = ["Candidate", "crossed_steps", "watched_assets"]  # the watch's reads, re-exported

STEP_LOCK_SECONDS = 30


@dataclass(frozen=True)
class Fired:
    """A step this process fired (its transaction committed)."""

    step_id: str
    strategy_id: str
    user_id: str
    notification_id: str
    notify_email: bool
    notify_in_app: bool
    notification: Notification
    execution_mode: str = "alert"  # alert | confirm | auto


@dataclass
class CycleReport:
    assets: int = 0
    priced: int = 0
    candidates: int = 0
    fired: list[str] = field(default_factory=list)  # step ids, in firing order
    errors: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "assets": self.assets,
            "priced": self.priced,
            "candidates": self.candidates,
            "fired": len(self.fired),
            "errors": self.errors,
            "ms": round(self.seconds * 1000, 1),
        }


# ---------------------------------------------------------------- firing


def trigger_step(
    engine: Engine,
    redis: Redis,
    step_id: str,
    quote: Quote,
    *,
    public_url: str,
    touched: bool = False,
    via: str | None = None,
) -> Fired | None:
    """Fire one step if nobody else has: lock, conditional update, rows, commit, then notify.
    `public_url` is the site's address, for the link in the alert. `touched`: the quote is a
    spike's high seen at `quote.at`, the price already back below (the alert says so). `via`:
    the quote is a EUR price converted through that pair (the alert says so too).

    Returns what was fired, or None if another worker holds/fired it, its strategy is not
    active any more, or the price is below its target.
    """
    lock_key = f"step:{step_id}"
    token = acquire_lock(redis, lock_key, STEP_LOCK_SECONDS)
    if token is None:
        return None
    try:
        fired = _fire_in_transaction(
            engine, step_id, quote, public_url=public_url, touched=touched, via=via
        )
    finally:
        try:
            release_lock(redis, lock_key, token)
        except RedisError:  # it expires anyway; the DB condition still guards the step
            log.warning("could not release %s", lock_key)
    if fired is not None:
        after_commit(redis, fired)
    return fired


def _fire_in_transaction(
    engine: Engine,
    step_id: str,
    quote: Quote,
    *,
    public_url: str,
    touched: bool = False,
    via: str | None = None,
) -> Fired | None:
    with Session(engine, expire_on_commit=False) as session:
        if not _claim(session, step_id, quote):
            session.rollback()
            return None
        step = session.get(StrategyStep, step_id)
        assert step is not None
        strategy = session.get(Strategy, step.strategy_id)
        assert strategy is not None
        notification = _record(
            session,
            strategy,
            step,
            quote.price,
            public_url=public_url,
            touched_at=quote.at if touched else None,
            via=via,
        )
        session.commit()
        return Fired(
            step_id=step.id,
            strategy_id=strategy.id,
            user_id=strategy.user_id,
            notification_id=notification.id,
            notify_email=strategy.notify_email,
            notify_in_app=strategy.notify_in_app,
            notification=notification,
            execution_mode=strategy.execution_mode,
        )


def _claim(session: Session, step_id: str, quote: Quote) -> bool:
    """The conditional update: only one transaction ever moves a step out of pending."""
    strategy_active = exists().where(
        col(Strategy.id) == col(StrategyStep.strategy_id), Strategy.status == "active"
    )
    result = session.execute(
        update(StrategyStep)
        .where(
            col(StrategyStep.id) == step_id,
            col(StrategyStep.state) == "pending",
            col(StrategyStep.target_price) <= quote.price,
            col(StrategyStep.trail_pct).is_(None),  # trailing steps fire in `exits`
            strategy_active,
        )
        .values(state="triggered", triggered_at=utcnow(), triggered_price=quote.price)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _record(
    session: Session,
    strategy: Strategy,
    step: StrategyStep,
    price: Decimal,
    *,
    public_url: str,
    touched_at: datetime | None = None,
    via: str | None = None,
) -> Notification:
    facts = alert_facts(
        strategy,
        step,
        step_total=step_count(session, strategy.id),
        last_price=price,
        public_url=public_url,
        touched_at=touched_at,
    )
    session.add(
        StrategyExecution(
            strategy_id=strategy.id,
            step_id=step.id,
            executed_qty=step.qty_to_sell,
            price=price,
            execution_type="alert",
        )
    )
    notification = Notification(
        user_id=strategy.user_id,
        kind=KIND_STEP_TRIGGERED,
        strategy_id=strategy.id,
        step_id=step.id,
        title=alert_title(facts),
        body=_with_via(session, strategy, alert_body(facts), via),
        in_app=strategy.notify_in_app,
        email_status="pending" if strategy.notify_email else "skipped",
    )
    session.add(notification)
    return notification


def _with_via(session: Session, strategy: Strategy, body: str, via: str | None) -> str:
    """The alert's words, plus the note that a converted price was used, in the person's
    language (a separate sentence after the body's)."""
    if via is None:
        return body
    user = session.get(User, strategy.user_id)
    note = render(via_note(strategy.asset), user.locale if user is not None else None)
    return f"{body}\n{note}"


def after_commit(redis: Redis, fired: Fired) -> None:
    """Push and email, each best effort: the alert is already safely in the database."""
    if fired.notify_in_app:
        try:
            publish_alert(redis, user_id=fired.user_id, notification=fired.notification)
        except (RedisError, ValueError):
            log.warning("live push failed for notification %s", fired.notification_id)
    if fired.notify_email:
        enqueue_email(redis, fired.notification_id)
    # Web push and Apprise channels: one fan-out job, best effort like the email;
    # a lost one is enqueued again by the channel sweep.
    enqueue_fan_out(redis, fired.notification_id)
    # Order execution: a confirm/auto strategy's step gets its order job (best
    # effort too: the periodic track-orders queues again an order whose job was lost).
    if fired.execution_mode != "alert":
        enqueue_step_order(redis, fired.step_id)


# ---------------------------------------------------------------- the cycle


def quote_for(candidate: Candidate, touch: PriceTouch) -> tuple[Quote, bool]:
    """The price a step fires at, and whether only a spike reached it: the last price when it
    is at or above the target, else the high (a limit sell at the target would have filled)."""
    if touch.last >= candidate.target_price:
        return Quote(touch.last, touch.at), False
    return Quote(touch.high, touch.high_seen_at), True


def run_watch_cycle(
    engine: Engine, redis: Redis, touches: Mapping[str, PriceTouch], *, public_url: str
) -> CycleReport:
    """Evaluate one touch per asset (from the stream or the REST fallback; stale prices already
    left out by the caller). It owns its short transactions by design (the exactly-once rule
    needs each step's claim committed on its own), so it takes the engine, not a session."""
    started = time.perf_counter()
    report = CycleReport(assets=len(touches), priced=len(touches))
    if not touches:
        report.seconds = time.perf_counter() - started
        return report
    with Session(engine) as session:
        candidates = crossed_steps(session, touches)
    report.candidates = len(candidates)
    for candidate in candidates:
        touch = touches[candidate.asset]
        quote, touched = quote_for(candidate, touch)
        try:
            fired = trigger_step(
                engine,
                redis,
                candidate.step_id,
                quote,
                public_url=public_url,
                touched=touched,
                via=touch.via,
            )
        except SQLAlchemyError:
            # One step's failed transaction (a lock timeout...) must not hold back the others;
            # it is still pending, so the next cycle tries it again.
            log.exception("could not fire step %s", candidate.step_id)
            report.errors += 1
            continue
        if fired is not None:
            report.fired.append(fired.step_id)
    report.seconds = time.perf_counter() - started
    return report

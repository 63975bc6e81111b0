"""The price watcher: one batched cycle fires every take-profit step whose target is reached.

A cycle (run every PRICE_POLL_SECONDS by `jobs.watch.watch_prices`):
1. the distinct assets that have pending steps (one indexed query);
2. their prices in ONE provider call (one upstream request per cache period, stale ones
   dropped: a stale price never triggers);
3. the pending steps of active strategies with `target_price <= last` of their asset, through
   the (asset, state, target_price) index (one range per asset, batched into few statements),
   lowest target first: a price that jumped past several steps fires each, in order;
4. each step fires exactly once (SPEC §6): a Redis lock `step:{id}` (SET NX EX) so workers
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
from decimal import Decimal
from functools import lru_cache
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import bindparam, exists, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from exstrat_app.infra.db.types import Money, utcnow
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.models import Notification, Strategy, StrategyExecution, StrategyStep
from exstrat_app.services.notifications.delivery import enqueue_email
from exstrat_app.services.notifications.push import publish_alert
from exstrat_app.services.notifications.wording import (
    KIND_STEP_TRIGGERED,
    alert_body,
    alert_facts,
    alert_title,
)
from exstrat_app.services.portfolio.prices import PriceProvider, Quote
from exstrat_app.services.strategies.inputs import QUOTE
from exstrat_app.services.strategies.queries import step_count

log = logging.getLogger(__name__)

STEP_LOCK_SECONDS = 30
CROSS_CHUNK = 100  # assets per crossed-steps statement (2 parameters each)


@dataclass(frozen=True)
class Candidate:
    step_id: str
    strategy_id: str
    asset: str
    position: int
    target_price: Decimal


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


# ---------------------------------------------------------------- queries


def watched_assets(session: Session) -> list[str]:
    """Assets with at least one pending step of an active strategy."""
    active = (
        select(Strategy.id)
        .where(col(Strategy.id) == col(StrategyStep.strategy_id), Strategy.status == "active")
        .exists()
    )
    query = select(StrategyStep.asset).where(StrategyStep.state == "pending", active).distinct()
    return sorted(session.exec(query))


def crossed_steps(session: Session, last_prices: Mapping[str, Decimal]) -> list[Candidate]:
    """Pending steps of active strategies whose target is at or below their asset's last price,
    per asset lowest target first.

    Each asset is one `asset = :a AND target_price <= :last` range on the (asset, state,
    target_price) index; up to CROSS_CHUNK of them go in one statement as an OR, which SQLite
    and PostgreSQL both answer with one index range per asset (a query per asset costs ~10 x
    more in round trips at 500 assets). On SQLite the Money column is an order-preserving text,
    so the comparison is exact there too.
    """
    items = sorted(last_prices.items())
    found: list[Candidate] = []
    for start in range(0, len(items), CROSS_CHUNK):
        found += _crossed_chunk(session, items[start : start + CROSS_CHUNK])
    return sorted(found, key=lambda c: (c.asset, c.target_price, c.position))


def _crossed_chunk(session: Session, items: list[tuple[str, Decimal]]) -> list[Candidate]:
    params: dict[str, Any] = {}
    for i, (asset, last) in enumerate(items):
        params[f"a{i}"], params[f"p{i}"] = asset, last
    return [Candidate(*row) for row in session.execute(_crossed_query(len(items)), params)]


@lru_cache(maxsize=8)
def _crossed_query(n: int) -> Any:
    """The statement for `n` assets, with bound parameters a0/p0 … (built once per size:
    building 100 OR-ed expressions every cycle cost more than running them)."""
    ranges = [
        (col(StrategyStep.asset) == bindparam(f"a{i}"))
        & (col(StrategyStep.target_price) <= bindparam(f"p{i}", type_=Money()))
        for i in range(n)
    ]
    return (
        select(
            StrategyStep.id,
            StrategyStep.strategy_id,
            StrategyStep.asset,
            StrategyStep.position,
            StrategyStep.target_price,
        )
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(StrategyStep.state == "pending", Strategy.status == "active", or_(*ranges))
    )


# ---------------------------------------------------------------- firing


def trigger_step(
    engine: Engine, redis: Redis, step_id: str, quote: Quote, *, public_url: str
) -> Fired | None:
    """Fire one step if nobody else has: lock, conditional update, rows, commit, then notify.
    `public_url` is the site's address, for the link in the alert.

    Returns what was fired, or None if another worker holds/fired it, its strategy is not
    active any more, or the price is below its target.
    """
    lock_key = f"step:{step_id}"
    token = acquire_lock(redis, lock_key, STEP_LOCK_SECONDS)
    if token is None:
        return None
    try:
        fired = _fire_in_transaction(engine, step_id, quote, public_url=public_url)
    finally:
        try:
            release_lock(redis, lock_key, token)
        except RedisError:  # it expires anyway; the DB condition still guards the step
            log.warning("could not release %s", lock_key)
    if fired is not None:
        after_commit(redis, fired)
    return fired


def _fire_in_transaction(
    engine: Engine, step_id: str, quote: Quote, *, public_url: str
) -> Fired | None:
    with Session(engine, expire_on_commit=False) as session:
        if not _claim(session, step_id, quote):
            session.rollback()
            return None
        step = session.get(StrategyStep, step_id)
        assert step is not None
        strategy = session.get(Strategy, step.strategy_id)
        assert strategy is not None
        notification = _record(session, strategy, step, quote.price, public_url=public_url)
        session.commit()
        return Fired(
            step_id=step.id,
            strategy_id=strategy.id,
            user_id=strategy.user_id,
            notification_id=notification.id,
            notify_email=strategy.notify_email,
            notify_in_app=strategy.notify_in_app,
            notification=notification,
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
            strategy_active,
        )
        .values(state="triggered", triggered_at=utcnow(), triggered_price=quote.price)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _record(
    session: Session, strategy: Strategy, step: StrategyStep, price: Decimal, *, public_url: str
) -> Notification:
    facts = alert_facts(
        strategy,
        step,
        step_total=step_count(session, strategy.id),
        last_price=price,
        public_url=public_url,
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
        body=alert_body(facts),
        in_app=strategy.notify_in_app,
        email_status="pending" if strategy.notify_email else "skipped",
    )
    session.add(notification)
    return notification


def after_commit(redis: Redis, fired: Fired) -> None:
    """Push and email, each best effort: the alert is already safely in the database."""
    if fired.notify_in_app:
        try:
            publish_alert(redis, user_id=fired.user_id, notification=fired.notification)
        except (RedisError, ValueError):
            log.warning("live push failed for notification %s", fired.notification_id)
    if fired.notify_email:
        enqueue_email(redis, fired.notification_id)


# ---------------------------------------------------------------- the cycle


def run_watch_cycle(
    engine: Engine, redis: Redis, *, provider: PriceProvider, public_url: str
) -> CycleReport:
    """One cycle. It owns its short transactions by design (the exactly-once rule needs each
    step's claim committed on its own), so it takes the engine, not a session."""
    started = time.perf_counter()
    report = CycleReport()
    with Session(engine) as session:
        assets = watched_assets(session)
    report.assets = len(assets)
    if not assets:
        report.seconds = time.perf_counter() - started
        return report
    # No transaction stays open across the (possibly slow) upstream request.
    quotes = provider.last_prices(assets, QUOTE)
    report.priced = len(quotes)
    with Session(engine) as session:
        candidates = crossed_steps(session, {a: q.price for a, q in quotes.items()})
    report.candidates = len(candidates)
    for candidate in candidates:
        try:
            fired = trigger_step(
                engine, redis, candidate.step_id, quotes[candidate.asset], public_url=public_url
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

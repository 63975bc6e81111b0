"""One order per triggered step, exactly once.

`execute_step` runs in the `place-order-{step}` job the watcher enqueues after a step of a
`confirm` or `auto` strategy fires (and again after a confirmation):
1. the order row, one per step (unique `step_id`): `awaiting_confirmation` (confirm mode,
   valid CONFIRM_MINUTES) or `pending` (auto);
2. the claim, like the alert's: a Redis lock `order:{step}` so workers don't pile up, AND a
   conditional `UPDATE orders SET status='sending' WHERE status='pending'` only one
   transaction wins; in the same transaction the guardrails (kill switch, daily cap, under a
   per-user lock so two steps cannot both fit under the cap) and paper mode (filled at the
   trigger price, no exchange call);
3. outside any transaction: the trading key re-checked with the exchange, the market rules
   and the free balance, the plan (`sizing`), the limit sell with a client order id derived
   from the step id. A lost answer (timeout) is never simply re-sent: the order is first
   looked up by that id, and sent again only if the exchange never took it;
4. the outcome and every request/response (`OrderAudit`, no secrets) in one transaction; a
   filled order marks the step `done` and writes the `order` execution row. A failure leaves
   the step `triggered` with the reason in words (the alert went out already).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.infra.queue import ORDER_JOB, ORDER_QUEUE, enqueue_unique, safe_job_id
from exstrat_app.models import (
    Notification,
    Order,
    Strategy,
    StrategyStep,
    TradingKey,
)
from exstrat_app.services.execution import guardrails
from exstrat_app.services.execution.eur_market import eur_sale_problem
from exstrat_app.services.execution.exchange_side import (
    InstanceFactory,
    Sent,
    default_instance,
    instance_for,
    send_to_exchange,
)
from exstrat_app.services.execution.records import apply_state, audit, mark_filled
from exstrat_app.services.execution.trading_keys import (
    mark_checked,
)
from exstrat_app.services.notifications.push import publish_alert
from exstrat_app.services.notifications.wording import (
    confirm_body,
    confirm_title,
    recipient_locale,
)

log = logging.getLogger(__name__)

CONFIRM_MINUTES = 15
ORDER_LOCK_SECONDS = 60
USER_LOCK_SECONDS = 30
MODES = ("alert", "confirm", "auto")
KIND_ORDER_CONFIRM = "order_confirm"  # the notification asking "Sell 0.8 ETH now"
# Builds the ccxt instance of an exchange for a trading key (tests hand in their own).


def client_order_id(step_id: str) -> str:
    """The exchange-side id of a step's order: the same on every retry (Binance allows
    36 of [A-Za-z0-9-_], Coinbase any string)."""
    return f"xs-{step_id}"[:36]


def enqueue_step_order(redis: Redis, step_id: str, *, confirmed: bool = False) -> None:
    """Queue the step's placement (one job per step and phase at a time), best effort: the
    lifecycle job picks up any `pending` order whose job was lost.

    A confirmation queues under its own id: the trigger's job (which only created the order
    awaiting confirmation) stays in Redis as a finished job for its result TTL, and a second
    job under its id would be refused as a duplicate, leaving the confirmed order unsent
    until the lifecycle job's next pass. Placing twice is impossible either way: the order
    row's conditional update (`pending` -> sending) lets one job through."""
    phase = "place-confirmed" if confirmed else "place-order"
    try:
        enqueue_unique(
            ORDER_QUEUE, ORDER_JOB, step_id, job_id=safe_job_id(phase, step_id),
            connection=redis, timeout=300,
        )  # fmt: skip
    except RedisError:
        log.warning("could not enqueue the order of step %s", step_id)


@dataclass(frozen=True)
class Outcome:
    """What `execute_step` did: the order's status (None: nothing to do) and its reason."""

    status: str | None
    reason: str | None = None
    acted: bool = False  # this call placed (or paper-filled, or stopped) the order


# ---------------------------------------------------------------- 1. the order row


def ensure_order(session: Session, step: StrategyStep, strategy: Strategy) -> Order | None:
    """The step's order row, created on first call in the state its strategy's mode asks for
    (None for `alert`, or a step that has not triggered)."""
    existing = session.exec(select(Order).where(Order.step_id == step.id)).first()
    if existing is not None or strategy.execution_mode not in ("confirm", "auto"):
        return existing
    if step.state != "triggered" or step.triggered_price is None:
        return None
    confirm = strategy.execution_mode == "confirm"
    order = Order(
        user_id=strategy.user_id,
        strategy_id=strategy.id,
        step_id=step.id,
        exchange_account_id=strategy.exchange_account_id,
        client_order_id=client_order_id(step.id),
        symbol=f"{strategy.asset}/{strategy.quote}",
        status="awaiting_confirmation" if confirm else "pending",
        qty=step.qty_to_sell,
        price=max(step.target_price, step.triggered_price),
        trigger_price=step.triggered_price,
        confirm_by=utcnow() + timedelta(minutes=CONFIRM_MINUTES) if confirm else None,
    )
    session.add(order)
    session.flush()
    return order


def confirm_notification(order: Order, asset: str, *, locale: str | None = None) -> Notification:
    """The confirm-mode alert: "Sell 0.8 ETH now", valid until `confirm_by`, in the words of
    its recipient's language (`locale`)."""
    qty, limit = order.qty or Decimal(0), order.price or order.trigger_price
    quote = order.symbol.partition("/")[2]
    return Notification(
        user_id=order.user_id,
        kind=KIND_ORDER_CONFIRM,
        strategy_id=order.strategy_id,
        step_id=order.step_id,
        title=confirm_title(qty, asset, locale=locale),
        body=confirm_body(qty, asset, limit, quote, minutes=CONFIRM_MINUTES, locale=locale),
        in_app=True,
        email_status="skipped",
    )


def _ensure_committed(engine: Engine, redis: Redis, step_id: str) -> None:
    with Session(engine, expire_on_commit=False) as session:
        step = session.get(StrategyStep, step_id)
        strategy = session.get(Strategy, step.strategy_id) if step else None
        if step is None or strategy is None:
            return
        had = session.exec(select(Order.id).where(Order.step_id == step_id)).first()
        notification = None
        try:
            order = ensure_order(session, step, strategy)
            if had is None and order is not None and order.status == "awaiting_confirmation":
                notification = confirm_notification(
                    order, strategy.asset, locale=recipient_locale(session, strategy.user_id)
                )
                session.add(notification)
            session.commit()
        except IntegrityError:  # another worker created it first: theirs stands
            session.rollback()
            return
    if notification is not None:
        try:
            publish_alert(redis, user_id=notification.user_id, notification=notification)
        except (RedisError, ValueError):
            log.warning("live push failed for the confirmation of step %s", step_id)


# ---------------------------------------------------------------- 2. the claim


def _claim(session: Session, order: Order, *, paper: bool) -> bool:
    result = session.execute(
        update(Order)
        .where(col(Order.id) == order.id, col(Order.status) == "pending")
        .values(status="filled" if paper else "sending", paper=paper, updated_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _claim_in_transaction(engine: Engine, redis: Redis, step_id: str) -> Order | Outcome:
    """The claimed order (status `sending`), or the Outcome when nothing is to be sent."""
    with Session(engine, expire_on_commit=False) as session:
        order = session.exec(select(Order).where(Order.step_id == step_id)).first()
        if order is None or order.status != "pending":
            return Outcome(order.status if order else None)
        strategy = session.get(Strategy, order.strategy_id)
        assert strategy is not None
        if (problem := eur_sale_problem(strategy)) is not None:  # no ASSET/EUR to sell on
            return _refuse(session, order, problem)
        user_lock = redis.lock(
            f"orders-user:{order.user_id}", timeout=USER_LOCK_SECONDS, blocking_timeout=10
        )
        with user_lock:
            value = (order.qty or Decimal(0)) * (order.price or order.trigger_price)
            paper = strategy.paper or guardrails.settings_row(session, order.user_id).paper
            stop = None if paper else guardrails.stop_reason(session, order.user_id, value)
            if stop is not None:
                session.execute(
                    update(Order)
                    .where(col(Order.id) == order.id, col(Order.status) == "pending")
                    .values(status="stopped", reason=stop, updated_at=utcnow())
                )
                session.commit()
                return Outcome("stopped", stop, acted=True)
            if not _claim(session, order, paper=paper):
                session.rollback()
                return Outcome(None)
            if paper:
                _paper_fill(session, order)
            session.commit()
        return Outcome("filled", acted=True) if paper else order


def _refuse(session: Session, order: Order, reason: str) -> Outcome:
    """The order fails before anything is sent (nor simulated), with the reason in words."""
    session.execute(
        update(Order)
        .where(col(Order.id) == order.id, col(Order.status) == "pending")
        .values(status="failed", reason=reason, updated_at=utcnow())
    )
    session.commit()
    return Outcome("failed", reason, acted=True)


def _paper_fill(session: Session, order: Order) -> None:
    """Paper mode: filled in full at the trigger price; the exchange is never called."""
    session.refresh(order)
    order.price = order.trigger_price
    order.filled_qty = order.qty or Decimal(0)
    order.avg_fill_price = order.trigger_price
    order.reason = N_("Paper mode: simulated at the trigger price, nothing was sent.")
    audit(session, order, xa.Wire("paper", "{}", '{"simulated": true}', True))
    mark_filled(session, order)


# ---------------------------------------------------------------- 4. the outcome


def _record(engine: Engine, order_id: str, sent: Sent, wires: list[xa.Wire]) -> Outcome:
    with Session(engine, expire_on_commit=False) as session:
        order = session.get(Order, order_id)
        assert order is not None
        for wire in wires:
            audit(session, order, wire)
        if sent.plan_qty is not None:
            order.qty, order.price = sent.plan_qty, sent.plan_price
        if sent.state is not None:
            order.sent_at = utcnow()
            order.reason = None
            apply_state(session, order, sent.state)
        elif sent.unknown:
            order.reason = sent.failure  # stays `sending`: the lifecycle job looks it up
        else:
            order.status, order.reason = "failed", sent.failure
        if sent.key_problem is not None and order.exchange_account_id:
            key = session.exec(
                select(TradingKey).where(
                    TradingKey.exchange_account_id == order.exchange_account_id
                )
            ).first()
            if key is not None:
                mark_checked(key, sent.key_problem)
                session.add(key)
        order.updated_at = utcnow()
        session.add(order)
        session.commit()
        return Outcome(order.status, order.reason, acted=sent.state is not None)


# ---------------------------------------------------------------- the job's entry point


def execute_step(
    engine: Engine,
    redis: Redis,
    box: SecretBox,
    step_id: str,
    *,
    make_instance: InstanceFactory = default_instance,
) -> Outcome:
    """Create the step's order if its mode asks for one, then place it if it is `pending`."""
    _ensure_committed(engine, redis, step_id)
    lock_key = f"order:{step_id}"
    token = acquire_lock(redis, lock_key, ORDER_LOCK_SECONDS)
    if token is None:
        return Outcome(None)  # another worker is on it
    try:
        claimed = _claim_in_transaction(engine, redis, step_id)
        if isinstance(claimed, Outcome):
            return claimed
        return send_claimed(engine, redis, box, claimed, make_instance=make_instance)
    finally:
        try:
            release_lock(redis, lock_key, token)
        except RedisError:
            log.warning("could not release %s", lock_key)


def send_claimed(
    engine: Engine,
    redis: Redis,
    box: SecretBox,
    order: Order,
    *,
    make_instance: InstanceFactory = default_instance,
) -> Outcome:
    """Send a claimed (`sending`) order and record what happened."""
    wires: list[xa.Wire] = []
    with Session(engine, expire_on_commit=False) as session:
        instance, exchange, _key, problem = instance_for(session, order, box, make_instance)
    if instance is None:
        return _record(engine, order.id, Sent(failure=problem), wires)
    try:
        sent = send_to_exchange(instance, order, exchange, redis, wires)
    except xa.ExchangeError as exc:  # balance or markets unreadable: nothing was sent
        sent = Sent(failure=exc.message)
    return _record(engine, order.id, sent, wires)

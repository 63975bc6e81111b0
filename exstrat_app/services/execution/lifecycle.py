"""After the order is sent: the periodic `track-orders` follows open orders
(open, partially filled, filled, cancelled, expired) and marks the step `done` when filled;
an order left `sending` (answer lost, worker killed) is looked up by its client order id;
a `pending` one whose job was lost is queued again; an unconfirmed one expires.

Confirm mode: `confirm_step` turns the step's `awaiting_confirmation` order into `pending`
within its validity window; the caller commits, then queues the placement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis import Redis
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Order, Strategy
from exstrat_app.services.errors import Conflict, NotFound
from exstrat_app.services.execution.exchange_side import (
    InstanceFactory,
    default_instance,
    instance_for,
)
from exstrat_app.services.execution.placement import ORDER_LOCK_SECONDS, enqueue_step_order
from exstrat_app.services.execution.records import apply_state, audit

log = logging.getLogger(__name__)

FOLLOWED = ("sending", "open", "partially_filled")
EXPIRED_REASON = "Not confirmed within the validity window: nothing was sent."


@dataclass
class TrackReport:
    expired: int = 0
    requeued: int = 0
    checked: int = 0
    filled: list[str] = field(default_factory=list)  # order ids
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "expired": self.expired,
            "requeued": self.requeued,
            "checked": self.checked,
            "filled": len(self.filled),
            "errors": self.errors,
        }


def expire_confirmations(session: Session) -> int:
    result = session.execute(
        update(Order)
        .where(col(Order.status) == "awaiting_confirmation", col(Order.confirm_by) < utcnow())
        .values(status="expired", reason=EXPIRED_REASON, updated_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def track_orders(
    engine: Engine,
    redis: Redis,
    box: SecretBox,
    *,
    make_instance: InstanceFactory = default_instance,
) -> TrackReport:
    """One pass over the orders still moving. Each order in its own short transaction."""
    report = TrackReport()
    with Session(engine, expire_on_commit=False) as session:
        report.expired = expire_confirmations(session)
        session.commit()
        pending = session.exec(select(Order.step_id).where(Order.status == "pending")).all()
        moving = session.exec(select(Order.id).where(col(Order.status).in_(FOLLOWED))).all()
    for step_id in pending:
        enqueue_step_order(redis, step_id)
        report.requeued += 1
    for order_id in moving:
        try:
            if follow_order(engine, redis, box, order_id, make_instance=make_instance):
                report.filled.append(order_id)
            report.checked += 1
        except xa.ExchangeError as exc:
            log.warning("order %s not followed: %s", order_id, exc.message)
            report.errors += 1
    return report


def follow_order(
    engine: Engine,
    redis: Redis,
    box: SecretBox,
    order_id: str,
    *,
    make_instance: InstanceFactory = default_instance,
) -> bool:
    """Ask the exchange how one order stands; True if it is (now) filled."""
    with Session(engine, expire_on_commit=False) as session:
        order = session.get(Order, order_id)
        if order is None or order.status not in FOLLOWED:
            return False
        instance, _exchange, _key, _problem = instance_for(session, order, box, make_instance)
        if instance is None:
            return False
        if order.exchange_order_id:
            state, wire = xa.order_status(instance, order.symbol, order.exchange_order_id)
        else:  # `sending`: the answer was lost or the worker died; did the exchange take it?
            state, wire = xa.find_order(instance, order.symbol, order.client_order_id)
        audit(session, order, wire)
        if state is not None:
            apply_state(session, order, state)
        elif order.updated_at < utcnow() - timedelta(seconds=ORDER_LOCK_SECONDS):
            # Positively never placed and nobody is on it any more: it may be sent again.
            order.status, order.reason = "pending", None
            session.add(order)
        session.commit()
        if order.status == "pending":
            enqueue_step_order(redis, order.step_id)
        return order.status == "filled"


def confirm_step(session: Session, *, user_id: str, strategy_id: str, step_id: str) -> Order:
    """The person confirms "Sell 0.8 ETH now": the order becomes `pending` if still valid.
    NotFound for another user's strategy or a step without an order to confirm; Conflict
    once the window is over or the order has moved on. Caller commits, then enqueues."""
    strategy = session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user_id:
        raise NotFound(N_("No such strategy."))
    order = session.exec(
        select(Order).where(Order.step_id == step_id, Order.strategy_id == strategy_id)
    ).first()
    if order is None:
        raise NotFound(N_("This step has no order waiting for your confirmation."))
    result = session.execute(
        update(Order)
        .where(
            col(Order.id) == order.id,
            col(Order.status) == "awaiting_confirmation",
            col(Order.confirm_by) >= utcnow(),
        )
        .values(status="pending", updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(order)
        if order.status in ("awaiting_confirmation", "expired"):
            raise Conflict(N_("This sale can no longer be confirmed: its 15 minutes are over."))
        raise Conflict(N_("This order is already {status}.", status=order.status.replace("_", " ")))
    session.refresh(order)
    return order

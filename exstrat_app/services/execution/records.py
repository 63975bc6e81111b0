"""The order's rows: its audit trail (every request and answer, no secrets), the exchange's
view applied to it, and the filled order's consequences (the step done, the `order`
execution row). The caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Order, OrderAudit, StrategyExecution, StrategyStep


def audit(session: Session, order: Order, wire: xa.Wire) -> None:
    session.add(
        OrderAudit(
            order_id=order.id, user_id=order.user_id, action=wire.action,
            request=wire.request, response=wire.response, ok=wire.ok,
        )
    )  # fmt: skip


def mark_filled(session: Session, order: Order) -> None:
    """The step is done and its `order` execution row written (one per step, ever)."""
    now = utcnow()
    order.status = "filled"
    order.updated_at = now
    session.add(order)
    session.execute(
        update(StrategyStep)
        .where(col(StrategyStep.id) == order.step_id, col(StrategyStep.state) == "triggered")
        .values(state="done", done_at=now)
    )
    session.add(
        StrategyExecution(
            strategy_id=order.strategy_id,
            step_id=order.step_id,
            executed_qty=order.filled_qty,
            price=order.avg_fill_price or order.price or order.trigger_price,
            execution_type="order",
            status="filled",
        )
    )


def apply_state(session: Session, order: Order, state: xa.OrderState) -> None:
    """The exchange's view of the order onto its row (filled -> the step is done)."""
    order.exchange_order_id = state.exchange_order_id
    order.filled_qty = state.filled
    order.avg_fill_price = state.average
    order.updated_at = utcnow()
    if state.status == "filled" and order.status != "filled":
        mark_filled(session, order)
    elif state.status != "filled":
        if state.status in ENDED and order.status != state.status:
            order.reason = ended_reason(order, state)
        order.status = state.status
    session.add(order)


ENDED = ("cancelled", "expired", "rejected")
# (how it ended, by whom) -> the words, whole (word order and agreement differ by language).
ENDINGS = {
    ("cancelled", "on the exchange"): N_("Cancelled on the exchange"),
    ("expired", "on the exchange"): N_("Expired on the exchange"),
    ("rejected", "on the exchange"): N_("Rejected on the exchange"),
    ("cancelled", "by you"): N_("Cancelled by you"),
    ("expired", "by you"): N_("Expired by you"),
    ("rejected", "by you"): N_("Rejected by you"),
}


def ended_reason(order: Order, state: xa.OrderState, *, by: str = "on the exchange") -> str:
    """Why an order ended unfilled, and what part of it did fill (the step stays triggered).
    `by`: who ended it ("by you" when the person cancelled it from exstrat)."""
    ended = ENDINGS[(state.status, by)]
    if state.filled <= 0:
        return N_("{ended} before anything filled.", ended=ended)
    total = order.qty if order.qty is not None else state.qty
    if state.average is None:
        return N_(
            "{ended} after {filled} of {total} filled.",
            ended=ended, filled=fmt(state.filled), total=fmt(total),
        )  # fmt: skip
    return N_(
        "{ended} after {filled} of {total} filled (avg {average}).",
        ended=ended, filled=fmt(state.filled), total=fmt(total), average=fmt(state.average),
    )  # fmt: skip

"""The person cancels one of their open orders from exstrat (docs/sensitive-changes.md): the
same exchange call on Binance and Coinbase as `infra.exchanges.cancel_order`, the answer in
the order's audit trail, and the order `cancelled` with "Cancelled by you ..." as its reason
(what part had filled, if any; the step stays triggered, as for a cancellation on the
exchange). No password: cancelling only lowers the risk.

Like placing and following an order, the exchange is called outside any transaction and
what it answered is recorded in one, whatever it was (an answer the caller's rollback would
drop must still be in the audit trail): so this takes the engine, not a session.
"""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from sqlmodel import Session

from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import Order
from exstrat_app.services.errors import Conflict, ExchangeUnavailable, NotFound
from exstrat_app.services.execution.exchange_side import (
    InstanceFactory,
    default_instance,
    instance_for,
)
from exstrat_app.services.execution.records import apply_state, audit, ended_reason
from exstrat_app.services.execution.views import OrderView

CANCELLABLE = ("open", "partially_filled")
BY_YOU = "by you"
NOT_OPEN = {
    "awaiting_confirmation": N_(
        "This sale is waiting for your confirmation: nothing was sent, so there is no order "
        "to cancel (leave it unconfirmed and it expires)."
    ),
    "pending": N_("This order is still being sent: cancel it once the exchange has it."),
    "sending": N_("This order is still being sent: cancel it once the exchange has it."),
}
STILL_OPEN = N_(
    "The exchange did not answer: the order may still be open. Try again in a minute, or "
    "cancel it on the exchange."
)


def can_cancel(status: str, exchange_order_id: str | None, paper: bool) -> bool:
    """Whether an order so described rests on its exchange, where exstrat can cancel it."""
    return status in CANCELLABLE and bool(exchange_order_id) and not paper


def not_cancellable(order: Order) -> str | None:
    """Why this order cannot be cancelled from exstrat, in words; None when it can."""
    if can_cancel(order.status, order.exchange_order_id, order.paper):
        return None
    if order.status in NOT_OPEN:
        return NOT_OPEN[order.status]
    if order.status in CANCELLABLE:  # open, but the exchange's id is not known yet
        return NOT_OPEN["sending"]
    status = order.status.replace("_", " ")
    return N_("This order is {status}: only an open order can be cancelled.", status=status)


def cancel_order(
    engine: Engine,
    box: SecretBox,
    *,
    user_id: str,
    order_id: str,
    make_instance: InstanceFactory = default_instance,
) -> OrderView:
    """Cancel the user's open order on the exchange; the order as it now stands. NotFound for
    another user's order; Conflict when it is not open (or filled before the cancel reached
    the exchange, recorded); ExchangeUnavailable when the exchange did not answer."""
    with Session(engine, expire_on_commit=False) as session:
        order = session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise NotFound(N_("No such order."))
        refusal = not_cancellable(order)
        if refusal:
            raise Conflict(refusal)
        instance, _exchange, _key, problem = instance_for(session, order, box, make_instance)
        if instance is None:
            raise Conflict(
                N_("{problem} Cancel the order on the exchange itself.", problem=problem)
            )
    symbol, exchange_id = order.symbol, order.exchange_order_id or ""
    state, wire = xa.cancel_order(instance, symbol, exchange_id)
    wires = [wire]
    if state is None:  # refused or unanswered: did it fill meanwhile, or is it still open?
        try:
            state, wire = xa.order_status(instance, symbol, exchange_id)
            wires.append(wire)
        except xa.ExchangeError as exc:
            request = json.dumps({"symbol": symbol, "id": exchange_id}, sort_keys=True)
            wires.append(xa.Wire("status", request, json.dumps({"error": exc.message}), False))
    view = _record(engine, order_id, wires, state)
    if state is None:
        raise ExchangeUnavailable(STILL_OPEN)
    if view.status != "cancelled":
        raise Conflict(not_cancellable_after(view.status))
    return view


def not_cancellable_after(status: str) -> str:
    if status == "filled":
        return N_("This order filled before the cancellation reached the exchange.")
    return N_(
        "The exchange did not cancel this order: it is {status}.", status=status.replace("_", " ")
    )


def _record(
    engine: Engine, order_id: str, wires: list[xa.Wire], state: xa.OrderState | None
) -> OrderView:
    """The exchange's answers in the audit trail and its view of the order on the row."""
    with Session(engine, expire_on_commit=False) as session:
        order = session.get(Order, order_id)
        if order is None:  # its strategy was deleted meanwhile: nothing left to record on
            raise NotFound(N_("No such order."))
        for wire in wires:
            audit(session, order, wire)
        if state is not None:
            apply_state(session, order, state)
            if state.status == "cancelled":
                order.reason = ended_reason(order, state, by=BY_YOU)
                session.add(order)
        session.commit()
        return OrderView.of(order)

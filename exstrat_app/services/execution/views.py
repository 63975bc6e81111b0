"""Orders and their audit rows as typed views (frozen dataclasses of Decimals), scoped to the
user: another user's order is "not found". The API writes them as JSON, states format them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.models import Order, OrderAudit
from exstrat_app.services.errors import NotFound

MAX_ORDERS = 200


@dataclass(frozen=True)
class OrderView:
    id: str
    strategy_id: str
    step_id: str
    symbol: str
    side: str
    status: str
    paper: bool
    qty: Decimal | None
    price: Decimal | None
    filled_qty: Decimal
    avg_fill_price: Decimal | None
    trigger_price: Decimal
    exchange_order_id: str | None
    reason: str | None
    confirm_by: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, o: Order) -> OrderView:
        return cls(
            id=o.id, strategy_id=o.strategy_id, step_id=o.step_id, symbol=o.symbol, side=o.side,
            status=o.status, paper=o.paper, qty=o.qty, price=o.price, filled_qty=o.filled_qty,
            avg_fill_price=o.avg_fill_price, trigger_price=o.trigger_price,
            exchange_order_id=o.exchange_order_id, reason=o.reason, confirm_by=o.confirm_by,
            created_at=o.created_at, updated_at=o.updated_at,
        )  # fmt: skip


@dataclass(frozen=True)
class AuditView:
    action: str
    request: str
    response: str
    ok: bool
    at: datetime


def list_orders(
    session: Session, *, user_id: str, strategy_id: str | None = None, limit: int = MAX_ORDERS
) -> list[OrderView]:
    """The user's orders, newest first (at most `limit`)."""
    query = select(Order).where(Order.user_id == user_id)
    if strategy_id is not None:
        query = query.where(Order.strategy_id == strategy_id)
    query = query.order_by(col(Order.created_at).desc(), col(Order.id)).limit(limit)
    return [OrderView.of(o) for o in session.exec(query)]


def order_audit(session: Session, *, user_id: str, order_id: str) -> list[AuditView]:
    """Every request sent for one of the user's orders and its answer, oldest first."""
    order = session.get(Order, order_id)
    if order is None or order.user_id != user_id:
        raise NotFound(N_("No such order."))
    query = (
        select(OrderAudit)
        .where(OrderAudit.order_id == order_id)
        .order_by(col(OrderAudit.at), col(OrderAudit.id))
    )
    return [AuditView(a.action, a.request, a.response, a.ok, a.at) for a in session.exec(query)]

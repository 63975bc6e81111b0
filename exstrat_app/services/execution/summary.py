"""What the strategy page shows of a strategy's order execution, in one read: its mode and
paper flag, the trading key status of its exchange account, its orders (one per step) and
each order's audit trail. Scoped to the user: another user's strategy is "not found"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from exstrat_app.i18n import N_
from exstrat_app.models import Strategy
from exstrat_app.services.errors import NotFound
from exstrat_app.services.execution.trading_keys import TradingKeyView, trading_key_of, view_of
from exstrat_app.services.execution.views import AuditView, OrderView, list_orders, order_audit


@dataclass(frozen=True)
class ExecutionSummary:
    strategy_id: str
    mode: str  # alert | confirm | auto
    paper: bool
    account_id: str | None
    key: TradingKeyView | None  # None: the account has no trading key (or no account)
    orders: tuple[OrderView, ...]  # newest first
    audit: dict[str, tuple[AuditView, ...]]  # order id -> its rows, oldest first


def execution_summary(session: Session, *, user_id: str, strategy_id: str) -> ExecutionSummary:
    strategy = session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user_id:
        raise NotFound(N_("No such strategy."))
    account_id = strategy.exchange_account_id
    row = trading_key_of(session, account_id) if account_id else None
    orders = tuple(list_orders(session, user_id=user_id, strategy_id=strategy_id))
    audit = {o.id: tuple(order_audit(session, user_id=user_id, order_id=o.id)) for o in orders}
    return ExecutionSummary(
        strategy_id=strategy.id,
        mode=strategy.execution_mode,
        paper=strategy.paper,
        account_id=account_id,
        key=view_of(row) if row else None,
        orders=orders,
        audit=audit,
    )

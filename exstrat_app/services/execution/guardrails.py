"""The user's guardrails: a kill switch that stops all execution in one click, a daily cap on
the value sold (in the quote currency, per UTC day), and global paper mode (fills simulated
at the trigger price, no exchange call). A person's change goes through `with_password`
(the password first). The caller owns the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from sqlmodel import Session, col, select

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import ExecutionSettings, Order
from exstrat_app.services.errors import InvalidInput

# Orders whose value counts against the cap: sent, or being sent (paper ones never do).
COUNTED = ("sending", "open", "partially_filled", "filled")
KILLED = N_("Stopped: the kill switch is on (Settings, Orders). Turn it off to trade again.")


@dataclass(frozen=True)
class GuardrailsView:
    kill_switch: bool
    daily_cap: Decimal | None
    paper: bool
    sold_today: Decimal


def settings_row(session: Session, user_id: str) -> ExecutionSettings:
    """The user's row, or unsaved defaults (kill switch off, no cap, not paper)."""
    row = session.get(ExecutionSettings, user_id)
    return row if row is not None else ExecutionSettings(user_id=user_id)


def sold_today(session: Session, user_id: str, now: datetime | None = None) -> Decimal:
    """Value of today's real (not paper) orders, in Python: money is never summed in SQL."""
    now = now or utcnow()
    midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    rows = session.exec(
        select(Order.qty, Order.price).where(
            Order.user_id == user_id,
            col(Order.created_at) >= midnight,
            col(Order.status).in_(COUNTED),
            Order.paper == False,  # noqa: E712 (SQL, not Python)
        )
    )
    return sum((q * p for q, p in rows if q is not None and p is not None), Decimal(0))


def stop_reason(
    session: Session, user_id: str, value: Decimal, now: datetime | None = None
) -> str | None:
    """Why an order worth `value` must not be sent now (kill switch, cap); None: go."""
    row = settings_row(session, user_id)
    if row.kill_switch:
        return KILLED
    if row.daily_cap is not None:
        sold = sold_today(session, user_id, now)
        if sold + value > row.daily_cap:
            return N_(
                "Stopped: this order ({value}) would take today's sales to {total}, over your "
                "daily cap of {cap}.",
                value=fmt(value),
                total=fmt(sold + value),
                cap=fmt(row.daily_cap),
            )
    return None


def update_guardrails(
    session: Session,
    user_id: str,
    *,
    kill_switch: bool | None = None,
    daily_cap: Decimal | str | None = "keep",
    paper: bool | None = None,
) -> GuardrailsView:
    """Change the given guardrails (`daily_cap=None` removes the cap). Caller commits."""
    row = session.get(ExecutionSettings, user_id) or ExecutionSettings(user_id=user_id)
    if kill_switch is not None:
        row.kill_switch = kill_switch
    if daily_cap != "keep":
        if isinstance(daily_cap, Decimal) and daily_cap <= 0:
            raise InvalidInput(
                N_("The daily cap must be above 0."), fields={"dailyCap": N_("Above 0.")}
            )
        row.daily_cap = daily_cap if isinstance(daily_cap, Decimal) else None
    if paper is not None:
        row.paper = paper
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return view(session, user_id)


def view(session: Session, user_id: str) -> GuardrailsView:
    row = settings_row(session, user_id)
    return GuardrailsView(row.kill_switch, row.daily_cap, row.paper, sold_today(session, user_id))

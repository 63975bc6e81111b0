"""How each confirm-mode alert stands: the order of its step, read with the feed.

The bell shows, per "Sell 0.8 ETH now" alert, "Confirm (N min left)" while the validity
window is open, "expired" after, and "confirmed" or the order's state once acted on. This
reads the orders' status and `confirm_by` in the same unit of work as the feed; `confirm_text`
turns one into words (pure, so the wording is tested at any clock time).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Order

CONFIRMED = ("pending", "sending")  # accepted by the person, not yet on the exchange


@dataclass(frozen=True)
class ConfirmStatus:
    status: str  # the order's status (models/orders.py)
    confirm_by: datetime | None


@dataclass(frozen=True)
class ConfirmText:
    text: str  # "Confirm (12 min left)", "expired", "confirmed", "filled", ...
    can_confirm: bool  # the Confirm button is shown


def confirm_statuses(
    session: Session, *, user_id: str, step_ids: Iterable[str]
) -> dict[str, ConfirmStatus]:
    """The status and validity window of the user's orders for these steps, by step id."""
    wanted = sorted({s for s in step_ids if s})
    if not wanted:
        return {}
    query = select(Order.step_id, Order.status, Order.confirm_by).where(
        Order.user_id == user_id, col(Order.step_id).in_(wanted)
    )
    return {step: ConfirmStatus(status, by) for step, status, by in session.exec(query)}


def confirm_text(status: ConfirmStatus | None, now: datetime) -> ConfirmText:
    """The words the bell shows for one confirm alert at `now` (an aware UTC time)."""
    if status is None:  # no order (yet) for the step: nothing to confirm
        return ConfirmText("", False)
    if status.status == "awaiting_confirmation":
        if status.confirm_by is None or status.confirm_by <= now:
            return ConfirmText(N_("expired"), False)  # lifecycle.expire_confirmations is periodic
        minutes = max(1, math.ceil((status.confirm_by - now).total_seconds() / 60))
        return ConfirmText(N_("Confirm ({minutes} min left)", minutes=minutes), True)
    if status.status in CONFIRMED:
        return ConfirmText(N_("confirmed"), False)
    return ConfirmText(status.status.replace("_", " "), False)


def confirm_texts(
    session: Session, *, user_id: str, step_ids: Iterable[str], now: datetime | None = None
) -> dict[str, ConfirmText]:
    """`confirm_text` of every given step's order at `now` (default: the clock), by step id;
    a step without an order gets the empty text."""
    wanted = list(step_ids)
    statuses = confirm_statuses(session, user_id=user_id, step_ids=wanted)
    at = now or utcnow()
    return {step: confirm_text(statuses.get(step), at) for step in wanted}

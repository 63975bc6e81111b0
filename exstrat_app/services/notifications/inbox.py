"""Alert notifications: their wording, the in-app list (read/unread) and email delivery.

A step that triggers gets one `Notification` row (unique per step and kind), written in the
same transaction as the step's state change. Email is delivered later by an RQ job
(`jobs.notify.send_notification_email`) that may be retried; whatever happens to the email,
the in-app row stays. `email_status`: pending -> sent | failed (after the last retry), or
skipped when the strategy does not want email; `email_attempts` counts every try.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from exstrat_app.domain.money import fmt
from exstrat_app.infra.db.types import quantize_money, utcnow
from exstrat_app.models import Notification, Strategy, StrategyStep, User
from exstrat_app.services.errors import NotFound
from exstrat_app.settings import get_settings

KIND_STEP_TRIGGERED = "step_triggered"
# An email job's retries (RQ `Retry` intervals, seconds) and the tries an email gets in all,
# however many times its job is enqueued (the sweeper re-enqueues lost ones).
EMAIL_RETRY_INTERVALS = [5, 15, 60, 300, 900]
MAX_EMAIL_TRIES = 1 + len(EMAIL_RETRY_INTERVALS)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


# ---------------------------------------------------------------- wording


@dataclass(frozen=True)
class AlertFacts:
    """Everything an alert says, from the strategy, the step and the price that crossed."""

    asset: str
    quote: str
    strategy_id: str
    step_number: int  # 1-based, as people count
    step_total: int
    target_pct: Decimal
    target_price: Decimal
    last_price: Decimal
    qty_to_sell: Decimal
    link: str


def alert_facts(
    strategy: Strategy, step: StrategyStep, *, step_total: int, last_price: Decimal
) -> AlertFacts:
    base = get_settings().public_url.rstrip("/")
    return AlertFacts(
        asset=strategy.asset,
        quote=strategy.quote,
        strategy_id=strategy.id,
        step_number=step.position + 1,
        step_total=step_total,
        target_pct=step.target_pct,
        target_price=step.target_price,
        last_price=last_price,
        qty_to_sell=step.qty_to_sell,
        link=f"{base}/strategies/{strategy.id}",
    )


def _m(value: Decimal) -> str:
    return fmt(quantize_money(value))


def alert_title(f: AlertFacts) -> str:
    step = f"step {f.step_number} of {f.step_total}"
    return f"{f.asset} reached {step}: sell {_m(f.qty_to_sell)} {f.asset}"


def alert_body(f: AlertFacts) -> str:
    return (
        f"{f.asset}/{f.quote} is at {_m(f.last_price)} {f.quote}, at or above the target of "
        f"step {f.step_number} of {f.step_total} ({_m(f.target_price)} {f.quote}, "
        f"+{fmt(f.target_pct)} %). Quantity to sell: {_m(f.qty_to_sell)} {f.asset}. {f.link}"
    )


def email_text(f: AlertFacts) -> str:
    return (
        f"Your take-profit ladder on {f.asset} reached a step.\n"
        f"\n"
        f"Asset:            {f.asset}\n"
        f"Step:             {f.step_number} of {f.step_total} (+{fmt(f.target_pct)} %)\n"
        f"Target price:     {_m(f.target_price)} {f.quote}\n"
        f"Last price:       {_m(f.last_price)} {f.quote}\n"
        f"Quantity to sell: {_m(f.qty_to_sell)} {f.asset}\n"
        f"\n"
        f"Open the strategy: {f.link}\n"
        f"\n"
        f"exstrat never places orders: sell on your exchange, then mark the step as done.\n"
    )


# ---------------------------------------------------------------- in-app list


def notification_json(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "strategyId": n.strategy_id,
        "stepId": n.step_id,
        "read": n.read_at is not None,
        "readAt": n.read_at.isoformat() if n.read_at else None,
        "createdAt": n.created_at.isoformat(),
        "emailStatus": n.email_status,
    }


def _visible(user_id: str) -> Any:
    return (col(Notification.user_id) == user_id) & (col(Notification.in_app).is_(True))


def unread_count(session: Session, *, user_id: str) -> int:
    query = (
        select(func.count())
        .select_from(Notification)
        .where(_visible(user_id), col(Notification.read_at).is_(None))
    )
    return int(session.exec(query).one())


def list_notifications(
    session: Session, *, user_id: str, limit: int = DEFAULT_LIMIT
) -> list[Notification]:
    """The user's in-app notifications, newest first (at most `limit`, capped at MAX_LIMIT)."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = session.exec(
        select(Notification)
        .where(_visible(user_id))
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    return list(rows)


def notifications_page(
    session: Session, *, user_id: str, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """The /api/notifications answer: {"items": newest first, "unread": count}."""
    items = list_notifications(session, user_id=user_id, limit=limit)
    return {
        "items": [notification_json(n) for n in items],
        "unread": unread_count(session, user_id=user_id),
    }


def mark_read(session: Session, *, user_id: str, notification_id: str) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id or not n.in_app:
        raise NotFound("No such notification.")
    if n.read_at is None:
        n.read_at = utcnow()
        session.add(n)
        session.commit()
    return n


def mark_all_read(session: Session, *, user_id: str) -> int:
    result = session.execute(
        update(Notification)
        .where(_visible(user_id), col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- email

Sender = Callable[..., str]


@dataclass(frozen=True)
class EmailContent:
    to: str
    subject: str
    text: str


def email_content(session: Session, n: Notification) -> EmailContent | None:
    """What to send for a notification, rebuilt from the rows (None if its user is gone)."""
    user = session.get(User, n.user_id)
    if user is None:
        return None
    step = session.get(StrategyStep, n.step_id) if n.step_id else None
    strategy = session.get(Strategy, n.strategy_id) if n.strategy_id else None
    if step is None or strategy is None or step.triggered_price is None:
        return EmailContent(to=user.email, subject=n.title, text=f"{n.body}\n")
    total = session.exec(
        select(func.count())
        .select_from(StrategyStep)
        .where(StrategyStep.strategy_id == strategy.id)
    ).one()
    facts = alert_facts(strategy, step, step_total=int(total), last_price=step.triggered_price)
    return EmailContent(to=user.email, subject=alert_title(facts), text=email_text(facts))


def deliver_email(
    notification_id: str,
    *,
    final_attempt: bool,
    engine: Engine | None = None,
    sender: Sender | None = None,
) -> str:
    """Send a notification's email once; returns the resulting email_status.

    The attempt is counted (and committed) before sending, so a crash mid-send still shows.
    On failure the error is re-raised for the job's retry policy; only the final attempt
    marks the notification `failed`. Already sent or skipped: nothing happens (a duplicate
    or late retry never sends twice).
    """
    from exstrat_app.infra.db.engine import session_scope
    from exstrat_app.infra.mail import send_email

    send = sender or send_email
    with session_scope(engine) as session:
        n = session.get(Notification, notification_id)
        if n is None or n.email_status in ("sent", "skipped", "failed"):
            return n.email_status if n else "missing"
        if n.email_attempts >= MAX_EMAIL_TRIES:
            # A requeued job starts a fresh RQ retry budget; the email's own budget is spent.
            n.email_status = "failed"
            session.add(n)
            return "failed"
        n.email_attempts += 1
        session.add(n)
        content = email_content(session, n)
    if content is None:
        _set_email_status(engine, notification_id, "failed")
        return "failed"
    try:
        send(to=content.to, subject=content.subject, text=content.text)
    except Exception:
        if final_attempt:
            _set_email_status(engine, notification_id, "failed")
        raise
    _set_email_status(engine, notification_id, "sent")
    return "sent"


def _set_email_status(engine: Engine | None, notification_id: str, status: str) -> None:
    from exstrat_app.infra.db.engine import session_scope

    with session_scope(engine) as session:
        session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .values(email_status=status)
        )

"""The in-app inbox: a user's notifications (newest first), the unread count, marking read.

Reads return typed views, never ORM rows; writes take the caller's session and do not
commit (the API's session dependency or the Reflex handler's unit of work does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification
from exstrat_app.services.errors import NotFound

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class NotificationView:
    id: str
    kind: str
    title: str
    body: str
    strategy_id: str | None
    step_id: str | None
    read_at: datetime | None
    created_at: datetime
    email_status: str

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True)
class NotificationsPage:
    items: tuple[NotificationView, ...]  # newest first
    unread: int


def notification_view(n: Notification) -> NotificationView:
    return NotificationView(
        id=n.id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        strategy_id=n.strategy_id,
        step_id=n.step_id,
        read_at=n.read_at,
        created_at=n.created_at,
        email_status=n.email_status,
    )


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
) -> list[NotificationView]:
    """The user's in-app notifications, newest first (at most `limit`, capped at MAX_LIMIT)."""
    limit = max(1, min(limit, MAX_LIMIT))
    rows = session.exec(
        select(Notification)
        .where(_visible(user_id))
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    )
    return [notification_view(n) for n in rows]


def notifications_page(
    session: Session, *, user_id: str, limit: int = DEFAULT_LIMIT
) -> NotificationsPage:
    """The newest notifications and the unread count (the /api/notifications answer)."""
    items = list_notifications(session, user_id=user_id, limit=limit)
    return NotificationsPage(items=tuple(items), unread=unread_count(session, user_id=user_id))


def mark_read(session: Session, *, user_id: str, notification_id: str) -> NotificationView:
    """Mark one of the user's notifications read (NotFound for anyone else's)."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id or not n.in_app:
        raise NotFound(N_("No such notification."))
    if n.read_at is None:
        n.read_at = utcnow()
        session.add(n)
        session.flush()
    return notification_view(n)


def mark_all_read(session: Session, *, user_id: str) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = session.execute(
        update(Notification)
        .where(_visible(user_id), col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

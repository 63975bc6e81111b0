"""In-app notifications over HTTP (SPEC §5): list (newest first, unread count) and read.

The bodies are the response models below (camelCase keys, ISO times), built from the inbox's
typed views in one place (`NotificationBody.of`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Self

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep
from exstrat_app.services.notifications import inbox
from exstrat_app.services.notifications.inbox import NotificationView
from exstrat_app.services.notifications.push import publish_read

log = logging.getLogger(__name__)

router = APIRouter(tags=["notifications"])

# A time as `datetime.isoformat()` writes it (the bodies carry the strings, not a re-encoding).
IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class NotificationBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    id: str
    kind: str
    title: str
    body: str
    strategy_id: str | None
    step_id: str | None
    read: bool
    read_at: IsoTime | None
    created_at: IsoTime
    email_status: str  # pending | sent | failed | skipped

    @classmethod
    def of(cls, n: NotificationView, **extra: int) -> Self:
        """The body of a notification (`extra`: the fields a subclass adds)."""
        return cls(
            id=n.id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            strategy_id=n.strategy_id,
            step_id=n.step_id,
            read=n.read,
            read_at=n.read_at.isoformat() if n.read_at else None,
            created_at=n.created_at.isoformat(),
            email_status=n.email_status,
            **extra,
        )


class NotificationsPageBody(BaseModel):
    items: list[NotificationBody]  # newest first
    unread: int


class ReadOneBody(NotificationBody):
    unread: int  # left after this one was read


class ReadAllBody(BaseModel):
    updated: int
    unread: int


def _tell_tabs(redis: Redis, user_id: str, unread: int, *, ids: list[str] | None = None) -> None:
    """Best effort: the other open tabs update their badge; the database is the truth."""
    try:
        publish_read(redis, user_id=user_id, ids=ids or [], all_=ids is None, unread=unread)
    except RedisError:
        log.warning("could not publish a read event")


@router.get("/api/notifications", response_model=NotificationsPageBody)
def list_all(
    user_id: CurrentUserId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=inbox.MAX_LIMIT)] = inbox.DEFAULT_LIMIT,
) -> NotificationsPageBody:
    page = inbox.notifications_page(session, user_id=user_id, limit=limit)
    return NotificationsPageBody(
        items=[NotificationBody.of(n) for n in page.items], unread=page.unread
    )


@router.post("/api/notifications/read-all", response_model=ReadAllBody)
def read_all(user_id: CurrentUserId, session: SessionDep, redis: RedisDep) -> ReadAllBody:
    updated = inbox.mark_all_read(session, user_id=user_id)
    unread = inbox.unread_count(session, user_id=user_id)
    session.commit()  # before telling the tabs: what they are told must be in the database
    _tell_tabs(redis, user_id, unread)
    return ReadAllBody(updated=updated, unread=unread)


@router.post("/api/notifications/{notification_id}/read", response_model=ReadOneBody)
def read_one(
    notification_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> ReadOneBody:
    n = inbox.mark_read(session, user_id=user_id, notification_id=notification_id)
    unread = inbox.unread_count(session, user_id=user_id)
    session.commit()  # before telling the tabs: what they are told must be in the database
    _tell_tabs(redis, user_id, unread, ids=[n.id])
    return ReadOneBody.of(n, unread=unread)

"""In-app notifications over HTTP (SPEC §5): list (newest first, unread count) and read."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from redis.exceptions import RedisError

from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep
from exstrat_app.services.notifications import inbox as service
from exstrat_app.services.notifications.push import publish_read

log = logging.getLogger(__name__)

router = APIRouter(tags=["notifications"])


def _tell_tabs(redis: Any, user_id: str, unread: int, *, ids: list[str] | None = None) -> None:
    """Best effort: the other open tabs update their badge; the database is the truth."""
    try:
        publish_read(redis, user_id=user_id, ids=ids or [], all_=ids is None, unread=unread)
    except RedisError:
        log.warning("could not publish a read event")


@router.get("/api/notifications")
def list_all(
    user_id: CurrentUserId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
) -> dict[str, Any]:
    return service.notifications_page(session, user_id=user_id, limit=limit)


@router.post("/api/notifications/read-all")
def read_all(user_id: CurrentUserId, session: SessionDep, redis: RedisDep) -> dict[str, Any]:
    updated = service.mark_all_read(session, user_id=user_id)
    unread = service.unread_count(session, user_id=user_id)
    _tell_tabs(redis, user_id, unread)
    return {"updated": updated, "unread": unread}


@router.post("/api/notifications/{notification_id}/read")
def read_one(
    notification_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> dict[str, Any]:
    n = service.mark_read(session, user_id=user_id, notification_id=notification_id)
    unread = service.unread_count(session, user_id=user_id)
    _tell_tabs(redis, user_id, unread, ids=[n.id])
    return {**service.notification_json(n), "unread": unread}

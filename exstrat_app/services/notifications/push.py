"""Live push to open browser tabs: workers publish JSON events on Redis pub/sub.

Workers cannot touch Reflex state (REFLEX-NOTES: "Pushing from a worker process"), so they
publish here; every Reflex backend worker runs `state.feed_relay.relay_push_events`, which
takes each event once (dedupe on its id) and applies it to the user's shared `UserFeed`.

Event (JSON): {"id": unique, "type": "alert" | "read", "userId", "sentAt": epoch seconds,
"notification": {...}} (`notification_payload`) for an alert; {"ids": [...], "all": bool,
"unread": int} for notifications read elsewhere (so every tab's badge follows); "signed_out"
(no data) when some of the user's sessions were signed out elsewhere, so that their open tabs
are sent to sign in at once (docs/api-tokens-and-sessions.md). Pub/sub is fire-and-forget:
a tab that was not connected catches up from the database when it links its feed.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from exstrat_app.models import Notification
from exstrat_app.services.notifications.inbox import NotificationView, notification_view

log = logging.getLogger(__name__)

PUSH_CHANNEL = "exstrat:push"
SIGNED_OUT = "signed_out"
EVENT_TYPES = ("alert", "read", SIGNED_OUT)
_USER_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")  # also a valid Reflex token part (no "_")


@dataclass(frozen=True)
class PushEvent:
    id: str
    type: str
    user_id: str
    sent_at: float
    data: dict[str, Any]


def notification_payload(n: NotificationView) -> dict[str, Any]:
    """A notification on the wire (camelCase, ISO times): the same keys and values as the
    API's notification body, which the relay and the browser read alike."""
    return {
        "id": n.id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "strategyId": n.strategy_id,
        "stepId": n.step_id,
        "read": n.read,
        "readAt": n.read_at.isoformat() if n.read_at else None,
        "createdAt": n.created_at.isoformat(),
        "emailStatus": n.email_status,
    }


def _publish(redis: Redis, *, user_id: str, type_: str, **data: Any) -> str:
    if not _USER_ID.fullmatch(user_id):
        raise ValueError(f"not a user id: {user_id!r}")
    event_id = uuid.uuid4().hex
    event = {"id": event_id, "type": type_, "userId": user_id, "sentAt": time.time(), **data}
    redis.publish(PUSH_CHANNEL, json.dumps(event))
    return event_id


def publish_alert(redis: Redis, *, user_id: str, notification: Notification) -> str:
    """Announce a new notification to the user's open tabs; returns the event id."""
    payload = notification_payload(notification_view(notification))
    return _publish(redis, user_id=user_id, type_="alert", notification=payload)


def publish_read(
    redis: Redis,
    *,
    user_id: str,
    ids: Sequence[str] = (),
    all_: bool = False,
    unread: int | None = None,
) -> str:
    """Tell the user's tabs that notifications were read (some ids, or all of them);
    `unread` is the count left, as the database says after the change."""
    return _publish(redis, user_id=user_id, type_="read", ids=list(ids), all=all_, unread=unread)


def announce_signed_out(redis: Redis, *, user_id: str) -> None:
    """Tell the user's open tabs that some of their sessions ended (after the commit): the
    relay sends each tab whose session no longer verifies to sign in. Best effort: without
    Redis the tab's own periodic recheck still refuses it."""
    try:
        _publish(redis, user_id=user_id, type_=SIGNED_OUT)
    except RedisError:
        log.warning("sign-out not pushed to open tabs: Redis unavailable")


def parse_event(raw: bytes | str) -> PushEvent | None:
    """A well-formed event, or None (anything else on the channel is ignored)."""
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    event_id, type_, user_id = data.get("id"), data.get("type"), data.get("userId")
    if not (isinstance(event_id, str) and event_id and type_ in EVENT_TYPES):
        return None
    if not (isinstance(user_id, str) and _USER_ID.fullmatch(user_id)):
        return None
    if type_ == "alert" and not isinstance(data.get("notification"), dict):
        return None
    sent_at = data.get("sentAt")
    return PushEvent(
        id=event_id,
        type=type_,
        user_id=user_id,
        sent_at=float(sent_at) if isinstance(sent_at, int | float) else 0.0,
        data=data,
    )

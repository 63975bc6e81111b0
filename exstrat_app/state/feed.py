"""The live alert feed: one shared Reflex state per user, fed from Redis pub/sub.

Workers publish alerts on `exstrat:push` (services/push.py). Every Reflex backend worker runs
`relay_push_events` as a lifespan task: it subscribes, takes each event once across workers
(`SET evt:<id> NX EX 60`) and applies it to the user's shared `UserFeed` through
`app.modify_state(rx.BaseStateToken(ident="user-<id>", cls=UserFeed))`; Reflex then sends the
change to every tab linked to that token (`link_user_feed`, after the cookie is verified).

The database stays the truth: a feed is (re)loaded from it whenever a tab links, and the first
time the relay touches a feed it has not loaded yet, so an event lost while the relay was
reconnecting costs at most a late badge, never a wrong count forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import reflex as rx
from redis.exceptions import RedisError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from exstrat_app.services.notifications.push import PUSH_CHANNEL, PushEvent, parse_event

log = logging.getLogger(__name__)

FEED_SIZE = 20  # newest notifications kept in the shared state (the drawer reads the DB)
DEDUPE_SECONDS = 60
PING_SECONDS = 15.0  # a silent dead connection is noticed within 2 x this
RECONNECT_MAX_SECONDS = 30.0


def feed_token(user_id: str) -> str:
    """The shared token of a user's feed (Reflex forbids "_" in it; our ids are hex)."""
    return f"user-{user_id}"


def feed_row(notification: dict[str, Any]) -> dict[str, str]:
    """A notification's JSON (services.notifications.notification_json) as a feed row."""
    return {
        "id": str(notification.get("id") or ""),
        "title": str(notification.get("title") or ""),
        "body": str(notification.get("body") or ""),
        "createdAt": str(notification.get("createdAt") or ""),
        "strategyId": str(notification.get("strategyId") or ""),
        "read": "1" if notification.get("read") else "",
    }


class UserFeed(rx.SharedState):
    """What the shell shows live: unread count, newest alerts, and the toast trigger."""

    unread: int = 0
    latest: list[dict[str, str]] = []  # newest first; rows of `feed_row`
    # The newest alert: a change of latest_id is the cue for a toast.
    latest_id: str = ""
    latest_title: str = ""
    latest_body: str = ""
    toast_seq: int = 0  # bumped once per live alert
    _user_id: str = ""  # whose feed this is (set when first loaded)

    @rx.event
    async def refresh(self) -> None:
        """Reload from the database (e.g. after the drawer changed what is read)."""
        await self._reload()

    @rx.event
    async def mark_read(self, notification_id: str) -> None:
        """Mark one notification read; every linked tab follows (this state is shared)."""
        if self._user_id:
            await asyncio.to_thread(_mark_read, self._user_id, notification_id)
            await self._reload()

    @rx.event
    async def mark_all_read(self) -> None:
        if self._user_id:
            await asyncio.to_thread(_mark_read, self._user_id, None)
            await self._reload()

    async def _reload(self) -> None:
        if self._user_id:
            snapshot = await asyncio.to_thread(load_snapshot, self._user_id)
            apply_snapshot(self, self._user_id, snapshot)


# ---------------------------------------------------------------- state changes (pure)


@dataclass(frozen=True)
class FeedSnapshot:
    rows: list[dict[str, str]]
    unread: int


def load_snapshot(user_id: str) -> FeedSnapshot:
    """The newest notifications and the unread count, from the database."""
    from exstrat_app.infra.db.engine import session_scope
    from exstrat_app.services.notifications import inbox as notifications

    with session_scope() as session:
        rows = notifications.list_notifications(session, user_id=user_id, limit=FEED_SIZE)
        return FeedSnapshot(
            rows=[feed_row(notifications.notification_json(n)) for n in rows],
            unread=notifications.unread_count(session, user_id=user_id),
        )


def _mark_read(user_id: str, notification_id: str | None) -> None:
    from exstrat_app.infra.db.engine import session_scope
    from exstrat_app.services.errors import NotFound
    from exstrat_app.services.notifications import inbox as notifications

    with session_scope() as session:
        if notification_id is None:
            notifications.mark_all_read(session, user_id=user_id)
            return
        with contextlib.suppress(NotFound):
            notifications.mark_read(session, user_id=user_id, notification_id=notification_id)


def apply_snapshot(feed: Any, user_id: str, snapshot: FeedSnapshot) -> None:
    """Replace the feed with the database's view (assignments, so Reflex sees them dirty)."""
    feed._user_id = user_id
    feed.latest = list(snapshot.rows)
    feed.unread = snapshot.unread
    newest = snapshot.rows[0] if snapshot.rows else None
    feed.latest_id = newest["id"] if newest else ""
    feed.latest_title = newest["title"] if newest else ""
    feed.latest_body = newest["body"] if newest else ""


def apply_push_event(feed: Any, event: PushEvent) -> bool:
    """Apply one event to a feed; False when the alert was already listed (not re-counted)."""
    if event.type == "alert":
        return _apply_alert(feed, feed_row(event.data["notification"]))
    return _apply_read(feed, event.data)


def _apply_alert(feed: Any, row: dict[str, str]) -> bool:
    """Add the alert (unless a database load already brought it) and cue the toast."""
    present = any(item["id"] == row["id"] for item in feed.latest)
    if not present:
        feed.latest = [row, *(dict(item) for item in feed.latest)][:FEED_SIZE]
        if not row["read"]:
            feed.unread = feed.unread + 1
    feed.latest_id, feed.latest_title, feed.latest_body = row["id"], row["title"], row["body"]
    feed.toast_seq = feed.toast_seq + 1
    return not present


def _apply_read(feed: Any, data: dict[str, Any]) -> bool:
    everything = bool(data.get("all"))
    ids = {str(i) for i in data.get("ids") or []}
    newly_read = sum(1 for item in feed.latest if not item["read"] and item["id"] in ids)
    feed.latest = [
        {**item, "read": "1"} if everything or item["id"] in ids else dict(item)
        for item in feed.latest
    ]
    unread = data.get("unread")
    if isinstance(unread, int) and not isinstance(unread, bool):
        feed.unread = max(0, unread)  # the database's count after the change
    else:
        feed.unread = 0 if everything else max(0, feed.unread - newly_read)
    return True


# ---------------------------------------------------------------- linking a tab


async def link_user_feed(state: rx.State, user_id: str) -> UserFeed:
    """Link this tab's UserFeed to the user's shared feed and refresh it from the database.

    Call from an event handler, after the session cookie has been verified. Returns the
    linked (shared) instance.
    """
    feed = await state.get_state(UserFeed)
    linked = await feed._link_to(feed_token(user_id))
    snapshot = await asyncio.to_thread(load_snapshot, user_id)
    apply_snapshot(linked, user_id, snapshot)
    return linked


# ---------------------------------------------------------------- the relay

Applier = Callable[[PushEvent], Awaitable[None]]


async def apply_to_app(app: Any, event: PushEvent) -> None:
    """Apply an event to the user's shared feed in the running Reflex app."""
    token = rx.BaseStateToken(ident=feed_token(event.user_id), cls=UserFeed)
    async with app.modify_state(token) as root:
        feed = await root.get_state(UserFeed)
        await apply_to_feed(feed, event)


async def apply_to_feed(feed: Any, event: PushEvent) -> None:
    """Load the feed first if nobody has yet (its counts come from the DB), then apply."""
    if feed._user_id != event.user_id:
        snapshot = await asyncio.to_thread(load_snapshot, event.user_id)
        apply_snapshot(feed, event.user_id, snapshot)
    apply_push_event(feed, event)


class _Backoff:
    """Jittered exponential wait between reconnects, reset once a subscription works."""

    def __init__(self, maximum: float = RECONNECT_MAX_SECONDS) -> None:
        self.failures = 0
        self.maximum = maximum

    def reset(self) -> None:
        self.failures = 0

    def __call__(self, _state: RetryCallState) -> float:
        self.failures += 1
        ceiling = min(self.maximum, 0.25 * 2 ** min(self.failures, 10))
        return random.uniform(ceiling / 2, ceiling)


async def relay_push_events(
    app: Any,
    *,
    url: str | None = None,
    applier: Applier | None = None,
    subscribed: asyncio.Event | None = None,
) -> None:
    """Lifespan task: relay pushed events to the users' feeds, forever, reconnecting.

    `app` is filled in by Reflex (`app.register_lifespan_task(relay_push_events)`); `url`,
    `applier` and `subscribed` exist for tests and the benchmark.
    """
    from exstrat_app.infra.redis import redis_url

    apply = applier or (lambda event: apply_to_app(app, event))
    backoff = _Backoff()
    while True:  # a listen that returns cleanly (never expected) just starts over
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((RedisError, OSError, ConnectionError)),
            wait=backoff,
            before_sleep=lambda s: log.warning(
                "push relay lost Redis (%s); reconnecting",
                s.outcome.exception() if s.outcome else "",
            ),
        ):
            with attempt:
                await _listen(url or redis_url(), apply, backoff, subscribed)


async def _listen(
    url: str, apply: Applier, backoff: _Backoff, subscribed: asyncio.Event | None
) -> None:
    client = aioredis.from_url(url, socket_connect_timeout=5)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(PUSH_CHANNEL)
        backoff.reset()
        if subscribed is not None:
            subscribed.set()
        await _pump(client, pubsub, apply)
    finally:
        with contextlib.suppress(Exception):
            await pubsub.aclose()
        with contextlib.suppress(Exception):
            await client.aclose()


async def _pump(client: aioredis.Redis, pubsub: Any, apply: Applier) -> None:
    loop = asyncio.get_running_loop()
    last_ping = last_pong = loop.time()
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        now = loop.time()
        if message is not None:
            last_pong = now  # any traffic proves the connection alive
            if message.get("type") == "message":
                await _handle(client, message.get("data"), apply)
        if now - last_ping >= PING_SECONDS:
            if now - last_pong > 2 * PING_SECONDS:
                raise ConnectionError("no answer from Redis on the push subscription")
            await pubsub.ping()
            last_ping = now


async def _handle(client: aioredis.Redis, raw: Any, apply: Applier) -> None:
    event = parse_event(raw) if isinstance(raw, bytes | str) else None
    if event is None:
        return
    # Every backend worker receives every event: only the first to claim it applies it.
    if not await client.set(f"evt:{event.id}", "1", nx=True, ex=DEDUPE_SECONDS):
        return
    try:
        await apply(event)
    except Exception:  # one bad event must not stop the relay
        log.exception("could not apply push event %s", event.id)

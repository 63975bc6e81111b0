"""The push relay: Redis pub/sub -> the users' shared `UserFeed`s, run by every Reflex backend
worker as a lifespan task (`app.register_lifespan_task(relay_push_events)`).

Workers publish alerts on `exstrat:push` (services/notifications/push.py). The relay
subscribes, takes each event once across backend workers (`SET evt:<id> NX EX 60`) and
applies it to the user's shared feed through
`app.modify_state(rx.BaseStateToken(ident=feed_token(<id>), cls=UserFeed))`; Reflex then sends
the change to every tab linked to that token. Before each event, every tab linked to the feed
is checked again (the session its socket connected with, as the door recorded it for every
worker, must still verify for the feed's owner): a tab signed out elsewhere, revoked or
expired is unlinked first, so it never receives the alert, even if it sends no event of its
own; a "signed_out" event (sessions ended from the sessions list) does only that, and sends
those tabs to /login at once. It is an entry point over Redis, not
state: the feed itself (and how an event changes it) lives in `state/feed.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
import reflex as rx
from redis.exceptions import RedisError
from reflex.state import StateUpdate
from reflex_base.event import Event
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from exstrat_app import bootstrap, routes
from exstrat_app.services.notifications.push import (
    PUSH_CHANNEL,
    SIGNED_OUT,
    PushEvent,
    parse_event,
)
from exstrat_app.state.base import go_to, identity_verifies
from exstrat_app.state.feed import (
    UserFeed,
    apply_push_event,
    apply_snapshot,
    feed_token,
    forget_link_of,
    is_confirm_alert,
    load_confirm_rows,
    load_snapshot,
)
from exstrat_app.state.guard import connection_identity

log = logging.getLogger(__name__)

DEDUPE_SECONDS = 60
PING_SECONDS = 15.0  # a silent dead connection is noticed within 2 x this
RECONNECT_MAX_SECONDS = 30.0

Applier = Callable[[PushEvent], Awaitable[None]]


async def apply_to_app(app: Any, event: PushEvent) -> None:
    """Apply an event to the user's shared feed in the running Reflex app (after unlinking
    the tabs that are no longer signed in as its owner)."""
    token = rx.BaseStateToken(ident=feed_token(event.user_id), cls=UserFeed)
    async with app.modify_state(token) as root:
        feed = await root.get_state(UserFeed)
        stale = [
            client_token
            for client_token in list(feed._linked_from)
            if not await asyncio.to_thread(still_owner, client_token, event.user_id)
        ]
        for client_token in stale:  # no update of this feed reaches them any more
            feed._linked_from.discard(client_token)
        if event.type != SIGNED_OUT:  # nothing for the feed itself: only the unlinking
            await apply_to_feed(feed, event)
    for client_token in stale:  # and their own trees forget the link (their own lock)
        await unlink_client(app, client_token)
        if event.type == SIGNED_OUT:
            await send_to_sign_in(app, client_token)


async def send_to_sign_in(app: Any, client_token: str) -> None:
    """Send one tab, whose session was signed out elsewhere, to /login now (through
    whichever web worker holds its socket) rather than at its next click."""
    namespace = getattr(app, "event_namespace", None)
    if namespace is None:
        return
    update = StateUpdate(events=Event.from_event_type([go_to(routes.LOGIN)]))
    await namespace.emit_update(update, client_token)
    log.info("sent a signed-out tab to sign in")


def still_owner(client_token: str, user_id: str) -> bool:
    """Whether the socket of this tab, in any web worker, is still signed in as `user_id`."""
    identity = connection_identity(client_token)
    return identity is not None and identity.user_id == user_id and identity_verifies(identity)


async def unlink_client(app: Any, client_token: str) -> None:
    """Make one tab's own state forget its feed link (under its lock, loaded without links,
    so nothing of the feed is patched in or sent)."""
    token = rx.BaseStateToken(ident=client_token, cls=UserFeed)
    with app.set_contexts():
        async with app.state_manager.modify_state(token) as root:
            forget_link_of(root)
    log.info("unlinked a signed-out tab from its alert feed")


async def apply_to_feed(feed: Any, event: PushEvent) -> None:
    """Load the feed first if nobody has yet (its counts come from the DB), then apply."""
    if feed._user_id != event.user_id:
        snapshot = await asyncio.to_thread(load_snapshot, event.user_id)
        apply_snapshot(feed, event.user_id, snapshot)
    apply_push_event(feed, event)
    if is_confirm_alert(event):  # "Confirm (15 min left)": the order's window, from the DB
        rows = list(feed.latest)
        feed.latest = await asyncio.to_thread(load_confirm_rows, event.user_id, rows)


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
                await _listen(url or bootstrap.redis_address(), apply, backoff, subscribed)


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

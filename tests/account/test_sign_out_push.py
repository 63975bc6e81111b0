"""A session signed out from the sessions list is pushed to its open tabs: the relay, on the
"signed_out" event, sends every tab of the user whose session no longer verifies to /login,
and leaves the tabs still signed in (and the alert feed's counts) alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from exstrat_app.services.notifications.push import (
    PUSH_CHANNEL,
    SIGNED_OUT,
    announce_signed_out,
    parse_event,
)
from exstrat_app.state.feed import FeedSnapshot, UserFeed, apply_snapshot
from exstrat_app.state.feed_relay import apply_to_app


class FakeApp:
    """What the relay touches of the Reflex app: the shared feed, each tab's own tree, and
    the socket namespace (whose updates are kept here)."""

    def __init__(self, feed: UserFeed) -> None:
        self.feed = feed
        self.sent: list[tuple[str, Any]] = []
        self.event_namespace = self
        self.state_manager = self

    @contextlib.asynccontextmanager
    async def modify_state(self, _token: Any) -> AsyncIterator[Any]:
        feed = self.feed

        class Root:
            _reflex_internal_links: dict[str, str] = {UserFeed.get_full_name(): "feed"}

            async def get_state(self, _cls: type) -> Any:
                return feed

        yield Root()

    @contextlib.contextmanager
    def set_contexts(self) -> Iterator[None]:
        yield

    async def emit_update(self, update: Any, token: str) -> None:
        self.sent.append((token, update))


def _tab(redis: Any, settings: Any, cookie: str) -> str:
    """A tab whose socket signed in with `cookie` (as the door records it for every worker)."""
    from exstrat_app.state import door_registry

    client_token = str(uuid.uuid4())
    identity = door_registry.identity_of(settings, cookie)
    assert identity is not None
    door_registry.publish(redis, client_token, door_registry.new_nonce(), identity)
    return client_token


def test_the_signed_out_tab_is_sent_to_login_and_the_others_stay(
    db: Any, redis: Any, person: Callable[[str], Any]
) -> None:
    from exstrat_app.services.auth import session_list
    from exstrat_app.settings import get_settings

    settings = get_settings()
    ann = person("ann")
    kept = session_list.start_session(db, settings, user_id=ann.id, ip="1.2.3.4", user_agent="a")
    ended = session_list.start_session(db, settings, user_id=ann.id, ip="5.6.7.8", user_agent="b")
    db.commit()
    stays, goes = _tab(redis, settings, kept), _tab(redis, settings, ended)
    feed = UserFeed(_reflex_internal_init=True)
    apply_snapshot(feed, ann.id, FeedSnapshot(rows=[], unread=3))
    feed._linked_from = {stays, goes}

    [other] = [
        v for v in session_list.list_sessions(db, ann.id, current_jti="") if v.ip != "1.2.3.4"
    ]
    session_list.end_session(db, ann.id, other.id)
    db.commit()

    pubsub = redis.pubsub()
    pubsub.subscribe(PUSH_CHANNEL)
    deadline = time.monotonic() + 10
    while pubsub.get_message(timeout=1.0) is None and time.monotonic() < deadline:
        pass  # the subscription's confirmation
    announce_signed_out(redis, user_id=ann.id)
    message = None
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
    pubsub.close()
    assert message is not None
    event = parse_event(message["data"])
    assert event is not None and event.type == SIGNED_OUT and event.user_id == ann.id

    app = FakeApp(feed)
    asyncio.run(apply_to_app(app, event))

    assert feed._linked_from == {stays}
    assert feed.unread == 3  # the feed itself is untouched
    [(token, update)] = app.sent
    assert token == goes
    [sent] = update.events
    assert "/login" in json.dumps(sent.payload)

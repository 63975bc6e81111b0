"""Live push: publish on Redis -> the relay (real subscription) -> the user's UserFeed.

The relay's target is a real `UserFeed` instance (states can be built under pytest); the
browser end of it (linked tabs) is the UI's end-to-end test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from exstrat_app.infra.redis import embedded_url, redis_url, start_embedded
from exstrat_app.models import Notification
from exstrat_app.services.notifications.push import (
    PushEvent,
    parse_event,
    publish_alert,
    publish_read,
)
from exstrat_app.state.feed import (
    FeedSnapshot,
    UserFeed,
    apply_push_event,
    apply_snapshot,
    feed_token,
)
from exstrat_app.state.feed_relay import apply_to_app, apply_to_feed, relay_push_events


def new_feed() -> UserFeed:
    return UserFeed(_reflex_internal_init=True)


def add_notification(db: Any, user_id: str, title: str = "ETH reached step 1 of 2") -> Notification:
    note = Notification(user_id=user_id, title=title, body="body")
    db.add(note)
    db.commit()
    return note


def alert_event(user_id: str, notification: dict[str, Any]) -> PushEvent:
    raw = {"id": uuid.uuid4().hex, "type": "alert", "userId": user_id, "notification": notification}
    event = parse_event(json.dumps(raw))
    assert event is not None
    return event


async def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll `check` with a deadline generous enough for a loaded CI machine."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def relay(
    applier: Callable[[Any], Awaitable[None]], url: str | None = None
) -> AsyncIterator[asyncio.Event]:
    subscribed = asyncio.Event()
    task = asyncio.create_task(
        relay_push_events(None, url=url or redis_url(), applier=applier, subscribed=subscribed)
    )
    try:
        await asyncio.wait_for(subscribed.wait(), 30)
        yield subscribed
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_a_published_alert_reaches_the_feed(db: Any, redis: Any, alice: Any) -> None:
    feed = new_feed()
    older = add_notification(db, alice.id, "older")
    apply_snapshot(feed, alice.id, FeedSnapshot(rows=[], unread=0))

    async def scenario() -> float:
        async with relay(lambda event: apply_to_feed(feed, event)):
            note = add_notification(db, alice.id)
            started = time.monotonic()
            await asyncio.to_thread(publish_alert, redis, user_id=alice.id, notification=note)
            await wait_for(lambda: feed.latest_id == note.id)
            return time.monotonic() - started

    # The latency is printed, not asserted (a shared CI machine is slow; make bench).
    print(f"\n[push] published -> in the feed: {asyncio.run(scenario()) * 1000:.0f} ms")
    assert feed.unread == 1 and feed.toast_seq == 1
    assert feed.latest_title == "ETH reached step 1 of 2"
    assert [row["id"] for row in feed.latest] != [older.id]


def test_a_feed_never_loaded_is_loaded_from_the_database_first(
    db: Any, redis: Any, alice: Any
) -> None:
    feed = new_feed()
    first = add_notification(db, alice.id, "first")
    second = add_notification(db, alice.id, "second")
    event = alert_event(alice.id, {"id": second.id, "title": "second", "body": "b", "read": False})
    asyncio.run(apply_to_feed(feed, event))
    assert [row["id"] for row in feed.latest] == [second.id, first.id]
    assert feed.unread == 2  # from the database, the pushed one not counted twice
    assert (feed.latest_id, feed._user_id, feed.toast_seq) == (second.id, alice.id, 1)


def test_every_backend_worker_subscribes_but_one_applies(db: Any, redis: Any, alice: Any) -> None:
    applied: list[str] = []

    async def record(event: Any) -> None:
        applied.append(event.id)

    async def scenario() -> None:
        async with relay(record), relay(record), relay(record):
            note = add_notification(db, alice.id)
            for _ in range(5):
                await asyncio.to_thread(publish_alert, redis, user_id=alice.id, notification=note)
            await wait_for(lambda: len(applied) >= 5)
            await asyncio.sleep(0.3)  # let any duplicate arrive

    asyncio.run(scenario())
    assert len(applied) == 5 and len(set(applied)) == 5


def test_the_relay_reconnects_after_a_redis_restart(alice: Any) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="exs-relay-"))
    url = embedded_url(data_dir)
    server = start_embedded(data_dir)
    applied: list[str] = []

    async def record(event: Any) -> None:
        applied.append(event.id)

    async def scenario() -> None:
        nonlocal server
        from redis import Redis

        async with relay(record, url=url) as subscribed:
            subscribed.clear()
            server.kill()
            server.wait(5)
            await asyncio.sleep(0.3)
            server = start_embedded(data_dir)
            # subscribed again (its backoff may have grown while Redis was starting)
            await asyncio.wait_for(subscribed.wait(), 60)
            client = Redis.from_url(url)
            event_id = publish_read(client, user_id=alice.id, all_=True, unread=0)
            await wait_for(lambda: event_id in applied)

    try:
        asyncio.run(scenario())
    finally:
        server.kill()
        server.wait(5)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_apply_to_app_modifies_the_users_shared_token(db: Any, alice: Any) -> None:
    feed = new_feed()
    apply_snapshot(feed, alice.id, FeedSnapshot(rows=[], unread=0))
    tokens: list[Any] = []

    class Root:
        async def get_state(self, cls: type) -> Any:
            assert cls is UserFeed
            return feed

    class FakeApp:
        @contextlib.asynccontextmanager
        async def modify_state(self, token: Any) -> AsyncIterator[Root]:
            tokens.append(token)
            yield Root()

    event = alert_event(alice.id, {"id": "n1", "title": "t", "body": "b"})
    asyncio.run(apply_to_app(FakeApp(), event))
    [token] = tokens
    assert (token.ident, token.cls) == (feed_token(alice.id), UserFeed)
    assert "_" not in token.ident
    assert (feed.latest_id, feed.unread) == ("n1", 1)


def test_read_events_follow_the_database_count(alice: Any) -> None:
    feed = new_feed()
    rows = [
        {"id": i, "title": i, "body": "", "createdAt": "", "strategyId": "", "read": ""}
        for i in ("a", "b", "c")
    ]
    apply_snapshot(feed, alice.id, FeedSnapshot(rows=rows, unread=7))

    def read(**data: Any) -> Any:
        event = parse_event(json.dumps({"id": "x", "type": "read", "userId": alice.id, **data}))
        assert event is not None
        return event

    apply_push_event(feed, read(ids=["b"], unread=6))
    assert [r["read"] for r in feed.latest] == ["", "1", ""] and feed.unread == 6
    apply_push_event(feed, read(ids=["a"]))  # no count given: one fewer
    assert feed.unread == 5
    apply_push_event(feed, read(all=True, unread=0))
    assert {r["read"] for r in feed.latest} == {"1"} and feed.unread == 0
    assert feed.latest_id == "a"  # reading is not a new alert: no toast cue


def test_junk_on_the_channel_is_ignored_and_ids_are_checked() -> None:
    for raw in (b"not json", b"[]", b'{"id": "1", "type": "alert", "userId": "u"}'):
        assert parse_event(raw) is None
    assert parse_event(b'{"id": "1", "type": "other", "userId": "u"}') is None
    assert parse_event(b'{"id": "1", "type": "read", "userId": "bad_id"}') is None
    with pytest.raises(ValueError):
        publish_read(None, user_id="bad_id")  # type: ignore[arg-type]


def test_the_keepalive_ping_keeps_one_subscription(
    db: Any, redis: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exstrat_app.state import feed_relay

    monkeypatch.setattr(feed_relay, "PING_SECONDS", 0.1)
    applied: list[str] = []

    async def record(event: Any) -> None:
        applied.append(event.id)

    async def scenario() -> None:
        async with relay(record) as subscribed:
            subscribed.clear()
            await asyncio.sleep(0.8)  # several pings answered
            assert not subscribed.is_set()  # ... and no reconnect
            event_id = await asyncio.to_thread(
                publish_read, redis, user_id=alice.id, all_=True, unread=0
            )
            await wait_for(lambda: event_id in applied)

    asyncio.run(scenario())


def test_feed_handlers_mark_read_through_the_database(
    db: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def signed_in(_state: Any) -> str:  # the handlers check the tab's signed-in user
        return str(alice.id)

    monkeypatch.setattr("exstrat_app.state.feed.current_user_id", signed_in)
    notes = [add_notification(db, alice.id, f"n{i}") for i in range(2)]
    feed = new_feed()
    apply_snapshot(feed, alice.id, FeedSnapshot(rows=[], unread=0))
    asyncio.run(feed._reload())
    assert feed.unread == 2
    asyncio.run(UserFeed.mark_read.fn(feed, notes[0].id))
    assert feed.unread == 1
    asyncio.run(UserFeed.mark_all_read.fn(feed))
    assert feed.unread == 0 and {row["read"] for row in feed.latest} == {"1"}

"""The live alert feed: one shared Reflex state per user, what every tab of theirs shows live.

A tab links its `UserFeed` to the user's shared token (`link_user_feed`, after the cookie is
verified); Reflex then sends every change of that feed to every tab linked to it. Changes
come from the database (a snapshot) and from the pushed events that `state/feed_relay.py`
applies (`apply_push_event`).

The database stays the truth: a feed is (re)loaded from it whenever a tab links, and the first
time the relay touches a feed it has not loaded yet, so an event lost while the relay was
reconnecting costs at most a late badge, never a wrong count forever.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.services.errors import NotFound
from exstrat_app.services.notifications import inbox
from exstrat_app.services.notifications.push import PushEvent, notification_payload

FEED_SIZE = 20  # newest notifications kept in the shared state (the drawer reads the DB)


def feed_token(user_id: str) -> str:
    """The shared token of a user's feed (Reflex forbids "_" in it; our ids are hex)."""
    return f"user-{user_id}"


def feed_row(notification: dict[str, Any]) -> dict[str, str]:
    """A notification as pushed (`push.notification_payload`) as a feed row."""
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


# ---------------------------------------------------------------- the database's side


@dataclass(frozen=True)
class FeedSnapshot:
    rows: list[dict[str, str]]
    unread: int


def load_snapshot(user_id: str) -> FeedSnapshot:
    """The newest notifications and the unread count, from the database."""
    with bootstrap.unit_of_work() as session:
        views = inbox.list_notifications(session, user_id=user_id, limit=FEED_SIZE)
        return FeedSnapshot(
            # Through the wire format, so a loaded row and a pushed one are the same row.
            rows=[feed_row(notification_payload(v)) for v in views],
            unread=inbox.unread_count(session, user_id=user_id),
        )


def _mark_read(user_id: str, notification_id: str | None) -> None:
    """One notification read (None: all of them); another user's id is a silent no-op."""
    with bootstrap.unit_of_work() as session:
        if notification_id is None:
            inbox.mark_all_read(session, user_id=user_id)
            return
        with contextlib.suppress(NotFound):
            inbox.mark_read(session, user_id=user_id, notification_id=notification_id)


# ---------------------------------------------------------------- state changes (pure)


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

"""The live alert feed: one shared Reflex state per user, what every tab of theirs shows live.

A tab links its `UserFeed` to the user's shared token (`link_user_feed`, after the cookie is
verified); Reflex then sends every change of that feed to every tab linked to it. Changes
come from the database (a snapshot) and from the pushed events that `state/feed_relay.py`
applies (`apply_push_event`).

Only the owner joins a feed. Its shared token is an HMAC of the user id under the server's
signing secret (`feed_token`), so knowing an id names nothing; the socket's door refuses any
client token that is not a UUID (state/guard.py), so no socket can load a feed's tree as its
own; every handler here checks that the signed-in user of the calling tab owns the feed, and
unlinks it otherwise; sign-out (logout or a failed recheck) unlinks it (`on_sign_out`).

The database stays the truth: a feed is (re)loaded from it whenever a tab links, and the first
time the relay touches a feed it has not loaded yet, so an event lost while the relay was
reconnecting costs at most a late badge, never a wrong count forever.

A feed is shared by every tab of its user, so the words it writes itself (the Confirm
button's) are in the user's saved language, else the language of the tab or relay reading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from exstrat_app import bootstrap, i18n
from exstrat_app.services import auth
from exstrat_app.services.errors import NotFound
from exstrat_app.services.execution.confirm_status import confirm_texts
from exstrat_app.services.notifications import inbox
from exstrat_app.services.notifications.push import PushEvent, notification_payload
from exstrat_app.state.base import current_user_id, on_sign_out

FEED_SIZE = 20  # newest notifications kept in the shared state (the drawer reads the DB)
KIND_ORDER_CONFIRM = "order_confirm"  # services/execution/placement.py: "Sell 0.8 ETH now"


def feed_token(user_id: str) -> str:
    """The shared token of a user's feed: unguessable without the server's secret, never
    UUID-shaped (so never a client token), no "_" (Reflex forbids it)."""
    key = bootstrap.settings().jwt_signing_secret().encode()
    digest = hmac.new(key, f"exstrat-feed:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"feed-{digest}"


def feed_row(notification: dict[str, Any]) -> dict[str, str]:
    """A notification as pushed (`push.notification_payload`) as a feed row.

    A confirm alert's "confirm" (the words next to it) and "canConfirm" (its button) come from
    its order (`with_confirm_texts`); as pushed, just before that read, it is freshly valid."""
    confirmable = notification.get("kind") == KIND_ORDER_CONFIRM and notification.get("stepId")
    return {
        "id": str(notification.get("id") or ""),
        "title": str(notification.get("title") or ""),
        "body": str(notification.get("body") or ""),
        "createdAt": str(notification.get("createdAt") or ""),
        "strategyId": str(notification.get("strategyId") or ""),
        "stepId": str(notification.get("stepId") or ""),
        "kind": str(notification.get("kind") or ""),
        "read": "1" if notification.get("read") else "",
        "confirm": i18n._("Confirm") if confirmable else "",
        "canConfirm": "1" if confirmable else "",
    }


def with_confirm_texts(
    session: Session, user_id: str, rows: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The rows with each confirm alert's words and button from its order, read now."""
    steps = [r["stepId"] for r in rows if r["kind"] == KIND_ORDER_CONFIRM and r["stepId"]]
    if not steps:
        return rows
    texts = confirm_texts(session, user_id=user_id, step_ids=steps)
    out = []
    for row in rows:
        if (text := texts.get(row["stepId"])) is not None and row["kind"] == KIND_ORDER_CONFIRM:
            can = "1" if text.can_confirm else ""
            row = {**row, "confirm": i18n.render(text.text), "canConfirm": can}
        out.append(row)
    return out


class UserFeed(rx.SharedState):
    """What the shell shows live: unread count, newest alerts, and the toast trigger."""

    unread: int = 0
    latest: list[dict[str, str]] = []  # newest first; rows of `feed_row`
    # The newest alert: a change of latest_id is the cue for a toast.
    latest_id: str = ""
    latest_title: str = ""
    latest_body: str = ""
    latest_kind: str = ""  # "order_confirm": the toast carries a Confirm button
    latest_strategy_id: str = ""
    latest_step_id: str = ""
    toast_seq: int = 0  # bumped once per live alert
    _user_id: str = ""  # whose feed this is (set when first loaded)

    @rx.event
    async def refresh(self) -> None:
        """Reload from the database (e.g. after the drawer changed what is read)."""
        if await self._owner() is not None:
            await self._reload()

    @rx.event
    async def mark_read(self, notification_id: str) -> None:
        """Mark one notification read; every linked tab follows (this state is shared)."""
        if (owner := await self._owner()) is not None:
            await asyncio.to_thread(_mark_read, owner, str(notification_id))
            await self._reload()

    @rx.event
    async def mark_all_read(self) -> None:
        if (owner := await self._owner()) is not None:
            await asyncio.to_thread(_mark_read, owner, None)
            await self._reload()

    async def _owner(self) -> str | None:
        """The calling tab's signed-in user when this is their linked feed, else None (and
        the tab is unlinked from a feed that is not, or no longer, theirs)."""
        user_id = await current_user_id(self)
        if user_id is not None and self._user_id == user_id:  # only a linked feed has one
            return user_id
        await drop_feed_link(self)
        return None

    async def _reload(self) -> None:
        if self._user_id:
            snapshot = await asyncio.to_thread(load_snapshot, self._user_id)
            apply_snapshot(self, self._user_id, snapshot)


# ---------------------------------------------------------------- the database's side


@dataclass(frozen=True)
class FeedSnapshot:
    rows: list[dict[str, str]]
    unread: int


def _user_locale(session: Session, user_id: str) -> str | None:
    """The user's saved language (None: not chosen, the reader's then)."""
    try:
        return auth.user_preferences(session, user_id).locale or i18n.current_locale()
    except NotFound:
        return i18n.current_locale()


def load_snapshot(user_id: str) -> FeedSnapshot:
    """The newest notifications and the unread count, from the database."""
    with bootstrap.unit_of_work() as session, i18n.use_locale(_user_locale(session, user_id)):
        views = inbox.list_notifications(session, user_id=user_id, limit=FEED_SIZE)
        # Through the wire format, so a loaded row and a pushed one are the same row.
        rows = [feed_row(notification_payload(v)) for v in views]
        return FeedSnapshot(
            rows=with_confirm_texts(session, user_id, rows),
            unread=inbox.unread_count(session, user_id=user_id),
        )


def load_confirm_rows(user_id: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows with their confirm alerts' words read from the orders now (after a push)."""
    with bootstrap.unit_of_work() as session, i18n.use_locale(_user_locale(session, user_id)):
        return with_confirm_texts(session, user_id, rows)


def is_confirm_alert(event: PushEvent) -> bool:
    notification = event.data.get("notification") or {}
    return event.type == "alert" and notification.get("kind") == KIND_ORDER_CONFIRM


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
    feed.latest_kind = newest.get("kind", "") if newest else ""
    feed.latest_strategy_id = newest.get("strategyId", "") if newest else ""
    feed.latest_step_id = newest.get("stepId", "") if newest else ""


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
    feed.latest_kind, feed.latest_strategy_id = row.get("kind", ""), row.get("strategyId", "")
    feed.latest_step_id = row.get("stepId", "")
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


async def drop_feed_link(state: Any) -> None:
    """Unlink this tab from the feed it follows, from within one of its events.

    Not Reflex's `_unlink`: that swaps the tab's private feed in only for its own call and
    marks the whole linked feed dirty, so the rest of the event would send the tab the very
    feed it is leaving. Here the link is dropped from the tab's links and the feed stops
    sending to it; nothing of the feed is dirtied."""
    root = state._get_root_state()
    name = UserFeed.get_full_name()
    links = root._reflex_internal_links or {}
    if name not in links:
        return
    feed = await state.get_state(UserFeed)
    feed._linked_from.discard(root.router.session.client_token)
    root._reflex_internal_links = {k: v for k, v in links.items() if k != name}


def forget_link_of(root: Any) -> bool:
    """Drop the feed link from a tab's root state loaded *without* its links (the relay)."""
    name = UserFeed.get_full_name()
    links = root._reflex_internal_links or {}
    if name not in links:
        return False
    root._reflex_internal_links = {k: v for k, v in links.items() if k != name}
    return True


@on_sign_out
async def unlink_user_feed(state: rx.State) -> None:
    """The user left this tab (logout, revoked or expired session): stop following the feed."""
    await drop_feed_link(state)

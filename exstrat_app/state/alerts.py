"""The alert bell: the shared `UserFeed` holds the live count and newest alerts (state/feed.py);
this state holds what is per tab: whether the drawer is open, the toast baseline, and which
connection the tab's feed was linked for.

Protected pages run `link_feed` right after `SessionState.require_login` in their on_load: once
the cookie is verified it links the tab to the user's shared feed, and records the newest alert
already there, which must not pop up as a toast. The sign-out click runs `unlink_feed` before
`SessionState.logout`, so the tab stops receiving that user's alerts. This state depends on the
sign-in check (state/base.py); the check knows nothing of the feed.
"""

from __future__ import annotations

import reflex as rx

from exstrat_app.state.base import current_user_id, user_data
from exstrat_app.state.feed import UserFeed, drop_feed_link, link_user_feed


@user_data
class AlertsState(rx.State):
    open: bool = False
    # The newest alert id when this tab linked to the feed: it is not toasted.
    baseline_id: str = ""
    _linked: str = ""  # "<websocket sid>:<user id>" the feed was linked for

    @rx.event
    def set_open(self, value: bool) -> None:
        self.open = value

    @rx.event
    async def link_feed(self) -> None:
        """Link this tab to the signed-in user's live feed, once per connection.

        A regular event handler on purpose: a background task's state proxy cannot link.
        """
        user_id = await current_user_id(self)
        if user_id is None:  # require_login, just before, sends the browser to /login
            return
        key = f"{self.router.session.session_id}:{user_id}"
        if self._linked == key:
            return
        feed = await link_user_feed(self, user_id)
        self.baseline_id = feed.latest_id
        self._linked = key

    @rx.event
    async def unlink_feed(self) -> None:
        """Stop this tab following the user's feed (on sign-out)."""
        await drop_feed_link(self)
        self._linked = ""


__all__ = ["AlertsState", "UserFeed"]

"""The alert bell: the shared `UserFeed` holds the live count and newest alerts (state/feed.py);
this state holds what is per tab: whether the drawer is open, and the toast baseline.

`link_feed` runs once the cookie is verified (SessionState): it links the tab to the user's
shared feed and records the newest alert already there, which must not pop up as a toast.
"""

from __future__ import annotations

import reflex as rx

from exstrat_app.state.feed import UserFeed, link_user_feed
from exstrat_app.state.session import user_data


async def link_feed(state: rx.State, user_id: str) -> None:
    feed = await link_user_feed(state, user_id)
    alerts = await state.get_state(AlertsState)
    alerts.baseline_id = feed.latest_id


@user_data
class AlertsState(rx.State):
    open: bool = False
    # The newest alert id when this tab linked to the feed: it is not toasted.
    baseline_id: str = ""

    @rx.event
    def set_open(self, value: bool) -> None:
        self.open = value


__all__ = ["AlertsState", "UserFeed", "link_feed"]

"""The history charts' states: the portfolio's value over time on /portfolio, one
position's value and average over time on /tokens/[symbol].

Each keeps every day point on the server (`_days`, exact Decimals from the service) and
sends the browser the chosen range only (`state/charts.py` cuts and thins it), so a range
change reads nothing. While the first build runs the service says so (`building`,
`progress`): the portfolio chart shows its progress and asks again every few seconds.

Both count in a reporting currency: the portfolio chart in the portfolio page's quote, the
position chart in the user's own currency (euros for a euro user, else USDT), like the
token page's figures.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from sqlmodel import Session

from exstrat_app import bootstrap
from exstrat_app.domain.assets import is_ticker
from exstrat_app.i18n import _
from exstrat_app.services import auth
from exstrat_app.services.portfolio.history import (
    AssetHistoryView,
    HistoryView,
    asset_history,
    value_history,
)
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.charts import (
    DEFAULT_RANGE,
    RANGE_DAYS,
    gap_text,
    last_day_text,
    last_position_text,
    position_points,
    progress_text,
    tooltip_unit,
    value_points,
)

EUR = "EUR"
DOLLAR_QUOTE = "USDT"


def user_quote(session: Session, user_id: str) -> str:
    """The quote a user's pages start in: euros for a euro user, else USDT."""
    return EUR if auth.user_preferences(session, user_id).currency == EUR else DOLLAR_QUOTE


def _portfolio(user_id: str, quote: str) -> HistoryView:
    """The value history in `quote`, or in the user's own currency when `quote` is ""."""
    with bootstrap.unit_of_work() as session:
        return value_history(session, user_id, quote=quote or user_quote(session, user_id))


def _position(user_id: str, asset: str) -> AssetHistoryView:
    with bootstrap.unit_of_work() as session:
        return asset_history(session, user_id, asset, quote=user_quote(session, user_id))


@user_data
class PortfolioHistoryState(rx.State):
    points: list[dict[str, str | None]] = []
    last: dict[str, str] = {}
    range_: str = DEFAULT_RANGE
    building: bool = False
    progress: str = "0"
    loaded: bool = False
    error: str = ""
    gap_note: str = ""  # the assets the history does not fully explain, in words
    unit: str = ""  # after a money figure in the tooltip ("" in a USD quote)
    _quote: str = ""  # the portfolio page's quote; "" until it says (the user's currency)
    _days: list[Any] = []  # the service's DayPoints, oldest first

    @rx.event
    async def load_in(self, quote: str) -> Any:
        """The history in the portfolio page's quote (which the page's load hands over)."""
        self._quote = quote
        return await self._load()

    @rx.event
    async def load(self) -> Any:
        # A plain handler, not a background task: it reads stored rows only (milliseconds),
        # and a background task cut off by a navigation held the tab's state lock (seen: the
        # next page waited seconds for its first event).
        return await self._load()

    async def _load(self) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        try:
            view = await asyncio.to_thread(_portfolio, user_id, self._quote)
        except Exception:  # noqa: BLE001 - the chart says so; the rest of the page works
            self.error, self.loaded = _("The history could not be loaded."), True
            return None
        self._days = list(view.points)
        self.building, self.progress = view.building, progress_text(view.progress)
        self.points = value_points(self._days, self.range_)
        self.last = last_day_text(self._days, view.quote)
        self.unit = tooltip_unit(view.quote)
        self.gap_note = gap_text(view.gaps)
        self.loaded, self.error = True, ""
        return None

    @rx.event
    def set_range(self, value: str | list[str]) -> None:
        if isinstance(value, str) and value in RANGE_DAYS:
            self.range_ = value
            self.points = value_points(self._days, value)


@user_data
class PositionHistoryState(rx.State):
    points: list[dict[str, str | None]] = []
    last: dict[str, str] = {}
    range_: str = DEFAULT_RANGE
    unit: str = ""  # after a money figure in the tooltip ("" in a USD quote)
    _asset: str = ""
    _days: list[Any] = []

    @rx.event
    async def load(self) -> Any:
        """A plain handler like PortfolioHistoryState.load (one asset's events, replayed)."""
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        asset = str(self.router._page.params.get("symbol", "")).upper()
        if asset != self._asset:  # another token: show nothing of the last one
            self._asset, self._days, self.points, self.last = asset, [], [], {}
        if not is_ticker(asset):
            return None
        try:
            view = await asyncio.to_thread(_position, user_id, asset)
        except Exception:  # noqa: BLE001 - no chart; the rest of the page works
            return None
        self._days = list(view.points)
        self.points = position_points(self._days, self.range_)
        self.last = last_position_text(self._days, view.quote)
        self.unit = tooltip_unit(view.quote)
        return None

    @rx.event
    def set_range(self, value: str | list[str]) -> None:
        if isinstance(value, str) and value in RANGE_DAYS:
            self.range_ = value
            self.points = position_points(self._days, value)

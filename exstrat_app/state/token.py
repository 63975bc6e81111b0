"""/tokens/[symbol]: one asset of the signed-in user: position, P&L (realized, unrealized,
income), every movement with its kind, where the coins sit, what could not be valued, trades,
transfers, chart; and the "Add an opening position" dialog (`?opening=1` opens it).

The chart's points are numeric strings (recharts scales them); the average price and every
target of the open ladders on the asset are drawn as reference lines. The page counts in the
user's reporting currency (docs/currencies.md): the figures, the chart's closes and the
ladders drawn on it are all in euros for a euro user, else in USDT.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.domain.assets import is_ticker
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.i18n import render
from exstrat_app.services import strategies
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.services.portfolio import openings
from exstrat_app.services.portfolio.prices import daily_closes
from exstrat_app.services.portfolio.rebuild import recompute_for_user
from exstrat_app.services.portfolio.token import TokenView, token_view
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.charts import with_sign
from exstrat_app.state.display import chart_number, currency_of
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.history import EUR, PositionHistoryState, user_quote
from exstrat_app.state.token_rows import (
    holding_row,
    movement_row,
    summary_of,
    target_line,
    trade_row,
    transfer_row,
)

PAGE_SIZE = 10
CHART_DAYS = 120
CHART_STEP = Decimal("1E-8")  # a derived euro close: more digits would draw nothing more


class TokenPage(NamedTuple):
    view: TokenView
    targets: list[strategies.LadderTarget]
    quote: str  # the reporting currency the figures and the ladders drawn are in


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _add_opening(user_id: str, asset: str, quantity: str, total_cost: str, at: str) -> None:
    redis = bootstrap.redis()

    def rebuild(session: Any, user: str) -> None:
        recompute_for_user(session, user, redis=redis)

    with bootstrap.unit_of_work() as session:
        openings.add_opening(
            session, user_id=user_id, asset=asset, quantity=quantity.strip(),
            total_cost=total_cost.strip(), at=at.strip(), rebuild=rebuild,
        )  # fmt: skip


def _view(user_id: str, asset: str, trades_page: int, transfers_page: int) -> TokenPage:
    with bootstrap.unit_of_work() as session:
        quote = user_quote(session, user_id)
        view = token_view(
            session,
            user_id=user_id,
            asset=asset,
            prices=bootstrap.price_provider().last_prices,
            page=trades_page,
            page_size=PAGE_SIZE,
            transfers_page=transfers_page,
            quote=quote,
        )
        targets = strategies.ladder_targets(session, user_id=user_id, asset=asset, quote=quote)
    return TokenPage(view, targets, currency_of(view, quote))


def _quote_of_user(user_id: str) -> str:
    with bootstrap.unit_of_work() as session:
        return user_quote(session, user_id)


def _closes(asset: str, quote: str) -> list[tuple[Any, str]]:
    """Daily closes in `quote`. In euros: ASSET/EUR where Binance lists it, else each day's
    ASSET/USDT close divided by that day's EUR/USDT close (how docs/currencies.md values a
    day in euros)."""
    redis = bootstrap.redis()
    closes = daily_closes(asset, quote=quote, days=CHART_DAYS, redis=redis)
    if closes or quote != EUR:
        return closes
    rates = dict(daily_closes(EUR, quote="USDT", days=CHART_DAYS, redis=redis))
    derived = []
    for day, close in daily_closes(asset, quote="USDT", days=CHART_DAYS, redis=redis):
        rate = Decimal(rates[day]) if day in rates else Decimal(0)
        if rate > 0:
            with localcontext(MONEY_CONTEXT):
                price = (Decimal(close) / rate).quantize(CHART_STEP)
            derived.append((day, chart_number(price)))
    return derived


def _history(user_id: str, asset: str) -> tuple[str, list[dict[str, str]]]:
    """The chart's points in the user's currency: one shared ccxt instance per process, the
    candles cached in Redis."""
    quote = _quote_of_user(user_id)
    closes = _closes(asset, quote)
    return quote, [{"day": day.strftime("%Y-%m-%d"), "close": close} for day, close in closes]


@user_data
class TokenState(rx.State):
    found: bool = False
    loading: bool = True  # until the first load answers (no flash of "not found")
    summary: dict[str, str] = {}
    trades: list[dict[str, str]] = []
    transfers: list[dict[str, str]] = []
    movements: list[dict[str, str]] = []
    movements_total: int = 0
    holdings: list[dict[str, str]] = []
    unvalued: list[str] = []
    # The "Add an opening position" dialog.
    opening_open: bool = False
    opening_quantity: str = ""
    opening_cost: str = ""
    opening_date: str = ""
    opening_error: str = ""
    opening_fields: dict[str, str] = {}
    opening_saving: bool = False
    trades_page: int = 1
    trades_pages: int = 1
    transfers_page: int = 1
    transfers_pages: int = 1
    chart: list[dict[str, str]] = []
    avg_line: str = ""
    targets: list[dict[str, str]] = []
    quote: str = "USDT"  # the reporting currency of the figures ("EUR" or "USDT")
    chart_quote: str = "USDT"  # the chart's closes and ladders (the same, once both load)
    error: str = ""
    _asset: str = ""

    @rx.var
    def money_signed(self) -> bool:
        """The figures are written with the currency's sign (euros), not as bare figures."""
        return with_sign(self.quote)

    def _route_asset(self) -> str:
        return str(self.router._page.params.get("symbol", "")).upper()

    @rx.event
    def open_page(self) -> Any:
        """on_load: a new symbol starts from page 1 and shows nothing of the previous one."""
        asset = self._route_asset()
        if asset != self._asset:
            self.reset()
            self._asset = asset
        if str(self.router._page.params.get("opening", "")) == "1":
            self._open_opening()
        return [TokenState.load, TokenState.load_chart]

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            asset, pages = self._asset, (self.trades_page, self.transfers_page)
            self.loading = True
        result: TokenPage | None = None
        if is_ticker(asset):
            try:
                result = await asyncio.to_thread(_view, user_id, asset, *pages)
            except ServiceError as exc:
                async with self:
                    self.loading, self.error = False, error_text(exc)
                return
        async with self:
            if asset != self._asset:
                return None
            self.loading = False
            self._fill(asset, result)
            found = self.found
        # Then the position's history, once the page's own figures are shown (a third
        # background task beside them held them up: see PortfolioState.load).
        return PositionHistoryState.load if found else None

    def _fill(self, asset: str, result: TokenPage | None) -> None:
        view = result.view if result is not None else None
        self.trades_pages = _pages(view.trades_total) if view is not None else 1
        self.transfers_pages = _pages(view.transfers_total) if view is not None else 1
        self.found = view is not None and bool(view.position or view.trades or view.transfers)
        if result is None or view is None or not self.found:
            return
        self.quote = result.quote
        self.summary = summary_of(asset, view)
        self.trades = [trade_row(t) for t in view.trades]
        self.movements = [movement_row(m) for m in view.movements]
        self.movements_total = view.movements_total
        self.holdings = [holding_row(h) for h in view.holdings]
        self.unvalued = [render(u.text) for u in view.unvalued]
        if self.opening_open and not self.opening_quantity:
            self.opening_quantity = self.summary.get("unexplained_qty", "")
        self.transfers = [transfer_row(t) for t in view.transfers]
        avg = view.position.avg_price if view.position is not None else None
        self.avg_line = chart_number(avg) if avg is not None else ""
        self.targets = [target_line(t) for t in result.targets]

    @rx.event(background=True)
    async def load_chart(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:  # no session, no exchange request
                return TO_LOGIN
            asset, quote = self._asset, self.chart_quote
        points: list[dict[str, str]] = []
        if is_ticker(asset):
            quote, points = await asyncio.to_thread(_history, user_id, asset)
        async with self:
            if asset == self._asset:
                self.chart, self.chart_quote = points, quote
        return None

    @rx.event
    def trades_to(self, page: int) -> Any:
        self.trades_page = max(1, min(page, self.trades_pages))
        return TokenState.load

    @rx.event
    def transfers_to(self, page: int) -> Any:
        self.transfers_page = max(1, min(page, self.transfers_pages))
        return TokenState.load

    # ---- the "Add an opening position" dialog

    def _open_opening(self) -> None:
        unexplained = self.summary.get("unexplained_qty", "") if self.summary else ""
        self.opening_quantity = unexplained
        self.opening_cost = ""
        self.opening_date = ""
        self.opening_error, self.opening_fields = "", {}
        self.opening_open = True

    @rx.event
    def open_opening(self) -> None:
        self._open_opening()

    @rx.event
    def set_opening_open(self, value: bool) -> None:
        self.opening_open = value

    @rx.event
    def set_opening_quantity(self, value: str) -> None:
        self.opening_quantity = value

    @rx.event
    def set_opening_cost(self, value: str) -> None:
        self.opening_cost = value

    @rx.event
    def set_opening_date(self, value: str) -> None:
        self.opening_date = value

    @rx.event(background=True)
    async def save_opening(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            if self.opening_saving:
                return None
            self.opening_saving = True
            args = (self._asset, self.opening_quantity, self.opening_cost, self.opening_date)
        try:
            await asyncio.to_thread(_add_opening, user_id, *args)
        except ServiceError as exc:
            async with self:
                self.opening_saving = False
                self.opening_error = error_text(exc)
                self.opening_fields = (
                    field_texts(exc.fields) if isinstance(exc, InvalidInput) else {}
                )
            return None
        async with self:
            self.opening_saving, self.opening_open = False, False
            self.opening_error, self.opening_fields = "", {}
        return TokenState.load

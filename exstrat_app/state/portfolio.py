"""/portfolio: the consolidated positions of the signed-in user, in USDT, USDC or EUR.

The quote starts on the user's reporting currency (EUR for a euro user, else USDT), read
with the view each load until the user picks one with the switch (docs/currencies.md).

The service computes (typed rows of Decimals); this state only turns its rows into display
text, keeps the chosen sort and quote, and a small allocation series for the pie chart. The
browser gets the display text only; the exact figures (for sorting and for prefilling the
strategy dialog) stay on the server in `_figures`, which keeps a 300-asset page light.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.domain.money import fmt, is_stable
from exstrat_app.i18n import _
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.exchanges import accounts
from exstrat_app.services.portfolio.views import PortfolioRow, PortfolioTotals, portfolio_view
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.charts import money_shown, price_shown, with_sign
from exstrat_app.state.display import (
    ago_text,
    currency_of,
    money_in,
    money_text,
    pct_text,
    qty_of,
    qty_text,
    sign_of,
    signed_money_in,
    signed_money_text,
    sort_key,
)
from exstrat_app.state.field_errors import error_text
from exstrat_app.state.history import PortfolioHistoryState, user_quote

QUOTES = ("USDT", "USDC", "EUR")
SORTABLE = ("asset", "quantity", "avgPrice", "price", "value", "pnlPct")
CHART_SLICES = 7
FIRST_SCREEN_ROWS = 40  # a tall window shows ~25 rows
CHART_COLORS = ("#12a594", "#3e63dd", "#f76b15", "#8e4ec6", "#e5484d", "#ffc53d", "#30a46c",
                "#8b8d98")  # fmt: skip


class PortfolioPage(NamedTuple):
    rows: tuple[PortfolioRow, ...]
    totals: PortfolioTotals
    has_accounts: bool
    last_sync_at: datetime | None
    currency: str  # what the figures count in: the view's currency, else the quote asked
    quote: str  # the quote the view was asked in


def _view(user_id: str, quote: str | None) -> PortfolioPage:
    """Rows, totals, whether any account exists, and the last sync (runs in a thread), in
    `quote`, or in the user's reporting currency when None."""
    with bootstrap.unit_of_work() as session:
        quote = quote or user_quote(session, user_id)
        accts = accounts.list_accounts(session, user_id=user_id)
        view = portfolio_view(
            session, user_id=user_id, prices=bootstrap.price_provider().last_prices, quote=quote
        )
    synced = [a.last_sync_at for a in accts if a.last_sync_at is not None]
    last = max(synced) if synced else None
    return PortfolioPage(view.rows, view.totals, bool(accts), last, currency_of(view, quote), quote)


# The sortable columns' figures of a row (the column names are the page's).
_COLUMN_FIGURE: dict[str, Callable[[PortfolioRow], Decimal | None]] = {
    "quantity": lambda r: r.quantity,
    "avgPrice": lambda r: r.avg_price,
    "price": lambda r: r.price,
    "value": lambda r: r.value,
    "pnlPct": lambda r: r.pnl_pct,
}
RAW_KEYS = tuple(_COLUMN_FIGURE)


def raw_row(row: PortfolioRow | None) -> dict[str, str]:
    """The exact decimal text of a row's figures ("" when unknown), e.g. to prefill a form."""
    if row is None:
        return {key: "" for key in RAW_KEYS}
    figures = {key: figure(row) for key, figure in _COLUMN_FIGURE.items()}
    return {key: "" if value is None else fmt(value) for key, value in figures.items()}


def display_row(row: PortfolioRow, currency: str = "USDT") -> dict[str, str]:
    """One service row as the text the table shows: bare figures in a USD quote (the quote
    is named above the table), with the sign in euros ("€2,000.00" / "2 000,00 €")."""
    asset = row.asset
    return {
        "asset": asset,
        "quantity": qty_text(row.quantity),
        "avg_price": price_shown(row.avg_price, currency),
        "price": price_shown(row.price, currency),
        "value": money_shown(row.value, currency),
        "pnl_pct": pct_text(row.pnl_pct),
        "pnl_sign": str(sign_of(row.pnl_pct)),
        "unexplained": qty_of(row.unexplained, asset) if row.unexplained else "",
        "stable": "1" if is_stable(asset) else "",
    }


def sorted_rows(
    rows: list[dict[str, str]], figures: dict[str, PortfolioRow], column: str, desc: bool
) -> list[dict[str, str]]:
    """The display rows in the order of a column's exact figures (unknown ones smallest)."""
    if column == "asset":
        return sorted(rows, key=lambda r: r["asset"], reverse=desc)
    figure = _COLUMN_FIGURE[column]
    return sorted(rows, key=lambda r: sort_key(figure(figures[r["asset"]])), reverse=desc)


def allocation(figures: dict[str, PortfolioRow]) -> list[dict[str, Any]]:
    """The biggest positions by value, the rest as "Other". Slices are whole cents (ints):
    the figures shown as text come from the Decimals."""
    valued = [(asset, r.value or Decimal(0)) for asset, r in figures.items()]
    valued = sorted([v for v in valued if v[1] > 0], key=lambda v: v[1], reverse=True)
    head, tail = valued[:CHART_SLICES], valued[CHART_SLICES:]
    if tail:
        head.append((_("Other"), sum((v for _name, v in tail), Decimal(0))))
    total = sum((v for _name, v in head), Decimal(0))
    return [
        {
            "name": name,
            "value": int((value * 100).to_integral_value()),  # cents: pie slices need numbers
            "share": pct_text(value * 100 / total, 1, signed=False) if total else "",
            "fill": CHART_COLORS[i % len(CHART_COLORS)],
        }
        for i, (name, value) in enumerate(head)
    ]


def totals_text(totals: PortfolioTotals, currency: str = "USDT") -> dict[str, str]:
    """The totals as figures ("13,996.50") and as money in the reporting currency
    ("$13,996.50" / "13 996,50 €": the `*_money` keys)."""
    return {
        "value": money_text(totals.value),
        "pnl": signed_money_text(totals.pnl),
        "pnl_sign": str(sign_of(totals.pnl)),
        "realized": signed_money_text(totals.realized_pnl),
        "value_money": money_in(totals.value, currency),
        "pnl_money": signed_money_in(totals.pnl, currency),
        "realized_money": signed_money_in(totals.realized_pnl, currency),
    }


@user_data
class PortfolioState(rx.State):
    quote: str = "USDT"  # the switch; the user's currency until `_picked`
    currency: str = "USDT"  # what the figures count in (the view's; "EUR" or a USD quote)
    rows: list[dict[str, str]] = []
    asset_count: int = 0
    totals: dict[str, str] = {}
    chart: list[dict[str, Any]] = []
    sort_column: str = "value"
    sort_desc: bool = True
    loading: bool = False
    loaded: bool = False
    has_accounts: bool = True
    last_sync: str = ""
    error: str = ""
    _figures: dict[str, PortfolioRow] = {}  # asset -> the service's row (exact Decimals)
    _rows: list[dict[str, str]] = []  # every display row (`rows` may hold the first screen)
    _picked: bool = False  # the user chose a quote with the switch (else: their currency)

    @rx.var
    def money_signed(self) -> bool:
        """The totals are written with the currency's sign (euros), not as bare figures."""
        return with_sign(self.currency)

    def _asked(self) -> str | None:
        """The quote a load asks for: the one picked, else None (the user's currency)."""
        return self.quote if self._picked else None

    def _row_of(self, asset: str) -> PortfolioRow | None:
        """The service's row of one asset (exact Decimals), e.g. for the strategy dialog."""
        return self._figures.get(asset)

    def _raw_of(self, asset: str) -> dict[str, str]:
        """The exact decimal text of one row's figures (the strategy dialog's prefill)."""
        return raw_row(self._figures.get(asset))

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            self.loading, asked = True, self._asked()
        try:
            page = await asyncio.to_thread(_view, user_id, asked)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the page stays usable
            async with self:
                self.loading, self.error = False, _problem(exc)
            return
        rows = [display_row(r, page.currency) for r in page.rows]
        figures = {r.asset: r for r in page.rows}
        quote = page.quote
        async with self:
            if asked != self._asked():  # switched meanwhile; that load will land
                return
            self.quote = quote
            self._figures, self._rows = figures, rows
            ordered = sorted_rows(rows, figures, self.sort_column, self.sort_desc)
            # Measured: the browser's time goes into rendering rows. Rows the tab
            # already shows (a second visit) are only sent again when they changed; a first
            # visit gets the first screen in a delta of its own, drawn while the rest of a
            # big portfolio is still on its way.
            in_steps = not self.rows and len(ordered) > FIRST_SCREEN_ROWS
            if in_steps:
                self.rows = ordered[:FIRST_SCREEN_ROWS]
            elif ordered != self.rows:
                self.rows = ordered
            self.asset_count = len(ordered)
            self.chart = allocation(figures)
            self.totals = totals_text(page.totals, page.currency)
            self.currency = page.currency
            self.has_accounts = page.has_accounts
            self.last_sync = ago_text(page.last_sync_at)
            self.loaded, self.error = True, ""
            self.loading = in_steps
        if in_steps:
            async with self:
                if quote == self.quote:  # in the order chosen meanwhile, if any
                    self.rows = sorted_rows(
                        self._rows, self._figures, self.sort_column, self.sort_desc
                    )
                self.loading = False
        # The history chart loads after the rows, not beside them: two background tasks of
        # one tab wait on each other's state lock (seen: the rows stuck for seconds).
        return PortfolioHistoryState.load_in(quote)

    @rx.event
    def leave(self) -> None:
        """The page unmounted: the browser forgets the rows (a big table is drawn again in
        two steps on the next visit); the server keeps them for sorting and the dialog."""
        self.rows, self.loaded = [], False

    @rx.event
    def set_quote(self, quote: str | list[str]) -> Any:
        if isinstance(quote, str) and quote in QUOTES and quote != self.quote:
            self.quote, self._picked = quote, True
            return PortfolioState.load
        return None

    @rx.event
    def sort_by(self, column: str) -> None:
        if column not in SORTABLE:
            return
        if column == self.sort_column:
            self.sort_desc = not self.sort_desc
        else:
            self.sort_column, self.sort_desc = column, column != "asset"
        self.rows = sorted_rows(self._rows, self._figures, self.sort_column, self.sort_desc)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ServiceError):
        return error_text(exc)
    return _("The portfolio could not be loaded; please try again in a moment.")

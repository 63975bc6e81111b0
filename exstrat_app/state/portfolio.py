"""/portfolio: the consolidated positions of the signed-in user, in USDT or USDC.

The service computes (Decimal); this state only turns its rows into display text, keeps the
chosen sort and quote, and a small allocation series for the pie chart. The browser gets the
display text only; the exact decimal strings (for sorting and for prefilling the strategy
dialog) stay on the server in `_raw`, which keeps a 300-asset page light.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import reflex as rx

from exstrat_app.domain.money import is_stable
from exstrat_app.infra.db.engine import session_scope
from exstrat_app.state.display import (
    ago_text,
    dec,
    money_text,
    pct_text,
    price_text,
    qty_text,
    sign_of,
    signed_money_text,
    sort_key,
)
from exstrat_app.state.session import TO_LOGIN, current_user_id, user_data

QUOTES = ("USDT", "USDC")
SORTABLE = ("asset", "quantity", "avgPrice", "price", "value", "pnlPct")
CHART_SLICES = 7
CHART_COLORS = ("#12a594", "#3e63dd", "#f76b15", "#8e4ec6", "#e5484d", "#ffc53d", "#30a46c",
                "#8b8d98")  # fmt: skip


def _view(user_id: str, quote: str) -> dict[str, Any]:
    """Rows, totals, whether any account exists, and the last sync (runs in a thread)."""
    from exstrat_app.services.exchanges import accounts
    from exstrat_app.services.portfolio import rebuild as portfolio

    with session_scope() as session:
        accts = accounts.list_accounts(session, user_id=user_id)
        view = portfolio.portfolio_view(session, user_id=user_id, quote=quote)
    synced = [a.last_sync_at for a in accts if a.last_sync_at is not None]
    return {
        "rows": view.rows,
        "totals": view.totals,
        "hasAccounts": bool(accts),
        "lastSyncAt": max(synced) if synced else None,
    }


RAW_KEYS = ("quantity", "avgPrice", "price", "value", "pnlPct")


def raw_row(row: dict[str, Any]) -> dict[str, str]:
    """The exact decimal strings of a service row ("" when unknown)."""
    return {key: str(row.get(key) or "") for key in RAW_KEYS}


def display_row(row: dict[str, Any]) -> dict[str, str]:
    """One service row as the text the table shows."""
    asset = str(row["asset"])
    qty, avg, price, value = row["quantity"], row["avgPrice"], row["price"], row["value"]
    unexplained = dec(row.get("unexplained"))
    return {
        "asset": asset,
        "quantity": qty_text(qty),
        "avg_price": price_text(avg),
        "price": price_text(price),
        "value": money_text(value),
        "pnl_pct": pct_text(row.get("pnlPct")),
        "pnl_sign": str(sign_of(row.get("pnlPct"))),
        "unexplained": f"{qty_text(unexplained)} {asset}" if unexplained else "",
        "stable": "1" if is_stable(asset) else "",
    }


def sorted_rows(
    rows: list[dict[str, str]], raw: dict[str, dict[str, str]], column: str, desc: bool
) -> list[dict[str, str]]:
    if column == "asset":
        return sorted(rows, key=lambda r: r["asset"], reverse=desc)
    return sorted(rows, key=lambda r: sort_key(raw[r["asset"]][column]), reverse=desc)


def allocation(raw: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """The biggest positions by value, the rest as "Other". Slices are whole cents (ints):
    the figures shown as text come from the Decimal strings."""
    valued = [(asset, dec(r["value"]) or Decimal(0)) for asset, r in raw.items()]
    valued = sorted([v for v in valued if v[1] > 0], key=lambda v: v[1], reverse=True)
    head, tail = valued[:CHART_SLICES], valued[CHART_SLICES:]
    if tail:
        head.append(("Other", sum((v for _, v in tail), Decimal(0))))
    total = sum((v for _, v in head), Decimal(0))
    return [
        {
            "name": name,
            "value": int((value * 100).to_integral_value()),  # cents: pie slices need numbers
            "share": pct_text(value * 100 / total, 1).lstrip("+") if total else "",
            "fill": CHART_COLORS[i % len(CHART_COLORS)],
        }
        for i, (name, value) in enumerate(head)
    ]


@user_data
class PortfolioState(rx.State):
    quote: str = "USDT"
    rows: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    chart: list[dict[str, Any]] = []
    sort_column: str = "value"
    sort_desc: bool = True
    loading: bool = False
    loaded: bool = False
    has_accounts: bool = True
    last_sync: str = ""
    error: str = ""
    _raw: dict[str, dict[str, str]] = {}  # asset -> exact decimal strings

    def _raw_of(self, asset: str) -> dict[str, str]:
        return self._raw.get(asset, {key: "" for key in RAW_KEYS})

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            self.loading, quote = True, self.quote
        try:
            view = await asyncio.to_thread(_view, user_id, quote)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the page stays usable
            async with self:
                self.loading, self.error = False, _problem(exc)
            return
        rows = [display_row(r) for r in view["rows"]]
        raw = {str(r["asset"]): raw_row(r) for r in view["rows"]}
        async with self:
            if quote != self.quote:  # switched again meanwhile; that load will land
                return
            self._raw = raw
            self.rows = sorted_rows(rows, raw, self.sort_column, self.sort_desc)
            self.chart = allocation(raw)
            self.totals = _totals(view["totals"])
            self.has_accounts = view["hasAccounts"]
            self.last_sync = ago_text(view["lastSyncAt"]) if view["lastSyncAt"] else "never"
            self.loading, self.loaded, self.error = False, True, ""

    @rx.event
    def set_quote(self, quote: str | list[str]) -> Any:
        if isinstance(quote, str) and quote in QUOTES and quote != self.quote:
            self.quote = quote
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
        self.rows = sorted_rows(self.rows, self._raw, self.sort_column, self.sort_desc)


def _totals(totals: dict[str, Any]) -> dict[str, str]:
    return {
        "value": money_text(totals.get("value")),
        "pnl": signed_money_text(totals.get("pnl")),
        "pnl_sign": str(sign_of(totals.get("pnl"))),
        "realized": signed_money_text(totals.get("realizedPnl")),
    }


def _problem(exc: Exception) -> str:
    from exstrat_app.services.errors import ServiceError

    if isinstance(exc, ServiceError):
        return exc.message
    if isinstance(exc, ImportError):
        return "The portfolio is not available yet."
    return "The portfolio could not be loaded; please try again in a moment."

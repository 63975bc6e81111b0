"""/tokens/[symbol]: one asset of the signed-in user: position, P&L, trades, transfers, chart.

The chart's points are the decimal strings themselves (recharts scales numeric strings);
the average price and every pending ladder target are drawn as reference lines.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import reflex as rx

from exstrat_app.infra.db.engine import session_scope
from exstrat_app.services.errors import NotFound, ServiceError
from exstrat_app.services.strategies import commands as strategies
from exstrat_app.state.display import (
    DASH,
    dec,
    money_text,
    pct_text,
    price_text,
    qty_text,
    sign_of,
    signed_money_text,
    when_text,
)
from exstrat_app.state.session import TO_LOGIN, current_user_id, user_data

PAGE_SIZE = 10
CHART_DAYS = 120
ASSET_RE = re.compile(r"^[A-Z0-9]{1,20}$")


def _pages(total: object) -> int:
    count = int(total) if isinstance(total, int) else 0
    return max(1, -(-count // PAGE_SIZE))


def trade_row(t: dict[str, Any]) -> dict[str, str]:
    fee = t.get("feeCost")
    return {
        "when": when_text(t.get("ts")),
        "symbol": str(t.get("symbol") or ""),
        "side": str(t.get("side") or ""),
        "amount": qty_text(t.get("amount")),
        "price": price_text(t.get("price")),
        "cost": f"{qty_text(t.get('cost'))} {_quote_of(t.get('symbol'))}".strip(),
        "fee": f"{qty_text(fee)} {t.get('feeAsset') or ''}".strip() if dec(fee) else DASH,
        "account": str(t.get("exchange") or ""),
    }


def _quote_of(symbol: object) -> str:
    return str(symbol).split("/")[1] if isinstance(symbol, str) and "/" in symbol else ""


def transfer_row(t: dict[str, Any]) -> dict[str, str]:
    fee = t.get("feeCost")
    return {
        "when": when_text(t.get("ts")),
        "type": str(t.get("type") or ""),
        "amount": qty_text(t.get("amount")),
        "fee": qty_text(fee) if dec(fee) else DASH,
        "status": str(t.get("status") or ""),
        "account": str(t.get("exchange") or ""),
    }


def summary_of(asset: str, view: dict[str, Any]) -> dict[str, str]:
    position = view.get("position") or {}
    pnl = view.get("pnl") or {}
    realized, unrealized = pnl.get("realized"), pnl.get("unrealized")
    unexplained = dec(position.get("unexplained"))
    unknown = dec(position.get("costUnknownQty"))
    return {
        "asset": asset,
        "quantity": qty_text(position.get("quantity")),
        "avg_price": price_text(position.get("avgPrice")),
        "price": price_text(position.get("price")),
        "value": money_text(position.get("value")),
        "realized": signed_money_text(realized),
        "realized_sign": str(sign_of(realized)),
        "unrealized": signed_money_text(unrealized),
        "unrealized_sign": str(sign_of(unrealized)),
        "pnl_pct": pct_text(position.get("pnlPct")),
        "unexplained": f"{qty_text(unexplained)} {asset}" if unexplained else "",
        "cost_unknown": f"{qty_text(unknown)} {asset}" if unknown else "",
    }


def _view(user_id: str, asset: str, trades_page: int, transfers_page: int) -> dict[str, Any]:
    from exstrat_app.services.portfolio import rebuild as portfolio

    with session_scope() as session:
        view = portfolio.token_view(
            session, user_id=user_id, asset=asset, page=trades_page, page_size=PAGE_SIZE
        )
        if transfers_page != trades_page:
            other = portfolio.token_view(
                session, user_id=user_id, asset=asset, page=transfers_page, page_size=PAGE_SIZE
            )
            view = {**view, "transfers": other["transfers"]}
        ladders = strategies.list_strategies(session, user_id=user_id)
    targets = [
        {
            "price": step["targetPrice"],
            "label": f"+{step['targetPct']} %" + ("" if step["state"] == "pending" else " ✓"),
        }
        for ladder in ladders
        if ladder["asset"] == asset and ladder["status"] != "completed"
        for step in ladder["steps"]
    ]
    return {"view": view, "targets": targets}


def _history(asset: str) -> list[dict[str, str]]:
    from exstrat_app.services.portfolio.prices import daily_closes

    return [
        {"day": day.strftime("%Y-%m-%d"), "close": close}
        for day, close in daily_closes(asset, days=CHART_DAYS)
    ]


@user_data
class TokenState(rx.State):
    found: bool = False
    loading: bool = True  # until the first load answers (no flash of "not found")
    summary: dict[str, str] = {}
    trades: list[dict[str, str]] = []
    transfers: list[dict[str, str]] = []
    trades_page: int = 1
    trades_pages: int = 1
    transfers_page: int = 1
    transfers_pages: int = 1
    chart: list[dict[str, str]] = []
    avg_line: str = ""
    targets: list[dict[str, str]] = []
    error: str = ""
    _asset: str = ""

    def _route_asset(self) -> str:
        return str(self.router._page.params.get("symbol", "")).upper()

    @rx.event
    def open_page(self) -> Any:
        """on_load: a new symbol starts from page 1 and shows nothing of the previous one."""
        asset = self._route_asset()
        if asset != self._asset:
            self.reset()
            self._asset = asset
        return [TokenState.load, TokenState.load_chart]

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            asset, pages = self._asset, (self.trades_page, self.transfers_page)
            self.loading = True
        if not ASSET_RE.fullmatch(asset):
            result = None
        else:
            try:
                result = await asyncio.to_thread(_view, user_id, asset, *pages)
            except NotFound:
                result = None
            except (ServiceError, ImportError) as exc:
                async with self:
                    self.loading = False
                    self.error = getattr(exc, "message", "This page is not available yet.")
                return
        async with self:
            if asset != self._asset:
                return
            self.loading = False
            self._fill(asset, result)

    def _fill(self, asset: str, result: dict[str, Any] | None) -> None:
        view: dict[str, Any] = result["view"] if result else {}
        position = view.get("position") or {}
        trades, transfers = view.get("trades") or [], view.get("transfers") or []
        self.trades_pages = _pages(view.get("tradesTotal"))
        self.transfers_pages = _pages(view.get("transfersTotal"))
        self.found = bool(view) and bool(position or trades or transfers)
        if not self.found:
            return
        self.summary = summary_of(asset, view)
        self.trades = [trade_row(t) for t in trades]
        self.transfers = [transfer_row(t) for t in transfers]
        avg = dec(position.get("avgPrice"))
        self.avg_line = str(avg) if avg is not None else ""
        self.targets = [
            {"price": str(dec(t["price"])), "label": t["label"]} for t in result["targets"]
        ]

    @rx.event(background=True)
    async def load_chart(self) -> None:
        async with self:
            asset = self._asset
        points = await asyncio.to_thread(_history, asset) if ASSET_RE.fullmatch(asset) else []
        async with self:
            if asset == self._asset:
                self.chart = points

    @rx.event
    def trades_to(self, page: int) -> Any:
        self.trades_page = max(1, min(page, self.trades_pages))
        return TokenState.load

    @rx.event
    def transfers_to(self, page: int) -> Any:
        self.transfers_page = max(1, min(page, self.transfers_pages))
        return TokenState.load

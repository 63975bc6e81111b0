"""/tokens/[symbol]: one asset of the signed-in user: position, P&L (realized, unrealized,
income), every movement with its kind, where the coins sit, what could not be valued, trades,
transfers, chart; and the "Add an opening position" dialog (`?opening=1` opens it).

The chart's points are numeric strings (recharts scales them); the average price and every
target of the open ladders on the asset are drawn as reference lines.
"""

from __future__ import annotations

import asyncio
from typing import Any, NamedTuple

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.domain.assets import is_ticker
from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_, _, render
from exstrat_app.services import strategies
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.services.portfolio import openings
from exstrat_app.services.portfolio.movements import MovementLine
from exstrat_app.services.portfolio.prices import daily_closes
from exstrat_app.services.portfolio.rebuild import recompute_for_user
from exstrat_app.services.portfolio.token import (
    HoldingLine,
    TokenView,
    TradeLine,
    TransferLine,
    token_view,
)
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.display import (
    DASH,
    chart_number,
    currency_of,
    exact_pct_text,
    money_in,
    money_text,
    pct_text,
    price_text,
    qty_of,
    qty_text,
    sign_of,
    signed_money_in,
    signed_money_text,
    when_text,
)
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.history import PositionHistoryState

PAGE_SIZE = 10
CHART_DAYS = 120


class TokenPage(NamedTuple):
    view: TokenView
    targets: list[strategies.LadderTarget]


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


# The words of a trade's side and a transfer's type and status (unknown ones as they come).
SIDE_WORDS = {"buy": N_("buy"), "sell": N_("sell")}
TRANSFER_WORDS = {"deposit": N_("deposit"), "withdrawal": N_("withdrawal"), "ok": N_("ok"),
                  "pending": N_("pending"), "failed": N_("failed"),
                  "canceled": N_("cancelled"), "cancelled": N_("cancelled")}  # fmt: skip


def _word(words: dict[str, str], value: str) -> str:
    return render(words.get(value, value))


def trade_row(t: TradeLine) -> dict[str, str]:
    return {
        "when": when_text(t.ts),
        "symbol": t.symbol,
        "side": _word(SIDE_WORDS, t.side),
        "amount": qty_text(t.amount),
        "price": price_text(t.price),
        "cost": _amount_of(t.cost, _quote_of(t.symbol)),
        "fee": _amount_of(t.fee_cost, t.fee_asset or "") if t.fee_cost else DASH,
        "account": t.exchange,
    }


def _amount_of(value: object, asset: str) -> str:
    """ "12.5 USDT", or the bare quantity when the asset is unknown."""
    return qty_of(value, asset) if asset else qty_text(value)


def _quote_of(symbol: str) -> str:
    return symbol.split("/")[1] if "/" in symbol else ""


def transfer_row(t: TransferLine) -> dict[str, str]:
    return {
        "when": when_text(t.ts),
        "type": _word(TRANSFER_WORDS, t.type),
        "amount": qty_text(t.amount),
        "fee": qty_text(t.fee_cost) if t.fee_cost else DASH,
        "status": _word(TRANSFER_WORDS, t.status),
        "account": t.exchange,
    }


# Lazy messages (the English text until rendered where they are shown).
KIND_LABELS = {"trade": N_("Trade"), "convert": N_("Convert"), "card": N_("Card buy/sell"),
               "dust": N_("Dust"), "simple": N_("Buy/Sell"), "income": N_("Income"),
               "deposit": N_("Deposit"), "withdrawal": N_("Withdrawal"),
               "opening": N_("Opening position"), "unclassified": N_("Unclassified")}  # fmt: skip
WALLET_LABELS = {"spot": N_("Spot"), "funding": N_("Funding"),
                 "earn_flexible": N_("Earn (flexible)"),
                 "earn_locked": N_("Earn (locked)")}  # fmt: skip


def movement_row(m: MovementLine) -> dict[str, str]:
    amount = qty_text(m.amount)
    detail = m.symbol or m.source or ""
    if m.kind == "opening" and m.cost is not None:
        cost = qty_of(m.cost, "USDT")
        detail = (
            _("cost {cost} · {source}", cost=cost, source=m.source)
            if m.source
            else _("cost {cost}", cost=cost)
        )
    return {
        "when": when_text(m.ts),
        "kind": m.kind,
        "label": render(KIND_LABELS.get(m.kind, m.kind)),
        "amount": amount if m.amount < 0 else f"+{amount}",
        "detail": detail,
        "account": m.exchange or _("entered by you"),
    }


def holding_row(h: HoldingLine) -> dict[str, str]:
    return {
        "account": h.nickname or h.exchange.capitalize(),
        "wallet": render(WALLET_LABELS.get(h.wallet, h.wallet)),
        "quantity": qty_text(h.quantity),
    }


def _add_opening(user_id: str, asset: str, quantity: str, total_cost: str, at: str) -> None:
    redis = bootstrap.redis()

    def rebuild(session: Any, user: str) -> None:
        recompute_for_user(session, user, redis=redis)

    with bootstrap.unit_of_work() as session:
        openings.add_opening(
            session, user_id=user_id, asset=asset, quantity=quantity.strip(),
            total_cost=total_cost.strip(), at=at.strip(), rebuild=rebuild,
        )  # fmt: skip


def summary_of(asset: str, view: TokenView) -> dict[str, str]:
    """The figures ("13,996.50"), and the money ones with the reporting currency too
    ("$13,996.50" / "13 996,50 €": the `*_money` keys)."""
    position = view.position
    currency = currency_of(view, "USDT")
    realized, unrealized = view.realized_pnl, view.unrealized_pnl
    unexplained = position.unexplained if position is not None else None
    unknown = position.cost_unknown_qty if position is not None else None
    return {
        "asset": asset,
        "quantity": qty_text(position.quantity if position else None),
        "avg_price": price_text(position.avg_price if position else None),
        "price": price_text(position.price if position else None),
        "value": money_text(position.value if position else None),
        "realized": signed_money_text(realized),
        "income": money_text(view.income),
        "unexplained_qty": fmt(unexplained) if unexplained and unexplained > 0 else "",
        "realized_sign": str(sign_of(realized)),
        "unrealized": signed_money_text(unrealized),
        "unrealized_sign": str(sign_of(unrealized)),
        "pnl_pct": pct_text(position.pnl_pct if position else None),
        "unexplained": qty_of(unexplained, asset) if unexplained else "",
        "cost_unknown": qty_of(unknown, asset) if unknown else "",
        "value_money": money_in(position.value if position else None, currency),
        "realized_money": signed_money_in(realized, currency),
        "unrealized_money": signed_money_in(unrealized, currency),
        "income_money": money_in(view.income, currency),
    }


def target_line(target: strategies.LadderTarget) -> dict[str, str]:
    """A reference line of the chart: a reached target is ticked."""
    return {
        "price": chart_number(target.target_price),
        "label": exact_pct_text(target.target_pct, signed=True) + (" ✓" if target.reached else ""),
    }


def _view(user_id: str, asset: str, trades_page: int, transfers_page: int) -> TokenPage:
    with bootstrap.unit_of_work() as session:
        view = token_view(
            session,
            user_id=user_id,
            asset=asset,
            prices=bootstrap.price_provider().last_prices,
            page=trades_page,
            page_size=PAGE_SIZE,
            transfers_page=transfers_page,
        )
        targets = strategies.ladder_targets(session, user_id=user_id, asset=asset)
    return TokenPage(view, targets)


def _history(asset: str) -> list[dict[str, str]]:
    """The chart's points: one shared ccxt instance per process, the candles cached in Redis."""
    return [
        {"day": day.strftime("%Y-%m-%d"), "close": close}
        for day, close in daily_closes(asset, days=CHART_DAYS, redis=bootstrap.redis())
    ]


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
            if await current_user_id(self) is None:  # no session, no exchange request
                return TO_LOGIN
            asset = self._asset
        points = await asyncio.to_thread(_history, asset) if is_ticker(asset) else []
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

"""/strategies (list) and /strategies/[strategy_id] (detail, actions).

Another user's strategy id gives the same empty "not found" as an unknown one: the service
scopes every read and write to the signed-in user and raises NotFound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.i18n import N_, _, render
from exstrat_app.services import strategies
from exstrat_app.services.errors import NotFound, ServiceError
from exstrat_app.services.strategies import ExecutionView, StepView, StrategyView
from exstrat_app.services.strategies.queries import strategy_total
from exstrat_app.state.base import TO_LOGIN, current_user_id, load_for_user, user_data
from exstrat_app.state.display import (
    DASH,
    dec,
    exact_pct_text,
    money_text,
    pct_text,
    price_text,
    qty_text,
    when_text,
)
from exstrat_app.state.field_errors import error_text

ACTIONS = ("pause", "resume", "complete")
# A strategy's status and a step's state in words, beside the values the pages compare
# (`status_text`, `state_text`).
STATUS_WORDS = {"active": N_("active"), "paused": N_("paused"), "completed": N_("completed")}
STATE_WORDS = {"pending": N_("pending"), "armed": N_("armed"), "triggered": N_("triggered"),
               "done": N_("done")}  # fmt: skip


def status_words(status: str) -> str:
    return render(STATUS_WORDS.get(status, status))


LIST_PAGE_SIZE = 50


def _prices(assets: Iterable[str], quote: str = "USDT") -> dict[str, Decimal]:
    """Last prices for the distance to the next target; none (shown as —) if unavailable."""
    try:
        quotes = bootstrap.price_provider().last_prices(assets, quote)
    except Exception:  # noqa: BLE001 - the list still shows without distances
        return {}
    return {asset: q.price for asset, q in quotes.items()}


def distance_text(target: object, price: Decimal | None) -> str:
    """How far the price still has to rise to reach the target, in %."""
    t = dec(target)
    if t is None or price is None or price <= 0:
        return DASH
    with localcontext(MONEY_CONTEXT):
        return pct_text((t / price - 1) * 100)


def list_row(view: StrategyView, price: Decimal | None) -> dict[str, str]:
    done, total = view.progress.triggered, view.progress.total
    next_step = view.next_step
    return {
        "id": view.id or "",
        "asset": view.asset,
        "name": view.name or "",
        "status": view.status,
        "status_text": status_words(view.status),
        "progress": f"{done} / {total}",
        "progress_pct": str(done * 100 // total if total else 0),
        "next_target": price_text(next_step.target_price) if next_step else DASH,
        "next_pct": target_pct_text(next_step) if next_step else "",
        "distance": distance_text(next_step.target_price, price) if next_step else DASH,
        "price": price_text(price),
        "created": when_text(view.created_at),
    }


class StrategyPage(NamedTuple):
    rows: list[dict[str, str]]
    total: int
    page: int


def _pages_of(total: int) -> int:
    return max(1, -(-total // LIST_PAGE_SIZE))


def _list(user_id: str, page: int) -> StrategyPage:
    """One page of the list, newest first; prices only for the assets on that page."""
    with bootstrap.unit_of_work() as session:
        total = strategy_total(session, user_id=user_id)
        page = max(1, min(page, _pages_of(total)))
        views = strategies.list_strategies(
            session, user_id=user_id, limit=LIST_PAGE_SIZE, offset=(page - 1) * LIST_PAGE_SIZE
        )
    prices = _prices({v.asset for v in views})
    return StrategyPage([list_row(v, prices.get(v.asset)) for v in views], total, page)


@user_data
class StrategiesState(rx.State):
    """The list, one page of LIST_PAGE_SIZE on the server at a time (500 strategies in one
    go took 0.9-1.5 s to show; a page of 50 is what a screen can use)."""

    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    loading: bool = False
    loaded: bool = False
    error: str = ""

    def _start(self) -> None:
        self.loading = True

    def _show(self, result: StrategyPage, error: str = "") -> None:
        self.rows, self.error, self.loading, self.loaded = result.rows, error, False, True
        self.total, self.page, self.pages = result.total, result.page, _pages_of(result.total)

    def _failed(self, exc: ServiceError) -> None:
        self._show(StrategyPage([], 0, 1), error_text(exc))

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            page = self.page
        return await load_for_user(
            self, lambda user_id: _list(user_id, page), self._show, failed=self._failed,
            start=self._start,
        )  # fmt: skip

    @rx.event
    def to_page(self, page: int) -> Any:
        self.page = max(1, min(int(page), self.pages))
        return StrategiesState.load


# ---------------------------------------------------------------- detail


def step_row(step: StepView, places: int | None) -> dict[str, str]:
    return {
        "id": step.id or "",
        "number": str(step.position + 1),
        "target_pct": target_pct_text(step),
        "sell_pct": exact_pct_text(step.sell_pct),
        "target_price": price_text(step.target_price),
        "qty_to_sell": qty_text(step.qty_to_sell, places),
        "proceeds": money_text(step.proceeds),
        "state": step.state,
        "state_text": render(STATE_WORDS.get(step.state, step.state)),
        "triggered_at": when_text(step.triggered_at) if step.triggered_at else "",
        "triggered_price": price_text(step.triggered_price),
        "rule": trailing_text(step),
    }


def target_pct_text(step: StepView) -> str:
    """+10 % as typed; a target typed as a price shows its derived % to 2 decimals."""
    if step.target_kind == "price":
        return pct_text(step.target_pct)
    return exact_pct_text(step.target_pct, signed=True)


def trailing_text(step: StepView) -> str:
    """A trailing step's state in words: where it arms, or its peak and fire price."""
    if step.trail_pct is None:
        return ""
    trail = _("trailing {pct}", pct=exact_pct_text(step.trail_pct))
    peak = price_text(step.peak_price)
    if step.state == "armed" and step.peak_price is not None:
        fire = price_text(step.fire_price)
        if step.armed_at:
            return _(
                "{trail}: armed since {when}, peak {peak}, alerts at {fire}",
                trail=trail, when=when_text(step.armed_at), peak=peak, fire=fire,
            )  # fmt: skip
        return _("{trail}: armed, peak {peak}, alerts at {fire}", trail=trail, peak=peak, fire=fire)
    if step.state == "pending":
        return _("{trail}: arms at {price}", trail=trail, price=price_text(step.target_price))
    return _("{trail}: peak {peak}", trail=trail, peak=peak)


def stop_text(view: StrategyView) -> str:
    """The stop-loss in words, empty without one."""
    stop = view.stop
    if stop is None:
        return ""
    words = {"qty": qty_text(stop.qty), "asset": view.asset, "result": money_text(stop.result),
             "quote": view.quote}  # fmt: skip
    if stop.state == "fired" and stop.fired_price is not None:
        return _(
            "fired at {price} on {when}: {result} {quote} on {qty} {asset}",
            price=price_text(stop.fired_price), when=when_text(stop.fired_at), **words,
        )  # fmt: skip
    words["price"] = price_text(stop.price)
    if stop.moved_at is not None:
        return _(
            "{price}: selling the {qty} {asset} left realises {result} {quote} (moved to "
            "break-even on {when})",
            when=when_text(stop.moved_at), **words,
        )  # fmt: skip
    if stop.break_even:
        return _(
            "{price}: selling the {qty} {asset} left realises {result} {quote} (moves to "
            "break-even after the first step)",
            **words,
        )
    return _("{price}: selling the {qty} {asset} left realises {result} {quote}", **words)


# An execution's type and status in words (unknown ones as they come).
EXECUTION_WORDS = {"alert": N_("alert"), "order": N_("order"), "alert sent": N_("alert sent"),
                   "sold": N_("sold")}  # fmt: skip


def execution_row(item: ExecutionView, places: int | None) -> dict[str, str]:
    return {
        "when": when_text(item.created_at),
        "qty": qty_text(item.executed_qty, places),
        "price": price_text(item.price),
        "type": render(EXECUTION_WORDS.get(item.execution_type, item.execution_type)),
        "status": render(EXECUTION_WORDS.get(item.status, item.status)),
    }


class _Detail(NamedTuple):
    view: StrategyView
    executions: list[ExecutionView]
    price: Decimal | None


def _detail(user_id: str, strategy_id: str) -> _Detail:
    with bootstrap.unit_of_work() as session:
        view = strategies.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)
        executions = strategies.list_executions(session, user_id=user_id, strategy_id=strategy_id)
    return _Detail(view, executions, _prices({view.asset}).get(view.asset))


def _act(user_id: str, strategy_id: str, action: str) -> None:
    with bootstrap.unit_of_work() as session:
        strategies.change_status(session, user_id=user_id, strategy_id=strategy_id, action=action)


def _step_done(user_id: str, strategy_id: str, step_id: str) -> None:
    with bootstrap.unit_of_work() as session:
        strategies.mark_step_done(
            session, user_id=user_id, step_id=step_id, strategy_id=strategy_id
        )


@user_data
class StrategyDetailState(rx.State):
    found: bool = False
    loading: bool = True  # until the first load answers (no flash of "not found")
    summary: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    executions: list[dict[str, str]] = []
    error: str = ""
    _strategy_id: str = ""

    def _route_id(self) -> str:
        return str(self.router._page.params.get("strategy_id", ""))

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            strategy_id = self._route_id()
            if strategy_id != self._strategy_id:  # another strategy: show none of the last
                self.found, self.summary, self.steps, self.executions = False, {}, [], []
            self._strategy_id, self.loading, self.error = strategy_id, True, ""
        try:
            detail = await asyncio.to_thread(_detail, user_id, strategy_id)
        except NotFound:
            detail = None
        async with self:
            if strategy_id != self._strategy_id:
                return
            self.loading = False
            self.found = detail is not None
            if detail is not None:
                self._fill(detail)

    def _fill(self, detail: _Detail) -> None:
        view, price = detail.view, detail.price
        places = _qty_places(view)
        next_step = view.next_step
        self.summary = {
            "asset": view.asset,
            "name": view.name or _("{asset} take-profit ladder", asset=view.asset),
            "status": view.status,
            "status_text": status_words(view.status),
            "reference": price_text(view.ref_price),
            "reference_type": (
                _("average buy price") if view.ref_type == "avgPrice" else _("custom price")
            ),
            "base_qty": qty_text(view.base_qty, places),
            "remaining": qty_text(view.remaining_qty, places),
            "proceeds": money_text(view.projected_proceeds),
            "progress": f"{view.progress.triggered} / {view.progress.total}",
            "price": price_text(price),
            "next_target": price_text(next_step.target_price) if next_step else DASH,
            "distance": distance_text(next_step.target_price, price) if next_step else DASH,
            "created": when_text(view.created_at),
            "quote": view.quote or "USDT",
            "stop": stop_text(view),
        }
        self.steps = [step_row(s, places) for s in view.steps]
        self.executions = [execution_row(e, places) for e in detail.executions]

    @rx.event
    async def act(self, action: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None or action not in ACTIONS or not self.found:
            return None
        try:
            await asyncio.to_thread(_act, user_id, self._strategy_id, action)
        except ServiceError as exc:
            return rx.toast.error(error_text(exc))
        return StrategyDetailState.load

    @rx.event
    async def mark_done(self, step_id: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None or not self.found:
            return None
        try:
            await asyncio.to_thread(_step_done, user_id, self._strategy_id, step_id)
        except ServiceError as exc:
            return rx.toast.error(error_text(exc))
        return StrategyDetailState.load


def _qty_places(view: StrategyView) -> int | None:
    """Decimals of the quantities: those of the lot-rounded amounts, at most 8."""
    most = 0
    for step in view.steps:
        exponent = step.qty_to_sell.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            most = max(most, -exponent)
    return min(max(most, 2), 8)

"""/strategies (list) and /strategies/[strategy_id] (detail, actions).

Another user's strategy id gives the same empty "not found" as an unknown one: the service
scopes every read and write to the signed-in user and raises NotFound.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal, localcontext
from typing import Any

import reflex as rx

from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.infra.db.engine import session_scope
from exstrat_app.services.errors import NotFound, ServiceError
from exstrat_app.services.strategies import commands as strategies
from exstrat_app.state.display import (
    dec,
    money_text,
    pct_text,
    price_text,
    qty_text,
    when_text,
)
from exstrat_app.state.session import TO_LOGIN, current_user_id, user_data

STATUS_COLORS = {"active": "green", "paused": "amber", "completed": "gray"}
ACTIONS = ("pause", "resume", "complete")


def _prices(assets: set[str], quote: str = "USDT") -> dict[str, Decimal]:
    """Last prices for the distance to the next target; none (shown as —) if unavailable."""
    from exstrat_app.services.portfolio.prices import last_prices

    try:
        return {asset: q.price for asset, q in last_prices(assets, quote).items()}
    except Exception:  # noqa: BLE001 - the list still shows without distances
        return {}


def distance_text(target: object, price: Decimal | None) -> str:
    """How far the price still has to rise to reach the target, in %."""
    t = dec(target)
    if t is None or price is None or price <= 0:
        return "—"
    with localcontext(MONEY_CONTEXT):
        return pct_text((t / price - 1) * 100)


def list_row(item: dict[str, Any], price: Decimal | None) -> dict[str, str]:
    progress = item.get("progress") or {}
    done, total = int(progress.get("triggered", 0)), int(progress.get("total", 0))
    next_step = item.get("nextStep")
    return {
        "id": item["id"],
        "asset": item["asset"],
        "name": item.get("name") or "",
        "status": item["status"],
        "progress": f"{done} / {total}",
        "progress_pct": str(done * 100 // total if total else 0),
        "next_target": price_text(next_step["targetPrice"]) if next_step else "—",
        "next_pct": f"+{next_step['targetPct']} %" if next_step else "",
        "distance": distance_text(next_step["targetPrice"], price) if next_step else "—",
        "price": price_text(price),
        "created": when_text(item.get("createdAt")),
    }


def _list(user_id: str) -> list[dict[str, str]]:
    with session_scope() as session:
        items = strategies.list_strategies(session, user_id=user_id)
    prices = _prices({i["asset"] for i in items})
    return [list_row(i, prices.get(i["asset"])) for i in items]


@user_data
class StrategiesState(rx.State):
    rows: list[dict[str, str]] = []
    loading: bool = False
    loaded: bool = False
    error: str = ""

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                return TO_LOGIN
            self.loading = True
        try:
            rows, error = await asyncio.to_thread(_list, user_id), ""
        except ServiceError as exc:
            rows, error = [], exc.message
        async with self:
            self.rows, self.error, self.loading, self.loaded = rows, error, False, True


# ---------------------------------------------------------------- detail


def step_row(step: dict[str, Any], places: int | None) -> dict[str, str]:
    return {
        "id": step["id"],
        "number": str(step["position"] + 1),
        "target_pct": f"+{step['targetPct']} %",
        "sell_pct": f"{step['sellPct']} %",
        "target_price": price_text(step["targetPrice"]),
        "qty_to_sell": qty_text(step["qtyToSell"], places),
        "proceeds": money_text(step["proceeds"]),
        "state": step["state"],
        "triggered_at": when_text(step.get("triggeredAt")) if step.get("triggeredAt") else "",
        "triggered_price": price_text(step.get("triggeredPrice")),
    }


def _executions(session: Any, user_id: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The strategy's executions: from the service when it lists them, else (V1: one alert
    execution per reached step) from the steps' trigger facts."""
    lister = getattr(strategies, "list_executions", None)
    if lister is not None:
        return list(lister(session, user_id=user_id, strategy_id=data["id"]))
    return [
        {
            "createdAt": step["triggeredAt"],
            "executedQty": step["qtyToSell"],
            "price": step["triggeredPrice"],
            "executionType": "alert",
            "status": "sold" if step["state"] == "done" else "alert sent",
        }
        for step in data["steps"]
        if step.get("triggeredAt")
    ]


def execution_row(item: dict[str, Any], places: int | None) -> dict[str, str]:
    return {
        "when": when_text(item.get("createdAt")),
        "qty": qty_text(item.get("executedQty"), places),
        "price": price_text(item.get("price")),
        "type": str(item.get("executionType") or "alert"),
        "status": str(item.get("status") or ""),
    }


def _detail(user_id: str, strategy_id: str) -> dict[str, Any]:
    with session_scope() as session:
        data = strategies.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)
        executions = _executions(session, user_id, data)
    price = _prices({data["asset"]}).get(data["asset"])
    return {"data": data, "executions": executions, "price": price}


def _act(user_id: str, strategy_id: str, action: str) -> None:
    with session_scope() as session:
        strategies.change_status(session, user_id=user_id, strategy_id=strategy_id, action=action)


def _step_done(user_id: str, strategy_id: str, step_id: str) -> None:
    with session_scope() as session:
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

    def _fill(self, detail: dict[str, Any]) -> None:
        data, price = detail["data"], detail["price"]
        places = _qty_places(data)
        next_step = data.get("nextStep")
        self.summary = {
            "asset": data["asset"],
            "name": data.get("name") or f"{data['asset']} take-profit ladder",
            "status": data["status"],
            "reference": price_text(data["reference"]["price"]),
            "reference_type": (
                "average buy price" if data["reference"]["type"] == "avgPrice" else "custom price"
            ),
            "base_qty": qty_text(data["baseQty"], places),
            "remaining": qty_text(data["remainingQty"], places),
            "proceeds": money_text(data["projectedProceeds"]),
            "progress": f"{data['progress']['triggered']} / {data['progress']['total']}",
            "price": price_text(price),
            "next_target": price_text(next_step["targetPrice"]) if next_step else "—",
            "distance": distance_text(next_step["targetPrice"], price) if next_step else "—",
            "created": when_text(data.get("createdAt")),
            "quote": data.get("quote") or "USDT",
        }
        self.steps = [step_row(s, places) for s in data["steps"]]
        self.executions = [execution_row(e, places) for e in detail["executions"]]

    @rx.event
    async def act(self, action: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None or action not in ACTIONS or not self.found:
            return None
        try:
            await asyncio.to_thread(_act, user_id, self._strategy_id, action)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return StrategyDetailState.load

    @rx.event
    async def mark_done(self, step_id: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None or not self.found:
            return None
        try:
            await asyncio.to_thread(_step_done, user_id, self._strategy_id, step_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return StrategyDetailState.load


def _qty_places(data: dict[str, Any]) -> int | None:
    """Decimals of the quantities: those of the lot-rounded amounts, at most 8."""
    most = 0
    for step in data.get("steps", []):
        d = dec(step.get("qtyToSell"))
        if d is not None:
            exponent = d.normalize().as_tuple().exponent
            if isinstance(exponent, int):
                most = max(most, -exponent)
    return min(max(most, 2), 8)

"""Order execution on /strategies/[strategy_id]: the strategy's mode (alert /
confirm / auto, paper on or off), its account's trading key status, the order of each step
(state, exchange order id, filled quantity, average fill price) and their audit trail.

Changing the mode asks for the password again: the form hands it to the handler, which
passes it to the same service as `PUT /api/strategies/{id}/execution` and forgets it (never
a state var). An open order has a Cancel button (`DELETE /api/orders/{id}`'s use case; no
password: it only lowers the risk). While an order is still moving the page looks again every
few seconds, and reloads the steps when it changed (a filled order makes its step `done`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _, render
from exstrat_app.services.errors import NotFound, ServiceError
from exstrat_app.services.execution import cancel, modes
from exstrat_app.services.execution.summary import ExecutionSummary, execution_summary
from exstrat_app.services.execution.views import AuditView, OrderView
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.display import DASH, price_text, qty_text, when_text
from exstrat_app.state.field_errors import error_text

MOVING = ("awaiting_confirmation", "pending", "sending", "open", "partially_filled")
POLL_SECONDS = 2.0
POLL_ROUNDS = 900  # at most ~30 min of looking per page load
ORDER_ID_MAX_CHARS = 64
# Lazy messages (the English text until rendered where they are shown).
MODE_TEXT = {
    "alert": N_("Alert only: exstrat never places an order"),
    "confirm": N_("Confirm: each sale waits for your confirmation (15 min)"),
    "auto": N_("Automatic: the sale is placed when the step triggers"),
}
STATUS_TEXT = {
    "awaiting_confirmation": N_("waiting for your confirmation"),
    "pending": N_("being sent"),
    "sending": N_("being sent"),
    "open": N_("open"),
    "partially_filled": N_("partially filled"),
    "filled": N_("filled"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    "failed": N_("failed"),
    "stopped": N_("stopped"),
}


def key_text(summary: ExecutionSummary) -> str:
    if summary.account_id is None:
        return _("none: this strategy is not tied to an exchange account")
    if summary.key is None:
        return _("none")
    if summary.key.status == "ok":
        return _("ok")
    problem = render(summary.key.problem) or _("the exchange refused it")
    return _("refused: {problem}", problem=problem)


def order_state_text(order: OrderView) -> str:
    text = render(STATUS_TEXT.get(order.status, order.status.replace("_", " ")))
    if order.status in ("failed", "stopped", "expired", "cancelled") and order.reason:
        return _("{state}: {reason}", state=text, reason=render(order.reason))
    return text


def order_row(order: OrderView, numbers: dict[str, str]) -> dict[str, str]:
    return {
        "id": order.id,
        "step": numbers.get(order.step_id, "?"),
        "state": order_state_text(order),
        "status": order.status,
        "exchange_id": order.exchange_order_id or DASH,
        "filled": qty_text(order.filled_qty),
        "qty": qty_text(order.qty),
        "avg_price": price_text(order.avg_fill_price),
        "paper": _("paper") if order.paper else "",
        "cancellable": "yes" if _cancellable(order) else "",
    }


def _cancellable(order: OrderView) -> bool:
    return cancel.can_cancel(order.status, order.exchange_order_id, order.paper)


def audit_row(step: str, row: AuditView) -> dict[str, str]:
    return {
        "step": step,
        "when": when_text(row.at),
        "action": row.action,
        "ok": _("ok") if row.ok else _("refused"),
        "request": row.request,
        "response": row.response,
    }


def _summary(user_id: str, strategy_id: str) -> ExecutionSummary | None:
    try:
        with bootstrap.unit_of_work() as session:
            return execution_summary(session, user_id=user_id, strategy_id=strategy_id)
    except NotFound:
        return None


def _set_mode(user_id: str, strategy_id: str, mode: str, password: str, paper: bool) -> None:
    with bootstrap.unit_of_work() as session:
        modes.set_execution_mode(
            session, user_id=user_id, strategy_id=strategy_id, mode=mode, password=password,
            paper=paper, throttle=bootstrap.password_throttle(),
        )  # fmt: skip


def _cancel(user_id: str, order_id: str) -> None:
    cancel.cancel_order(
        bootstrap.engine(), bootstrap.secret_box(), user_id=user_id, order_id=order_id
    )


def _fingerprint(summary: ExecutionSummary) -> str:
    return "|".join(f"{o.id}:{o.status}:{o.filled_qty}" for o in summary.orders)


@user_data
class ExecutionState(rx.State):
    mode: str = "alert"
    mode_text: str = str(MODE_TEXT["alert"])  # English until the first load
    paper: bool = False
    key_status: str = ""
    orders: list[dict[str, str]] = []  # rows of `order_row`, one per step with an order
    audit: list[dict[str, str]] = []  # rows of `audit_row`, oldest first per order
    editing: bool = False
    cancelling: str = ""  # the order whose cancellation is under way
    error: str = ""
    saved: str = ""
    _strategy_id: str = ""
    _numbers: dict[str, str] = {}  # step id -> its number on the page
    _seen: str = ""
    _poll: int = 0  # bumped by each load: an older polling loop stops

    def _route_id(self) -> str:
        return str(self.router._page.params.get("strategy_id", ""))

    def _show(self, summary: ExecutionSummary) -> None:
        self.mode, self.paper = summary.mode, summary.paper
        self.mode_text = render(MODE_TEXT.get(summary.mode, summary.mode))
        self.key_status = key_text(summary)
        self.orders = [order_row(o, self._numbers) for o in summary.orders]
        self.audit = [
            audit_row(self._numbers.get(o.step_id, "?"), a)
            for o in reversed(summary.orders)
            for a in summary.audit.get(o.id, ())
        ]
        self._seen = _fingerprint(summary)

    @rx.event(background=True)
    async def load(self) -> Any:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None:
                yield TO_LOGIN
                return
            strategy_id = self._route_id()
            if not strategy_id:
                return
            if strategy_id != self._strategy_id:
                self.orders, self.audit, self.error, self.saved = [], [], "", ""
                self.editing = False
            self._strategy_id = strategy_id
            self._poll += 1
            poll = self._poll
        numbers = await asyncio.to_thread(_step_numbers, user_id, strategy_id)
        for _round in range(POLL_ROUNDS):
            summary = await asyncio.to_thread(_summary, user_id, strategy_id)
            async with self:
                if poll != self._poll or strategy_id != self._strategy_id or summary is None:
                    return
                changed = bool(self._seen) and _fingerprint(summary) != self._seen
                self._numbers = numbers
                self._show(summary)
            if changed:
                yield _detail_reload()
            if not any(o.status in MOVING for o in summary.orders):
                return
            await asyncio.sleep(POLL_SECONDS)
        return

    @rx.event
    def set_editing(self, value: bool) -> None:
        self.editing = value
        self.error, self.saved = "", ""

    @rx.event
    async def change_mode(self, form: dict[str, Any]) -> Any:
        """The mode form: mode, paper, and the password (used once, never kept)."""
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        if not self._strategy_id:
            return None
        mode = str(form.get("mode") or "")
        paper = str(form.get("paper") or "").lower() in ("on", "true", "1")
        password = str(form.get("password") or "")
        try:
            await asyncio.to_thread(_set_mode, user_id, self._strategy_id, mode, password, paper)
        except ServiceError as exc:
            fields = exc.fields
            self.error = render(fields.get("password") or fields.get("mode") or exc.message)
            return None
        self.error, self.editing = "", False
        self.saved = _("Execution mode saved.")
        return ExecutionState.load

    @rx.event
    async def cancel_order(self, order_id: str) -> AsyncIterator[Any]:
        """Cancel one open order on its exchange, then show it as it now stands (also when
        the exchange said no: it may have filled meanwhile)."""
        user_id = await current_user_id(self)
        if user_id is None:
            yield TO_LOGIN
            return
        if not isinstance(order_id, str) or not 0 < len(order_id) <= ORDER_ID_MAX_CHARS:
            yield rx.toast.error(_("No such order."))
            return
        self.cancelling = order_id
        yield
        try:
            await asyncio.to_thread(_cancel, user_id, order_id)
            done = rx.toast.info(_("Order cancelled on the exchange."))
        except ServiceError as exc:
            done = rx.toast.error(error_text(exc))
        finally:
            self.cancelling = ""
        yield [ExecutionState.load, done]


def _step_numbers(user_id: str, strategy_id: str) -> dict[str, str]:
    from exstrat_app.services import strategies

    try:
        with bootstrap.unit_of_work() as session:
            view = strategies.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)
    except NotFound:
        return {}
    return {s.id: str(s.position + 1) for s in view.steps if s.id}


def _detail_reload() -> Any:
    from exstrat_app.state.strategies import StrategyDetailState

    return StrategyDetailState.load

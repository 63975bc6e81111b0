"""The "Create strategy" dialog (from /portfolio and /strategies).

Every edit asks `strategies.preview_strategy` (the same validation and ladder maths as
`create_strategy` and the API) for the target prices, lot-rounded quantities, proceeds and
what remains, and shows its field errors next to the inputs. Save calls `create_strategy`.
The inputs are text: amounts go to the service as the strings typed, never as floats.
Issue 14: each step's target is a % of the reference or an absolute price, optionally trailing
(its trail %); the strategy may have a stop-loss (a price or a % below the reference) that
moves to break-even once the first step fired. The preview says each step's rule (where it
alerts, or where it arms and the lowest price it fires at) and the stop's price and result.
The ladder's quote (USDT or EUR) starts as the person's reporting currency (USD: USDT); a
EUR ladder on an asset with no EUR market says it is watched through EUR/USDT.
Every text is in the reader's language (`_`, rendered inside the event).
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import _, render
from exstrat_app.services import strategies
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.strategies import StrategyView
from exstrat_app.services.strategies.markets import QUOTES, USDT
from exstrat_app.state.base import TO_LOGIN, current_user_id, user_data
from exstrat_app.state.display import decimals_of, money_text, price_text, qty_text
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.field_limits import (
    AMOUNT_MAX_CHARS,
    ASSET_MAX_CHARS,
    STRATEGY_NAME_MAX_CHARS,
    text_refusal,
)
from exstrat_app.state.portfolio import PortfolioState
from exstrat_app.state.strategies import StrategiesState
from exstrat_app.state.strategy_form import (
    BLANK_PREVIEW,
    DEFAULT_STEPS,
    FIELD_LABELS,
    MAX_STEPS,
    STEP_FIELDS,
    STOP_KINDS,
    TARGET_KINDS,
    blank_step,
    create_from_form,
    default_quote,
    form_warnings,
    preview_form,
    step_rule,
    stop_texts,
    watched_note,
)


@user_data
class StrategyDialogState(rx.State):
    open: bool = False
    asset: str = ""
    asset_locked: bool = False
    avg_price: str = ""  # display text of the position's average, when known
    ref_type: str = "avgPrice"
    quote: str = USDT  # USDT | EUR: the ladder's prices; opens as the reporting currency
    quotes: list[str] = list(QUOTES)
    watched_note: str = ""  # a EUR ladder watched through EUR/USDT says so
    custom_price: str = ""
    base_qty: str = ""
    name: str = ""
    notify_email: bool = True
    notify_in_app: bool = True
    steps: list[dict[str, str]] = [blank_step(t, s) for t, s in DEFAULT_STEPS]
    stop_on: bool = False
    stop_kind: str = "pct"
    stop_value: str = "10"
    stop_break_even: bool = False
    # preview
    remaining: str = "—"
    proceeds: str = "—"
    ref_used: str = "—"
    base_used: str = "—"
    lot_step: str = ""
    stop_price: str = "—"
    stop_result: str = "—"
    stop_rule: str = ""
    errors: dict[str, str] = {}
    message: str = ""
    warnings: list[str] = []  # worth a second look, never blocking (ladder_warnings)
    previewing: bool = False
    saving: bool = False
    _seq: int = 0

    # ---- open / close

    @rx.event
    async def open_for(self, asset: str) -> Any:
        """From a portfolio row: reference = the position's average, base = its quantity."""
        portfolio = await self.get_state(PortfolioState)
        raw = portfolio._raw_of(asset)
        avg_price_raw, quantity_raw = raw["avgPrice"], raw["quantity"]
        self._reset_form()
        # The row's average is in the page's currency: the ladder opens in that one.
        self.quote = "EUR" if portfolio.currency == "EUR" else USDT
        self.asset, self.asset_locked = asset, True
        self.avg_price = price_text(avg_price_raw) if avg_price_raw else ""
        self.ref_type = "avgPrice" if avg_price_raw else "custom"
        self.custom_price = avg_price_raw
        self.base_qty = quantity_raw
        self.open = True
        return StrategyDialogState.preview

    @rx.event
    async def open_blank(self) -> None:
        self._reset_form()
        await self._default_quote()
        self.open = True

    async def _default_quote(self) -> None:
        user_id = await current_user_id(self)
        if user_id is not None:
            self.quote = await asyncio.to_thread(default_quote, user_id)

    @rx.event
    def set_open(self, value: bool) -> None:
        self.open = value

    def _reset_form(self) -> None:
        for name in ("asset", "asset_locked", "avg_price", "ref_type", "custom_price",
                     "base_qty", "name", "notify_email", "notify_in_app", "remaining",
                     "proceeds", "ref_used", "base_used", "lot_step", "errors", "message",
                     "previewing", "saving", "stop_on", "stop_kind", "stop_value",
                     "stop_break_even", "stop_price", "stop_result", "stop_rule", "quote",
                     "watched_note", "warnings"):  # fmt: skip
            setattr(self, name, StrategyDialogState.get_fields()[name].default_value())
        self.steps = [blank_step(t, s) for t, s in DEFAULT_STEPS]

    # ---- edits (each one refreshes the preview; a value over its limit is not kept)

    def _refused(self, key: str, label: str, value: Any, max_chars: int) -> bool:
        """Whether `value` is refused; if so the field says why and nothing is kept. `label`
        is a FIELD_LABELS key."""
        problem = text_refusal(value, max_chars)
        if problem is None:
            return False
        self.errors = {**self.errors, key: problem}
        self.message = _("{field} {problem}.", field=render(FIELD_LABELS[label]), problem=problem)
        return True

    @rx.event
    def set_asset(self, value: str) -> Any:
        if self._refused("asset", "asset", value, ASSET_MAX_CHARS):
            return None
        self.asset = value.strip().upper()
        return StrategyDialogState.preview

    @rx.event
    def set_ref_type(self, value: str) -> Any:
        if value in ("avgPrice", "custom"):
            self.ref_type = value
        return StrategyDialogState.preview

    @rx.event
    def set_quote(self, value: str | list[str]) -> Any:
        """USDT or EUR (a segmented control or a select: one value)."""
        if isinstance(value, str) and value in QUOTES:
            self.quote = value
        return StrategyDialogState.preview

    @rx.event
    def set_custom_price(self, value: str) -> Any:
        if self._refused("reference.price", "reference.price", value, AMOUNT_MAX_CHARS):
            return None
        self.custom_price = value
        return StrategyDialogState.preview

    @rx.event
    def set_base_qty(self, value: str) -> Any:
        if self._refused("baseQty", "baseQty", value, AMOUNT_MAX_CHARS):
            return None
        self.base_qty = value
        return StrategyDialogState.preview

    @rx.event
    def set_name(self, value: str) -> None:
        if self._refused("name", "name", value, STRATEGY_NAME_MAX_CHARS):
            return
        self.name = value

    @rx.event
    def set_notify_email(self, value: bool) -> None:
        self.notify_email = value

    @rx.event
    def set_notify_in_app(self, value: bool) -> None:
        self.notify_in_app = value

    @rx.event
    def set_step(self, index: int, field: str, value: str) -> Any:
        if not isinstance(index, int) or field not in STEP_FIELDS:
            return None
        key = f"steps.{index}.{STEP_FIELDS[field]}"
        if 0 <= index < len(self.steps):
            if self._refused(key, "step", value, AMOUNT_MAX_CHARS):
                return None
            steps = list(self.steps)
            steps[index] = {**steps[index], field: value}
            self.steps = steps
        return StrategyDialogState.preview

    def _set_in_step(self, index: Any, field: str, value: str) -> None:
        if isinstance(index, int) and 0 <= index < len(self.steps):
            steps = list(self.steps)
            steps[index] = {**steps[index], field: value}
            self.steps = steps

    @rx.event
    def set_step_kind(self, index: int, kind: str | list[str]) -> Any:
        """% of the reference or an absolute price."""
        if isinstance(kind, str) and kind in TARGET_KINDS:  # a segmented control: one value
            self._set_in_step(index, "target_kind", kind)
        return StrategyDialogState.preview

    @rx.event
    def set_step_trailing(self, index: int, on: bool) -> Any:
        self._set_in_step(index, "trailing", "1" if on is True else "")
        return StrategyDialogState.preview

    @rx.event
    def set_stop_on(self, value: bool) -> Any:
        self.stop_on = value is True
        return StrategyDialogState.preview

    @rx.event
    def set_stop_kind(self, value: str | list[str]) -> Any:
        if isinstance(value, str) and value in STOP_KINDS:
            self.stop_kind = value
        return StrategyDialogState.preview

    @rx.event
    def set_stop_value(self, value: str) -> Any:
        if self._refused("stopLoss.value", "stopLoss.value", value, AMOUNT_MAX_CHARS):
            return None
        self.stop_value = value
        return StrategyDialogState.preview

    @rx.event
    def set_stop_break_even(self, value: bool) -> Any:
        self.stop_break_even = value is True
        return StrategyDialogState.preview

    @rx.event
    def add_step(self) -> Any:
        if len(self.steps) < MAX_STEPS:
            self.steps = [*self.steps, blank_step()]
        return StrategyDialogState.preview

    @rx.event
    def remove_step(self, index: int) -> Any:
        if len(self.steps) > 1 and 0 <= index < len(self.steps):
            self.steps = [s for i, s in enumerate(self.steps) if i != index]
        return StrategyDialogState.preview

    # ---- preview and save

    def _form(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "ref_type": self.ref_type,
            "quote": self.quote,
            "custom_price": self.custom_price,
            "base_qty": self.base_qty,
            "steps": [dict(s) for s in self.steps],
            "notify_email": self.notify_email,
            "notify_in_app": self.notify_in_app,
            "name": self.name,
            "stop_on": self.stop_on,
            "stop_kind": self.stop_kind,
            "stop_value": self.stop_value,
            "stop_break_even": self.stop_break_even,
        }

    @rx.event(background=True)
    async def preview(self) -> None:
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or not self.open:
                return
            self._seq += 1
            seq, form, self.previewing = self._seq, self._form(), True
        try:
            result, errors, message = await asyncio.to_thread(preview_form, user_id, form), {}, ""
            warned = await asyncio.to_thread(form_warnings, user_id, result)
        except ServiceError as exc:
            result, errors, message, warned = None, dict(exc.fields), exc.message, []
        async with self:  # the reader's language is this event's (set for it by the socket)
            if seq != self._seq:  # a newer edit has its own preview on the way
                return
            self._show(result, errors, message)
            self.warnings = [render(w.message) for w in warned]
            self.previewing = False

    def _show(self, result: StrategyView | None, errors: dict[str, str], message: str) -> None:
        self.errors = field_texts(errors)
        invalid = errors and message == strategies.INVALID_MESSAGE
        self.message = "" if invalid else render(message)
        self.watched_note = watched_note(result)
        computed = result.steps if result is not None else ()
        places = decimals_of(result.lot_step if result is not None else None)
        steps = []
        for i, step in enumerate(self.steps):
            shown = computed[i] if i < len(computed) else None
            steps.append({
                **step,
                "target_error": errors.get(f"steps.{i}.targetPct", "")
                or errors.get(f"steps.{i}.targetPrice", ""),
                "sell_error": errors.get(f"steps.{i}.sellPct", ""),
                "trail_error": errors.get(f"steps.{i}.trailPct", ""),
                **(
                    {
                        "target_price": price_text(shown.target_price),
                        "qty_to_sell": qty_text(shown.qty_to_sell, places),
                        "proceeds": money_text(shown.proceeds),
                        "rule": step_rule(shown),
                    }
                    if shown
                    else BLANK_PREVIEW
                ),
            })  # fmt: skip
        self.steps = steps
        if result is not None:
            self.remaining = qty_text(result.remaining_qty, places)
            self.proceeds = money_text(result.projected_proceeds)
            self.ref_used = price_text(result.ref_price)
            self.base_used = qty_text(result.base_qty, places)
            self.lot_step = fmt(result.lot_step) if result.lot_step is not None else ""
        else:
            self.remaining = self.proceeds = self.ref_used = self.base_used = "—"
        stop = result.stop if result is not None else None
        texts = stop_texts(stop, result.quote if result is not None else "", places)
        self.stop_price, self.stop_result = texts["stop_price"], texts["stop_result"]
        self.stop_rule = texts["stop_rule"]

    @rx.event
    async def save(self) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        self.saving = True
        try:
            strategy_id = await asyncio.to_thread(create_from_form, user_id, self._form())
        except ServiceError as exc:
            self.saving = False
            self._show(None, dict(exc.fields), exc.message)
            if not exc.fields:
                self.message = error_text(exc)
            return None
        asset = self.asset
        self.open, self.saving = False, False
        return [
            rx.toast.success(
                _("{asset} strategy saved: you will be alerted at each target.", asset=asset),
                id=f"strategy-saved-{strategy_id}",
            ),
            StrategiesState.load,
        ]

    @rx.var
    def error_for_asset(self) -> str:
        return self.errors.get("asset", "")

    @rx.var
    def error_for_reference(self) -> str:
        return self.errors.get("reference.price", "") or self.errors.get("reference", "")

    @rx.var
    def error_for_base(self) -> str:
        return self.errors.get("baseQty", "")

    @rx.var
    def error_for_stop(self) -> str:
        return (
            self.errors.get("stopLoss.value", "")
            or self.errors.get("stopLoss.type", "")
            or self.errors.get("stopLoss", "")
        )

    @rx.var
    def error_for_steps(self) -> str:
        return self.errors.get("steps", "")

    @rx.var
    def can_save(self) -> bool:
        return bool(self.asset) and not self.errors and not self.saving and self.remaining != "—"

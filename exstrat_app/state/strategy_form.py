"""The strategy dialog's form as text (too big for its state alone): the step rows, the
service's keyword arguments built from them, and the preview's words for each step's rule and
for the stop-loss, and the service calls the dialog runs in a thread (preview, create, the
default quote: the person's reporting currency). No state here: plain functions the dialog
state calls, inside its events (the words are in the reader's language, `_`).
"""

from __future__ import annotations

from typing import Any

from exstrat_app import bootstrap
from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_, _, render
from exstrat_app.services import strategies
from exstrat_app.services.auth.preferences import user_preferences
from exstrat_app.services.strategies import StrategyView
from exstrat_app.services.strategies.markets import QUOTE_OF_CURRENCY, USDT, via_note
from exstrat_app.services.strategies.views import StepView, StopView
from exstrat_app.state.display import pct_text, price_text, qty_text, signed_money_text

MAX_STEPS = 20
DEFAULT_STEPS = (("10", "20"), ("40", "59"))
STEP_FIELDS = {"target_pct": "targetPct", "sell_pct": "sellPct", "target_abs": "targetPrice",
               "trail_pct": "trailPct"}  # fmt: skip
TARGET_KINDS = ("pct", "price")
STOP_KINDS = ("pct", "price")
DEFAULT_TRAIL = "2"
BLANK_PREVIEW = {"target_price": "—", "qty_to_sell": "—", "proceeds": "—", "rule": ""}


def blank_step(target: str = "", sell: str = "") -> dict[str, str]:
    # Flags are "1" / "" (a step is a dict of text for rx.foreach).
    return {"target_pct": target, "sell_pct": sell, "target_kind": "pct", "target_abs": "",
            "trailing": "", "trail_pct": DEFAULT_TRAIL, "target_error": "", "sell_error": "",
            "trail_error": "", **BLANK_PREVIEW}  # fmt: skip


def step_request(step: dict[str, str]) -> dict[str, str]:
    body = {"sellPct": step["sell_pct"]}
    if step["target_kind"] == "price":
        body["targetPrice"] = step["target_abs"]
    else:
        body["targetPct"] = step["target_pct"]
    if step["trailing"]:
        body["trailPct"] = step["trail_pct"]
    return body


def step_rule(step: StepView) -> str:
    """What the step does, in words: a plain alert, or where a trailing step arms and fires."""
    if step.trail_pct is None or step.fire_floor is None:
        return _("Alert when the price reaches {price}", price=price_text(step.target_price))
    return _(
        "Arms at {target}, then alerts when the price falls {trail} % from its highest "
        "(at {floor} or above)",
        target=price_text(step.target_price),
        trail=fmt(step.trail_pct),
        floor=price_text(step.fire_floor),
    )


def stop_texts(stop: StopView | None, quote: str, places: int | None) -> dict[str, str]:
    if stop is None:
        return {"stop_price": "—", "stop_result": "—", "stop_rule": ""}
    figures = {
        "price": price_text(stop.price),
        "qty": qty_text(stop.qty, places),
        "result": signed_money_text(stop.result),
        "quote": quote,
        "pct": pct_text(stop.result_pct),
    }
    if stop.break_even:
        rule = _(
            "Alert when the price falls to {price}: selling the {qty} there realises "
            "{result} {quote} ({pct}); it moves up to the reference (break-even) once the "
            "first step fires",
            **figures,
        )
    else:
        rule = _(
            "Alert when the price falls to {price}: selling the {qty} there realises "
            "{result} {quote} ({pct})",
            **figures,
        )
    return {
        "stop_price": price_text(stop.price),
        "stop_result": f"{signed_money_text(stop.result)} {quote}",
        "stop_rule": rule,
    }


def request(form: dict[str, Any]) -> dict[str, Any]:
    """The service's keyword arguments from the form's text."""
    reference: dict[str, Any] = {"type": form["ref_type"]}
    if form["ref_type"] == "custom":
        reference["price"] = form["custom_price"]
    return {
        "asset": form["asset"],
        "quote": form.get("quote") or None,  # None: the service's default (USDT)
        "reference": reference,
        "base_qty": form["base_qty"].strip() or None,  # blank: the quantity held
        "steps": [step_request(s) for s in form["steps"]],
        "notify": {"email": form["notify_email"], "inApp": form["notify_in_app"]},
        "name": form["name"].strip() or None,
        "stop_loss": _stop_request(form) if form["stop_on"] else None,
    }


def _stop_request(form: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": form["stop_kind"],
        "value": form["stop_value"],
        "breakEven": form["stop_break_even"],
    }


# ---- the service calls (run in a thread by the dialog's events)


def preview_form(user_id: str, form: dict[str, Any]) -> StrategyView:
    lots = strategies.exchange_lot_step_lookup(bootstrap.redis())
    with bootstrap.unit_of_work() as session:
        return strategies.preview_strategy(
            session, user_id=user_id, lot_step_lookup=lots, **request(form)
        )


def form_warnings(user_id: str, view: StrategyView) -> list[strategies.LadderWarning]:
    """What the preview is worth a second look for (fires now, more than held, over planned)."""
    with bootstrap.unit_of_work() as session:
        return strategies.ladder_warnings(
            session, user_id=user_id, view=view, prices=bootstrap.price_provider()
        )


def default_quote(user_id: str) -> str:
    """The person's reporting currency as a ladder's quote (USD is watched in USDT)."""
    with bootstrap.unit_of_work() as session:
        currency = user_preferences(session, user_id).currency
    return QUOTE_OF_CURRENCY.get(currency, USDT)


# The inputs as a refusal names them ("The token must be text.").
FIELD_LABELS = {
    "asset": N_("The token"),
    "reference.price": N_("The price"),
    "baseQty": N_("The quantity"),
    "name": N_("The name"),
    "step": N_("A step's percentage"),
    "stopLoss.value": N_("The stop-loss"),
}


def create_from_form(user_id: str, form: dict[str, Any]) -> str:
    lots = strategies.exchange_lot_step_lookup(bootstrap.redis())
    cap = bootstrap.settings().max_strategies_per_user
    with bootstrap.unit_of_work() as session:
        view = strategies.create_strategy(
            session, user_id=user_id, lot_step_lookup=lots, max_strategies=cap, **request(form)
        )
    return view.id or ""


def watched_note(result: StrategyView | None) -> str:
    """The conversion note of a EUR ladder watched through EUR/USDT, else nothing."""
    if result is None or result.watched_on in (None, f"{result.asset}/{result.quote}"):
        return ""
    return render(via_note(result.asset))

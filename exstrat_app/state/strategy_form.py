"""The strategy dialog's form as text (issue 14 made it bigger than its state): the step
rows, the service's keyword arguments built from them, and the preview's words for each
step's rule and for the stop-loss. No state here: plain functions the dialog state calls.
"""

from __future__ import annotations

from typing import Any

from exstrat_app.domain.money import fmt
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
        return f"Alert when the price reaches {price_text(step.target_price)}"
    return (
        f"Arms at {price_text(step.target_price)}, then alerts when the price falls "
        f"{fmt(step.trail_pct)} % from its highest (at {price_text(step.fire_floor)} or above)"
    )


def stop_texts(stop: StopView | None, quote: str, places: int | None) -> dict[str, str]:
    if stop is None:
        return {"stop_price": "—", "stop_result": "—", "stop_rule": ""}
    rule = (
        f"Alert when the price falls to {price_text(stop.price)}: selling the "
        f"{qty_text(stop.qty, places)} there realises {signed_money_text(stop.result)} {quote} "
        f"({pct_text(stop.result_pct)})"
    )
    if stop.break_even:
        rule += "; it moves up to the reference (break-even) once the first step fires"
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

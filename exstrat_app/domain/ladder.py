"""Take-profit ladder maths.

targetPrice = refPrice * (1 + targetPct/100), or an absolute target price (targetPct is
then derived, (price/ref - 1) * 100); qtyToSell = baseQty * sellPct/100 truncated down to the
market's lot step. A step with a trail (`trail_pct`) is a trailing take-profit (`domain/exits.py`):
it arms at its target and sells once the price fell trail % from its peak, so its proceeds are
counted at the lowest price it can fire at, target * (1 - trail/100) (its `fire_floor`).
Validation collects every problem at once, keyed by the camelCase path of the request field
(`steps.1.targetPct`, `steps.1.targetPrice`, `steps.1.trailPct`), so a form can show them all
next to their inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext

from exstrat_app.domain.errors import LadderInvalid
from exstrat_app.domain.money import MONEY_CONTEXT, fmt, require_decimal

MAX_STEPS = 20
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class StepSpec:
    """One rung as the user states it: at +target_pct % (or at the absolute `price`: then
    target_pct is None), sell sell_pct % of the base quantity; with `trail_pct`, trailing."""

    target_pct: Decimal | None
    sell_pct: Decimal
    price: Decimal | None = None
    trail_pct: Decimal | None = None

    @property
    def target_kind(self) -> str:
        return "price" if self.price is not None else "pct"


@dataclass(frozen=True)
class PlannedStep:
    """One rung computed: `position` is its 0-based index (as in `steps.{i}`)."""

    position: int
    target_pct: Decimal
    sell_pct: Decimal
    target_price: Decimal
    qty_to_sell: Decimal
    proceeds: Decimal  # qty_to_sell * target_price (trailing: * fire_floor), in the quote
    target_kind: str = "pct"  # pct | price: how the user stated the target
    trail_pct: Decimal | None = None
    fire_floor: Decimal | None = None  # trailing: the lowest price it fires at, target*(1-trail)


@dataclass(frozen=True)
class LadderPlan:
    steps: list[PlannedStep]
    remaining_qty: Decimal  # base_qty minus every qty_to_sell
    total_proceeds: Decimal


def truncate_to_step(qty: Decimal, step: Decimal | None) -> Decimal:
    """Round `qty` toward zero to a multiple of `step` (exchanges refuse partial lots).

    0.123456789 with step 0.0001 -> 0.1234; step 1 -> whole units; None or 0 -> unchanged.
    """
    require_decimal(qty, "qty")
    if step is None or require_decimal(step, "step") == 0:
        return qty
    if step < 0:
        raise ValueError(f"lot step must be positive, got {step}")
    with localcontext(MONEY_CONTEXT):
        lots = (qty / step).to_integral_value(rounding=ROUND_DOWN)
        return lots * step


def target_price(ref_price: Decimal, target_pct: Decimal) -> Decimal:
    """Price at which a rung fires: ref_price * (1 + target_pct/100)."""
    with localcontext(MONEY_CONTEXT):
        return ref_price * (1 + target_pct / HUNDRED)


def target_pct_of(ref_price: Decimal, price: Decimal) -> Decimal:
    """The % above the reference of an absolute target: 2300 over 2000 -> 15."""
    with localcontext(MONEY_CONTEXT):
        return (price / ref_price - 1) * HUNDRED


def trail_floor(peak: Decimal, trail_pct: Decimal) -> Decimal:
    """Where a trailing step fires after `peak`: peak * (1 - trail/100); 2300, 2 % -> 2254."""
    with localcontext(MONEY_CONTEXT):
        return peak * (1 - trail_pct / HUNDRED)


def _step_price(step: StepSpec, ref_price: Decimal) -> Decimal:
    if step.price is not None:
        return step.price
    assert step.target_pct is not None
    return target_price(ref_price, step.target_pct)


def plan_ladder(
    *,
    ref_price: Decimal,
    base_qty: Decimal,
    steps: Sequence[StepSpec],
    lot_step: Decimal | None,
) -> LadderPlan:
    """Compute every rung; raise `LadderInvalid` listing all problems if any.

    Seed §16: 4 ETH at 2000, steps (+10 %, 20 %) and (+40 %, 59 %), lot 0.0001 ->
    2200 / 0.8 (proceeds 1760), 2800 / 2.36 (proceeds 6608), 0.84 left.
    """
    _check_types(ref_price, base_qty, steps, lot_step)
    errors = _validate(ref_price, base_qty, steps, lot_step)
    if errors:
        raise LadderInvalid(errors)
    planned = [_plan_step(i, step, ref_price, base_qty, lot_step) for i, step in enumerate(steps)]
    with localcontext(MONEY_CONTEXT):
        remaining = base_qty - sum((p.qty_to_sell for p in planned), Decimal(0))
        total = sum((p.proceeds for p in planned), Decimal(0))
    return LadderPlan(steps=planned, remaining_qty=remaining, total_proceeds=total)


def _plan_step(
    i: int, step: StepSpec, ref_price: Decimal, base_qty: Decimal, lot_step: Decimal | None
) -> PlannedStep:
    price = _step_price(step, ref_price)
    pct = step.target_pct if step.target_pct is not None else target_pct_of(ref_price, price)
    qty = _qty_to_sell(base_qty, step.sell_pct, lot_step)
    floor = trail_floor(price, step.trail_pct) if step.trail_pct is not None else None
    with localcontext(MONEY_CONTEXT):
        proceeds = qty * (floor if floor is not None else price)
    return PlannedStep(
        i, pct, step.sell_pct, price, qty, proceeds, step.target_kind, step.trail_pct, floor
    )


def _qty_to_sell(base_qty: Decimal, sell_pct: Decimal, lot_step: Decimal | None) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return truncate_to_step(base_qty * sell_pct / HUNDRED, lot_step)


def _check_types(
    ref_price: Decimal, base_qty: Decimal, steps: Sequence[StepSpec], lot_step: Decimal | None
) -> None:
    """Wrong types are programming errors (floats!), raised at once rather than collected."""
    require_decimal(ref_price, "refPrice")
    require_decimal(base_qty, "baseQty")
    if lot_step is not None:
        require_decimal(lot_step, "lotStep")
    for i, step in enumerate(steps):
        if not isinstance(step, StepSpec):
            raise TypeError(f"steps.{i} must be a StepSpec, not {type(step).__name__}")
        if step.target_pct is not None:
            require_decimal(step.target_pct, f"steps.{i}.targetPct")
        if step.price is not None:
            require_decimal(step.price, f"steps.{i}.targetPrice")
        if step.trail_pct is not None:
            require_decimal(step.trail_pct, f"steps.{i}.trailPct")
        require_decimal(step.sell_pct, f"steps.{i}.sellPct")


def _validate(
    ref_price: Decimal, base_qty: Decimal, steps: Sequence[StepSpec], lot_step: Decimal | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if ref_price <= 0:
        errors["refPrice"] = "the reference price must be greater than 0"
    if base_qty <= 0:
        errors["baseQty"] = "the base quantity must be greater than 0"
    if lot_step is not None and lot_step < 0:
        errors["lotStep"] = "the lot step must not be negative"
    if (message := _steps_message(steps)) is not None:
        errors["steps"] = message
    for i, step in enumerate(steps):
        path, message = _step_target_message(steps, i, ref_price)
        if message is not None:
            errors[path] = message
        if step.trail_pct is not None and (message := _trail_message(step.trail_pct)):
            errors[f"steps.{i}.trailPct"] = message
        message = _sell_message(step.sell_pct)
        if message is None and base_qty > 0 and "lotStep" not in errors:
            message = _lot_message(base_qty, step.sell_pct, lot_step)
        if message is not None:
            errors[f"steps.{i}.sellPct"] = message
    return errors


def _steps_message(steps: Sequence[StepSpec]) -> str | None:
    if not steps:
        return "add at least one step"
    if len(steps) > MAX_STEPS:
        return f"at most {MAX_STEPS} steps (got {len(steps)})"
    with localcontext(MONEY_CONTEXT):
        total = sum((s.sell_pct for s in steps), Decimal(0))
    if total > HUNDRED:
        return f"the sell percentages add up to {fmt(total)} %; they must total at most 100 %"
    return None


def _step_target_message(
    steps: Sequence[StepSpec], i: int, ref_price: Decimal
) -> tuple[str, str | None]:
    """(field path, problem) of step i's target. Percent ladders compare percents (the
    messages people know); once a price is involved, the prices are compared."""
    step = steps[i]
    path = f"steps.{i}.targetPct" if step.price is None else f"steps.{i}.targetPrice"
    if not _has_one_target(step):
        return f"steps.{i}.targetPct", "give the target as a % of the reference or as a price"
    previous = steps[i - 1] if i and _has_one_target(steps[i - 1]) else None
    if step.target_pct is not None and (previous is None or previous.price is None):
        prev_pct = previous.target_pct if previous is not None else None
        return path, _target_message(step.target_pct, prev_pct)
    if step.price is not None and step.price <= 0:
        return path, "the target price must be greater than 0"
    if step.target_pct is not None and step.target_pct <= 0:
        return path, "the target must be greater than 0 %"
    if ref_price <= 0:
        return path, None  # reported on refPrice; nothing to compare with
    price = _step_price(step, ref_price)
    if price <= ref_price:
        return path, f"the target price must be above the reference price {fmt(ref_price)}"
    prev_price = _step_price(previous, ref_price) if previous is not None else None
    if prev_price is not None and price <= prev_price:
        return path, (
            f"targets must increase: {fmt(price)} is not above the previous step's "
            f"{fmt(prev_price)}"
        )
    return path, None


def _has_one_target(step: StepSpec) -> bool:
    return (step.target_pct is None) != (step.price is None)


def _trail_message(trail_pct: Decimal) -> str | None:
    if trail_pct <= 0:
        return "the trail must be greater than 0 %"
    if trail_pct >= HUNDRED:
        return "the trail must be below 100 %"
    return None


def _target_message(target_pct: Decimal, previous: Decimal | None) -> str | None:
    if target_pct <= 0:
        return "the target must be greater than 0 %"
    if previous is not None and target_pct <= previous:
        return (
            f"targets must increase: {fmt(target_pct)} % is not above the previous step's "
            f"{fmt(previous)} %"
        )
    return None


def _sell_message(sell_pct: Decimal) -> str | None:
    if sell_pct <= 0:
        return "the share to sell must be greater than 0 %"
    if sell_pct > HUNDRED:
        return "the share to sell cannot exceed 100 %"
    return None


def _lot_message(base_qty: Decimal, sell_pct: Decimal, lot_step: Decimal | None) -> str | None:
    if _qty_to_sell(base_qty, sell_pct, lot_step) > 0:
        return None
    with localcontext(MONEY_CONTEXT):
        raw = base_qty * sell_pct / HUNDRED
    step_text = fmt(lot_step) if lot_step is not None else "0"
    return (
        f"{fmt(sell_pct)} % of {fmt(base_qty)} is {fmt(raw)}, below the lot size {step_text}: "
        "this step would sell nothing"
    )

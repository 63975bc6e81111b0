"""Exits beyond the plain take-profit: the trailing take-profit and the stop-loss.

Both are judged on what the market did since the previous look: the last price, and the high
and low in between (`domain/touch.py`), whose order inside the window is unknown.

Trailing take-profit (one per step, `trail_pct` %): pending until the high reaches its target,
then armed with peak = that high; each later window raises the peak to its high, and the step
fires once the price falls to peak * (1 - trail/100) (`ladder.trail_floor`):
    2200 (target 2200: armed, peak 2200) -> 2300 (peak 2300) -> 2254 = 2300 * 0.98: fires at 2254.
Inside one window the low may have come before the high, so a fall is first measured from the
peak held before the window (the peak we know came first), then the last price (which comes
after the window's high) from the raised peak. It never fires above the floor of its peak: a
low that dipped under the floor and came back fires at the floor (a trailing stop order there
would have filled), a last price under the floor fires at that last price.

Stop-loss (one per strategy): a price, or a % below the reference (2000, 5 % -> 1900), always
below the reference. With break-even on, it moves up to the reference once the first step
fired (the rest can no longer be sold at a loss against the reference). It fires once, when
the low reaches it: at the last price if that is at or below the stop, else at the stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from exstrat_app.domain.ladder import HUNDRED, trail_floor
from exstrat_app.domain.money import MONEY_CONTEXT, fmt

STOP_KINDS = ("pct", "price")


# ---------------------------------------------------------------- trailing take-profit


@dataclass(frozen=True)
class TrailMove:
    """What one window did to a trailing step."""

    armed: bool  # it armed in this window
    peak: Decimal | None  # the peak after this window (None: still not armed)
    raised: bool  # an armed step's peak went up
    fire_price: Decimal | None = None  # it fires at this price (None: it does not fire)
    fire_peak: Decimal | None = None  # the peak it fell back from

    @property
    def fires(self) -> bool:
        return self.fire_price is not None


def follow_trail(
    *,
    target_price: Decimal,
    trail_pct: Decimal,
    peak: Decimal | None,
    last: Decimal,
    high: Decimal,
    low: Decimal,
) -> TrailMove:
    """One window of a trailing step whose peak so far is `peak` (None: not armed yet)."""
    if peak is None:
        if high < target_price:
            return TrailMove(armed=False, peak=None, raised=False)
        # Armed by this window's high; its low may have come before it, so only the last
        # price (after the high) can already be a fall from the new peak.
        floor = trail_floor(high, trail_pct)
        if last <= floor:
            return TrailMove(True, high, False, fire_price=last, fire_peak=high)
        return TrailMove(armed=True, peak=high, raised=False)
    floor = trail_floor(peak, trail_pct)
    if low <= floor:
        return TrailMove(False, peak, False, fire_price=min(last, floor), fire_peak=peak)
    new_peak = max(peak, high)
    floor = trail_floor(new_peak, trail_pct)
    if last <= floor:
        return TrailMove(False, new_peak, new_peak > peak, fire_price=last, fire_peak=new_peak)
    return TrailMove(armed=False, peak=new_peak, raised=new_peak > peak)


# ---------------------------------------------------------------- stop-loss


@dataclass(frozen=True)
class StopSpec:
    """The stop as the user states it: `value` % below the reference, or the price `value`."""

    kind: str  # pct | price
    value: Decimal
    break_even: bool = False


@dataclass(frozen=True)
class PlannedStop:
    kind: str
    value: Decimal
    break_even: bool
    stop_price: Decimal
    # Selling the whole base quantity at the stop, against the reference: a negative figure.
    result: Decimal  # (stop_price - ref_price) * base_qty
    result_pct: Decimal  # (stop_price / ref_price - 1) * 100


def stop_price_of(ref_price: Decimal, spec: StopSpec) -> Decimal:
    """2000 with 5 % -> 1900; a price stop is its price."""
    if spec.kind == "price":
        return spec.value
    with localcontext(MONEY_CONTEXT):
        return ref_price * (1 - spec.value / HUNDRED)


def stop_errors(ref_price: Decimal, spec: StopSpec) -> dict[str, str]:
    """Problems of a stop, keyed like the request (`stopLoss.value`)."""
    if spec.kind not in STOP_KINDS:
        return {"stopLoss.type": "must be pct or price"}
    if spec.kind == "pct":
        if spec.value <= 0:
            return {"stopLoss.value": "the stop must be more than 0 % below the reference"}
        if spec.value >= HUNDRED:
            return {"stopLoss.value": "the stop must be less than 100 % below the reference"}
        return {}
    if spec.value <= 0:
        return {"stopLoss.value": "the stop price must be greater than 0"}
    if ref_price > 0 and spec.value >= ref_price:
        return {
            "stopLoss.value": (f"the stop price must be below the reference price {fmt(ref_price)}")
        }
    return {}


def plan_stop(*, ref_price: Decimal, base_qty: Decimal, spec: StopSpec) -> PlannedStop:
    """The stop's price and what it would realise on the whole base quantity.

    2000, 4 ETH, 5 % -> stop 1900, result (1900 - 2000) * 4 = -400, -5 %."""
    price = stop_price_of(ref_price, spec)
    with localcontext(MONEY_CONTEXT):
        result = (price - ref_price) * base_qty
        result_pct = (price / ref_price - 1) * HUNDRED
    return PlannedStop(spec.kind, spec.value, spec.break_even, price, result, result_pct)


def break_even_stop(
    stop_price: Decimal, ref_price: Decimal, *, break_even: bool, steps_fired: int
) -> Decimal:
    """The stop's level once `steps_fired` steps fired: the reference with break-even on
    and at least one fired (never lowered), else unchanged. 1900 -> 2000."""
    if break_even and steps_fired > 0:
        return max(stop_price, ref_price)
    return stop_price


def stop_fire_price(stop_price: Decimal, *, last: Decimal, low: Decimal) -> Decimal | None:
    """The price a stop fires at in this window, None if the low stayed above it: the last
    price when it is at or below the stop, else the stop (a low that touched it and came
    back: a stop order there would have filled)."""
    if low > stop_price:
        return None
    return min(last, stop_price)


def realised(qty: Decimal, price: Decimal, ref_price: Decimal) -> Decimal:
    """(price - ref) * qty: selling `qty` at `price` against the reference (negative: a loss).
    0.8 ETH at 1990 against 2000 -> -8."""
    with localcontext(MONEY_CONTEXT):
        return (price - ref_price) * qty

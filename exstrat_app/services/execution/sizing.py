"""The order for a step: a limit sell at the step's target, or at the last price if higher,
for the step's quantity clipped to the free balance and rounded DOWN to the lot step (never
more than the step says), checked against the market's minimum quantity, minimum notional and
price tick before anything is sent. The price is rounded UP to the tick: never below target.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from exstrat_app.domain.money import fmt
from exstrat_app.i18n import N_
from exstrat_app.infra import exchanges as xa


class SizingProblem(Exception):
    """The order cannot be sent; `reason` says why in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OrderPlan:
    qty: Decimal
    price: Decimal

    @property
    def value(self) -> Decimal:
        return self.qty * self.price


def _to_step(value: Decimal, step: Decimal | None, rounding: str) -> Decimal:
    if not step or step <= 0:
        return value
    return (value / step).to_integral_value(rounding=rounding) * step


def plan_sell(
    *,
    step_qty: Decimal,
    free: Decimal,
    target: Decimal,
    last: Decimal,
    rules: xa.MarketRules,
) -> OrderPlan:
    """The order to send, or SizingProblem with the reason (balance, lot size, notional)."""
    price = _to_step(max(target, last), rules.tick, ROUND_CEILING)
    qty = _to_step(min(step_qty, free), rules.lot_step, ROUND_FLOOR)
    base, quote = rules.base, rules.quote
    if qty <= 0:
        raise SizingProblem(
            N_(
                "Not enough {asset} on the account: {free} free, the step sells {qty}.",
                asset=base,
                free=fmt(free),
                qty=fmt(step_qty),
            )
        )
    if rules.min_qty is not None and qty < rules.min_qty:
        raise SizingProblem(
            N_(
                "{qty} {asset} is below the market's minimum quantity of {min}.",
                qty=fmt(qty),
                asset=base,
                min=fmt(rules.min_qty),
            )
        )
    if rules.min_notional is not None and qty * price < rules.min_notional:
        raise SizingProblem(
            N_(
                "{qty} {asset} at {price} is worth {value} {quote}, below the market's minimum "
                "order value of {min} {quote}.",
                qty=fmt(qty),
                asset=base,
                price=fmt(price),
                value=fmt(qty * price),
                quote=quote,
                min=fmt(rules.min_notional),
            )
        )
    return OrderPlan(qty=qty, price=price)

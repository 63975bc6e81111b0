"""The order's size and price: worked examples (the expected figure on each line) and the
invariants as properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exstrat_app.infra.exchanges import MarketRules
from exstrat_app.services.execution.sizing import SizingProblem, plan_sell

D = Decimal
ETH = MarketRules("ETH/USDT", "ETH", "USDT", D("0.0001"), D("0.01"), D("0.0001"), D("5"))


def test_worked_examples() -> None:
    # the seed's first step: 0.8 ETH at 2200, 3.999 free, the price just reached it
    plan = plan_sell(
        step_qty=D("0.8"), free=D("3.999"), target=D("2200"), last=D("2200"), rules=ETH
    )
    assert (plan.qty, plan.price, plan.value) == (D("0.8"), D("2200"), D("1760"))
    # the price jumped past: sell at the last price, rounded UP to the 0.01 tick
    plan = plan_sell(
        step_qty=D("0.8"), free=D("3.999"), target=D("2200"), last=D("2345.678"), rules=ETH
    )
    assert plan.price == D("2345.68")
    # less free than the step: 0.77777 clipped then rounded DOWN to the 0.0001 lot
    plan = plan_sell(
        step_qty=D("0.8"), free=D("0.77777"), target=D("2200"), last=D("2200"), rules=ETH
    )
    assert plan.qty == D("0.7777")
    # a step quantity off the lot: 2.36005 -> 2.3600
    plan = plan_sell(
        step_qty=D("2.36005"), free=D("9"), target=D("2800"), last=D("2800"), rules=ETH
    )
    assert plan.qty == D("2.3600")


@pytest.mark.parametrize(
    ("free", "reason"),
    [
        ("0", "Not enough ETH on the account: 0 free, the step sells 0.8."),
        ("0.00009", "Not enough ETH on the account: 0.00009 free, the step sells 0.8."),
        (
            "0.002",
            "0.002 ETH at 2200 is worth 4.4 USDT, below the market's minimum order value of "
            "5 USDT.",
        ),
    ],
)
def test_problems_in_words(free: str, reason: str) -> None:
    with pytest.raises(SizingProblem) as caught:
        plan_sell(step_qty=D("0.8"), free=D(free), target=D("2200"), last=D("2200"), rules=ETH)
    assert caught.value.reason == reason


amounts = st.decimals(min_value=D("0.0001"), max_value=D("1000"), places=6)
prices = st.decimals(min_value=D("1"), max_value=D("100000"), places=4)


@given(step_qty=amounts, free=amounts, target=prices, last=prices)
def test_never_more_than_the_step_or_the_balance_never_below_target(
    step_qty: Decimal, free: Decimal, target: Decimal, last: Decimal
) -> None:
    try:
        plan = plan_sell(step_qty=step_qty, free=free, target=target, last=last, rules=ETH)
    except SizingProblem:
        return
    assert plan.qty <= step_qty and plan.qty <= free
    assert plan.qty % ETH.lot_step == 0 and plan.price % ETH.tick == 0  # type: ignore[operator]
    assert plan.price >= max(target, last)
    assert plan.price - max(target, last) < ETH.tick  # type: ignore[operator]
    assert min(step_qty, free) - plan.qty < ETH.lot_step  # type: ignore[operator]
    assert plan.value >= ETH.min_notional  # type: ignore[operator]

"""Take-profit ladder maths: target prices, lot-size truncation, validation (SPEC §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exstrat_app.domain.errors import LadderInvalid
from exstrat_app.domain.ladder import (
    StepSpec,
    plan_ladder,
    target_price,
    truncate_to_step,
)

D = Decimal


def steps(*pairs: tuple[str, str]) -> list[StepSpec]:
    return [StepSpec(D(t), D(s)) for t, s in pairs]


def test_seed_example_eth_ladder() -> None:
    # Seed §16: 4.00 ETH at an average of 2000 USDT, lot step 0.0001.
    plan = plan_ladder(
        ref_price=D("2000"),
        base_qty=D("4.00"),
        steps=steps(("10", "20"), ("40", "59")),
        lot_step=D("0.0001"),
    )
    first, second = plan.steps
    # +10 % -> 2000 * 1.10 = 2200; 20 % of 4 = 0.80 ETH; 0.80 * 2200 = 1760 USDT.
    assert first.position == 0
    assert first.target_price == D("2200")
    assert first.qty_to_sell == D("0.80")
    assert first.proceeds == D("1760")
    # +40 % -> 2000 * 1.40 = 2800; 59 % of 4 = 2.36 ETH; 2.36 * 2800 = 6608 USDT.
    assert second.position == 1
    assert second.target_price == D("2800")
    assert second.qty_to_sell == D("2.36")
    assert second.proceeds == D("6608")
    # 4 - 0.80 - 2.36 = 0.84 ETH left; 1760 + 6608 = 8368 USDT in total.
    assert plan.remaining_qty == D("0.84")
    assert plan.total_proceeds == D("8368")
    # Inputs are echoed back unchanged.
    assert (first.target_pct, first.sell_pct) == (D("10"), D("20"))


def test_ladder_truncates_each_step_to_the_lot() -> None:
    # 1.23456 BTC at 30000, lot 0.001: 33.3 % -> 0.411108... -> 0.411 BTC.
    plan = plan_ladder(
        ref_price=D("30000"),
        base_qty=D("1.23456"),
        steps=steps(("12.5", "33.3"), ("50", "50")),
        lot_step=D("0.001"),
    )
    # 30000 * 1.125 = 33750; 1.23456 * 0.333 = 0.41110848 -> 0.411; 0.411 * 33750 = 13871.25.
    assert plan.steps[0].target_price == D("33750")
    assert plan.steps[0].qty_to_sell == D("0.411")
    assert plan.steps[0].proceeds == D("13871.25")
    # 30000 * 1.5 = 45000; 1.23456 * 0.5 = 0.61728 -> 0.617; 0.617 * 45000 = 27765.
    assert plan.steps[1].qty_to_sell == D("0.617")
    assert plan.steps[1].proceeds == D("27765")
    # 1.23456 - 0.411 - 0.617 = 0.20656 left (truncation leftovers stay held).
    assert plan.remaining_qty == D("0.20656")
    assert plan.total_proceeds == D("41636.25")


def test_ladder_without_lot_step_keeps_exact_quantities() -> None:
    plan = plan_ladder(
        ref_price=D("0.5"), base_qty=D("3"), steps=steps(("100", "100")), lot_step=None
    )
    # 0.5 * 2 = 1; 100 % of 3 = 3 units; nothing left.
    assert plan.steps[0].target_price == D("1")
    assert plan.steps[0].qty_to_sell == D("3")
    assert plan.remaining_qty == D("0")


@pytest.mark.parametrize(
    ("qty", "step", "expected"),
    [
        ("0.123456789", "0.0001", "0.1234"),  # truncated down, never rounded up
        ("0.99999", "0.0001", "0.9999"),
        ("12.7", "1", "12"),  # step 1 -> whole units
        ("0.5", "1", "0"),
        ("0.123456789", None, "0.123456789"),  # no lot size known -> unchanged
        ("0.123456789", "0", "0.123456789"),  # 0 means "no constraint" too
        ("0.12345", "0.00100000", "0.123"),  # Binance writes stepSize with trailing zeros
        ("10", "0.5", "10"),
        ("10.7", "0.5", "10.5"),
    ],
)
def test_truncate_to_step(qty: str, step: str | None, expected: str) -> None:
    assert truncate_to_step(D(qty), D(step) if step is not None else None) == D(expected)


def test_truncate_to_step_refuses_negative_step_and_floats() -> None:
    with pytest.raises(ValueError, match="positive"):
        truncate_to_step(D("1"), D("-0.1"))
    with pytest.raises(TypeError):
        truncate_to_step(0.5, D("0.1"))  # type: ignore[arg-type]


def test_target_price() -> None:
    assert target_price(D("2000"), D("10")) == D("2200")  # 2000 * 1.10
    assert target_price(D("2000"), D("0.5")) == D("2010")  # 2000 * 1.005
    assert target_price(D("0.00001234"), D("300")) == D("0.00004936")  # 4x


def test_every_validation_error_is_collected_at_once() -> None:
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(
            ref_price=D("0"),  # refPrice must be > 0
            base_qty=D("-1"),  # baseQty must be > 0
            steps=steps(
                ("10", "0"),  # steps.0.sellPct: 0 is not > 0
                ("10", "101"),  # steps.1.targetPct not above 10; steps.1.sellPct > 100
                ("-5", "30"),  # steps.2.targetPct must be > 0
            ),
            lot_step=D("0.0001"),
        )
    fields = info.value.fields
    assert set(fields) == {
        "refPrice",
        "baseQty",
        "steps",
        "steps.0.sellPct",
        "steps.1.targetPct",
        "steps.1.sellPct",
        "steps.2.targetPct",
    }
    assert "greater than 0" in fields["refPrice"]
    assert "greater than 0" in fields["baseQty"]
    # 0 + 101 + 30 = 131: the message states the actual sum.
    assert "131" in fields["steps"]
    assert "greater than 0" in fields["steps.0.sellPct"]
    assert "not above the previous step's 10" in fields["steps.1.targetPct"]
    assert "exceed 100" in fields["steps.1.sellPct"]
    assert "greater than 0" in fields["steps.2.targetPct"]
    assert isinstance(info.value, ValueError)


def test_sum_of_sell_pct_over_100() -> None:
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(
            ref_price=D("2000"),
            base_qty=D("4"),
            steps=steps(("10", "60"), ("20", "40.5")),
            lot_step=None,
        )
    # 60 + 40.5 = 100.5 > 100, and only that is wrong.
    assert info.value.fields == {
        "steps": "the sell percentages add up to 100.5 %; they must total at most 100 %"
    }


def test_sum_of_exactly_100_is_fine() -> None:
    plan = plan_ladder(
        ref_price=D("2000"), base_qty=D("4"), steps=steps(("10", "60"), ("20", "40")), lot_step=None
    )
    assert plan.remaining_qty == D("0")  # 4 - 2.4 - 1.6


def test_no_steps_and_too_many_steps() -> None:
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(ref_price=D("1"), base_qty=D("1"), steps=[], lot_step=None)
    assert info.value.fields == {"steps": "add at least one step"}

    # 21 steps of +1 %, +2 %, ... each selling 1 %: only the count is wrong.
    many = [StepSpec(D(i + 1), D("1")) for i in range(21)]
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(ref_price=D("1"), base_qty=D("1"), steps=many, lot_step=None)
    assert info.value.fields == {"steps": "at most 20 steps (got 21)"}
    # 20 steps are allowed.
    assert (
        len(plan_ladder(ref_price=D("1"), base_qty=D("1"), steps=many[:20], lot_step=None).steps)
        == 20
    )


def test_targets_must_strictly_increase() -> None:
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(
            ref_price=D("100"),
            base_qty=D("10"),
            steps=steps(("40", "10"), ("10", "10"), ("50", "10"), ("50", "10")),
            lot_step=None,
        )
    # 10 after 40 and 50 after 50 are both wrong; 50 after 10 is fine.
    assert set(info.value.fields) == {"steps.1.targetPct", "steps.3.targetPct"}
    assert "10 % is not above the previous step's 40 %" in info.value.fields["steps.1.targetPct"]


def test_step_that_truncates_to_zero_at_the_lot_size() -> None:
    with pytest.raises(LadderInvalid) as info:
        plan_ladder(
            ref_price=D("2000"),
            base_qty=D("4"),
            # 0.001 % of 4 = 0.00004 ETH < one lot of 0.0001 -> it would sell 0.
            steps=steps(("10", "20"), ("20", "0.001")),
            lot_step=D("0.0001"),
        )
    assert info.value.fields == {
        "steps.1.sellPct": (
            "0.001 % of 4 is 0.00004, below the lot size 0.0001: this step would sell nothing"
        )
    }


def test_float_inputs_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        plan_ladder(ref_price=2000.0, base_qty=D("4"), steps=steps(("10", "20")), lot_step=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        plan_ladder(
            ref_price=D("2000"),
            base_qty=D("4"),
            steps=[StepSpec(10.0, D("20"))],  # type: ignore[arg-type]
            lot_step=None,
        )

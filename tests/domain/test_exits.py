"""Richer steps (issue 14): absolute targets, trailing take-profit, stop-loss and break-even.

Worked examples with the expected figure on each line, and the trailing step's invariants as
hypothesis properties. The firing through the watcher (Redis lock, conditional update, the
alert's wording, freezegun times) is in tests/alerts/test_exits.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exstrat_app.domain.errors import LadderInvalid
from exstrat_app.domain.exits import (
    StopSpec,
    break_even_stop,
    follow_trail,
    plan_stop,
    realised,
    stop_errors,
    stop_fire_price,
)
from exstrat_app.domain.ladder import StepSpec, plan_ladder, target_pct_of, trail_floor

D = Decimal


def walk(target: str, trail: str, prices: list[str]) -> list[tuple[int, Decimal, Decimal]]:
    """Feed single prices (high = low = last) to a trailing step, stopping at its first fire:
    [(index, fire price, peak)]."""
    peak: Decimal | None = None
    fired = []
    for i, text in enumerate(prices):
        p = D(text)
        move = follow_trail(
            target_price=D(target), trail_pct=D(trail), peak=peak, last=p, high=p, low=p
        )
        peak = move.peak
        if move.fires:
            assert move.fire_price is not None and move.fire_peak is not None
            fired.append((i, move.fire_price, move.fire_peak))
            break
    return fired


# ---------------------------------------------------------------- trailing, worked examples


def test_the_issue_path_2200_2300_2254_fires_once_at_2254_with_peak_2300() -> None:
    assert trail_floor(D("2300"), D("2")) == D("2254")  # 2300 * 0.98
    peak = None
    # 2200 reaches the target 2200: armed, peak 2200, floor 2156 (2200 * 0.98); no fire.
    m1 = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=peak, last=D("2200"), high=D("2200"),
        low=D("2200"),
    )  # fmt: skip
    assert (m1.armed, m1.peak, m1.fires) == (True, D("2200"), False)
    # 2300: the peak rises to 2300, floor 2254; no fire.
    m2 = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=m1.peak, last=D("2300"), high=D("2300"),
        low=D("2300"),
    )  # fmt: skip
    assert (m2.armed, m2.peak, m2.raised, m2.fires) == (False, D("2300"), True, False)
    # 2254 = 2300 * 0.98: fires at 2254, peak 2300.
    m3 = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=m2.peak, last=D("2254"), high=D("2254"),
        low=D("2254"),
    )  # fmt: skip
    assert (m3.fire_price, m3.fire_peak) == (D("2254"), D("2300"))
    assert walk("2200", "2", ["2200", "2300", "2254", "2100", "2000"]) == [
        (2, D("2254"), D("2300"))
    ]


def test_a_price_just_above_the_floor_does_not_fire() -> None:
    # peak 2300, floor 2254: 2254.01 stays armed, the next 2254 fires.
    assert walk("2200", "2", ["2300", "2254.01"]) == []
    assert walk("2200", "2", ["2300", "2254.01", "2254"]) == [(2, D("2254"), D("2300"))]


def test_below_the_target_nothing_arms() -> None:
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=None, last=D("2199.99"),
        high=D("2199.99"), low=D("2000"),
    )  # fmt: skip
    assert (move.armed, move.peak, move.fires) == (False, None, False)


def test_a_window_that_arms_judges_only_its_last_price() -> None:
    # high 2300 arms (peak 2300, floor 2254); the low 2100 may have come before the high:
    # not a fall. The last 2260 is above 2254: armed, no fire.
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=None, last=D("2260"), high=D("2300"),
        low=D("2100"),
    )  # fmt: skip
    assert (move.armed, move.peak, move.fires) == (True, D("2300"), False)
    # Same window, last 2250 <= 2254 (after the high): fires at 2250 from peak 2300.
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=None, last=D("2250"), high=D("2300"),
        low=D("2100"),
    )  # fmt: skip
    assert (move.armed, move.fire_price, move.fire_peak) == (True, D("2250"), D("2300"))


def test_a_dip_under_the_floor_that_came_back_fires_at_the_floor() -> None:
    # Armed with peak 2300 (floor 2254); a window low 2240, back to 2290: fires at 2254.
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=D("2300"), last=D("2290"),
        high=D("2295"), low=D("2240"),
    )  # fmt: skip
    assert (move.fire_price, move.fire_peak) == (D("2254"), D("2300"))
    # A gap down to a last of 2200 fires at 2200 (what can be had now), still from 2300.
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=D("2300"), last=D("2200"),
        high=D("2300"), low=D("2200"),
    )  # fmt: skip
    assert (move.fire_price, move.fire_peak) == (D("2200"), D("2300"))


def test_a_window_that_raises_then_falls_fires_from_the_raised_peak() -> None:
    # Peak 2300; window high 2400 (floor 2352), low 2350 (above the old floor 2254: no fall
    # from the old peak), last 2350 <= 2352: fires at 2350 from peak 2400.
    move = follow_trail(
        target_price=D("2200"), trail_pct=D("2"), peak=D("2300"), last=D("2350"),
        high=D("2400"), low=D("2350"),
    )  # fmt: skip
    assert (move.peak, move.raised, move.fire_price, move.fire_peak) == (
        D("2400"), True, D("2350"), D("2400"),
    )  # fmt: skip


# ---------------------------------------------------------------- the ladder with new steps


def test_absolute_and_trailing_steps_in_a_ladder() -> None:
    # 4 ETH at 2000, lot 0.0001:
    # step 0: +10 % -> 2200, sell 20 % = 0.8, proceeds 0.8 * 2200 = 1760
    # step 1: at 2500 (absolute: +25 %), sell 50 % = 2, trailing 2 %:
    #         floor 2500 * 0.98 = 2450, proceeds at least 2 * 2450 = 4900
    plan = plan_ladder(
        ref_price=D("2000"),
        base_qty=D("4"),
        steps=[
            StepSpec(D("10"), D("20")),
            StepSpec(None, D("50"), price=D("2500"), trail_pct=D("2")),
        ],
        lot_step=D("0.0001"),
    )
    first, second = plan.steps
    assert (first.target_kind, first.target_price, first.proceeds) == ("pct", D("2200"), D("1760"))
    assert first.trail_pct is None and first.fire_floor is None
    assert (second.target_kind, second.target_pct, second.target_price) == (
        "price", D("25"), D("2500"),
    )  # fmt: skip
    assert (second.qty_to_sell, second.fire_floor, second.proceeds) == (
        D("2"), D("2450"), D("4900"),
    )  # fmt: skip
    assert plan.remaining_qty == D("1.2")  # 4 - 0.8 - 2
    assert plan.total_proceeds == D("6660")  # 1760 + 4900
    assert target_pct_of(D("2000"), D("2300")) == D("15")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (
            [StepSpec(None, D("20"), price=D("1900"))],
            {"steps.0.targetPrice": "the target price must be above the reference price 2000"},
        ),
        (
            [StepSpec(D("10"), D("20")), StepSpec(None, D("20"), price=D("2100"))],
            {
                "steps.1.targetPrice": "targets must increase: 2100 is not above the previous "
                "step's 2200"
            },
        ),
        (
            [StepSpec(None, D("20"), price=D("2500")), StepSpec(D("20"), D("20"))],
            {
                "steps.1.targetPct": "targets must increase: 2400 is not above the previous "
                "step's 2500"
            },
        ),
        (
            [StepSpec(D("10"), D("20"), trail_pct=D("0"))],
            {"steps.0.trailPct": "the trail must be greater than 0 %"},
        ),
        (
            [StepSpec(D("10"), D("20"), trail_pct=D("100"))],
            {"steps.0.trailPct": "the trail must be below 100 %"},
        ),
        (
            [StepSpec(None, D("20"))],
            {"steps.0.targetPct": "give the target as a % of the reference or as a price"},
        ),
        (
            [StepSpec(None, D("20"), price=D("0"))],
            {"steps.0.targetPrice": "the target price must be greater than 0"},
        ),
    ],
)
def test_bad_new_steps_are_explained(steps: list[StepSpec], expected: dict[str, str]) -> None:
    with pytest.raises(LadderInvalid) as caught:
        plan_ladder(ref_price=D("2000"), base_qty=D("4"), steps=steps, lot_step=None)
    assert caught.value.fields == expected


# ---------------------------------------------------------------- stop-loss, worked examples


def test_stop_as_a_percent_below_the_reference() -> None:
    stop = plan_stop(ref_price=D("2000"), base_qty=D("4"), spec=StopSpec("pct", D("5")))
    assert stop.stop_price == D("1900")  # 2000 * (1 - 5/100)
    assert stop.result == D("-400")  # (1900 - 2000) * 4
    assert stop.result_pct == D("-5")


def test_stop_as_a_price() -> None:
    stop = plan_stop(ref_price=D("2000"), base_qty=D("4"), spec=StopSpec("price", D("1850")))
    assert stop.stop_price == D("1850")
    assert stop.result == D("-600")  # (1850 - 2000) * 4
    assert stop.result_pct == D("-7.5")  # 1850 / 2000 - 1 = -0.075


def test_break_even_moves_the_stop_to_the_reference_once_a_step_fired() -> None:
    assert break_even_stop(D("1900"), D("2000"), break_even=True, steps_fired=0) == D("1900")
    assert break_even_stop(D("1900"), D("2000"), break_even=True, steps_fired=1) == D("2000")
    assert break_even_stop(D("1900"), D("2000"), break_even=False, steps_fired=3) == D("1900")
    # Never lowered.
    assert break_even_stop(D("2000"), D("2000"), break_even=True, steps_fired=2) == D("2000")


def test_stop_fire_prices() -> None:
    assert stop_fire_price(D("1900"), last=D("1901"), low=D("1901")) is None
    assert stop_fire_price(D("1900"), last=D("1900"), low=D("1900")) == D("1900")
    assert stop_fire_price(D("1900"), last=D("1880"), low=D("1870")) == D("1880")  # gap down
    assert stop_fire_price(D("1900"), last=D("1950"), low=D("1890")) == D("1900")  # wick
    # After the first step sold 0.8 of 4 ETH, 3.2 left; at break-even 2000, fired at 1990:
    assert realised(D("3.2"), D("1990"), D("2000")) == D("-32")  # (1990 - 2000) * 3.2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (StopSpec("price", D("2000")), "the stop price must be below the reference price 2000"),
        (StopSpec("price", D("2100")), "the stop price must be below the reference price 2000"),
        (StopSpec("price", D("0")), "the stop price must be greater than 0"),
        (StopSpec("pct", D("0")), "the stop must be more than 0 % below the reference"),
        (StopSpec("pct", D("100")), "the stop must be less than 100 % below the reference"),
    ],
)
def test_bad_stops_are_explained(spec: StopSpec, message: str) -> None:
    assert stop_errors(D("2000"), spec) == {"stopLoss.value": message}


def test_a_bad_stop_kind() -> None:
    expected = {"stopLoss.type": "must be pct or price"}
    assert stop_errors(D("2000"), StopSpec("atr", D("1"))) == expected


# ---------------------------------------------------------------- properties

prices = st.decimals(min_value="1", max_value="100000", places=2, allow_nan=False)
trails = st.decimals(min_value="0.01", max_value="99.99", places=2, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(path=st.lists(prices, min_size=1, max_size=40), target=prices, trail=trails)
def test_a_trailing_step_never_fires_above_its_peak_floor_and_fires_at_most_once(
    path: list[Decimal], target: Decimal, trail: Decimal
) -> None:
    peak: Decimal | None = None
    fires = 0
    seen_since_armed: list[Decimal] = []
    for p in path:
        if fires:
            break  # the step is triggered: the watcher never hands it another window
        move = follow_trail(target_price=target, trail_pct=trail, peak=peak, last=p, high=p, low=p)
        if peak is None and move.peak is not None:
            assert p >= target  # it arms only at its target
        if move.peak is not None:
            seen_since_armed.append(p)
            # The peak is the highest price seen since arming.
            assert move.peak == max(seen_since_armed)
        peak = move.peak
        if move.fires:
            fires += 1
            assert move.fire_peak is not None and move.fire_price is not None
            assert move.fire_price <= trail_floor(move.fire_peak, trail)
            assert move.fire_peak <= max(seen_since_armed)
    assert fires <= 1


@settings(max_examples=300, deadline=None)
@given(peak=prices, trail=trails, a=prices, b=prices, c=prices)
def test_windows_never_fire_above_the_floor_of_the_peak_held(
    peak: Decimal, trail: Decimal, a: Decimal, b: Decimal, c: Decimal
) -> None:
    low, last, high = sorted([a, b, c])[0], sorted([a, b, c])[1], sorted([a, b, c])[2]
    move = follow_trail(target_price=D("1"), trail_pct=trail, peak=peak, last=last, high=high,
                        low=low)  # fmt: skip
    if move.fires:
        assert move.fire_peak is not None and move.fire_price is not None
        assert move.fire_price <= trail_floor(move.fire_peak, trail)
        assert move.fire_peak in (peak, max(peak, high))
    else:
        assert move.peak == max(peak, high)

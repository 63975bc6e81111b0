"""PriceTouch: the window of prices between two evaluations (worked examples + properties)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from exstrat_app.domain.touch import PriceTouch

T0 = datetime(2026, 3, 1, 12, 4, tzinfo=UTC)
D = Decimal


def tick(price: str, seconds: int) -> PriceTouch:
    return PriceTouch.at_price("ETH", D(price), T0 + timedelta(seconds=seconds))


def test_a_spike_between_two_looks_is_kept_with_its_moment() -> None:
    window = tick("2200", 0).merged(tick("2310", 2)).merged(tick("2250", 4))
    assert window.last == D("2250")  # where the price is now
    assert window.high == D("2310")  # the spike, although it is gone
    assert window.high_seen_at == T0 + timedelta(seconds=2)  # "touched 2,310 at 12:04"
    assert window.low == D("2200")
    assert window.low_seen_at == T0
    assert window.at == T0 + timedelta(seconds=4)


def test_a_tie_keeps_the_first_moment_at_that_price() -> None:
    window = tick("2310", 1).merged(tick("2310", 3))
    assert (window.high, window.high_seen_at) == (D("2310"), T0 + timedelta(seconds=1))


prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


@given(st.lists(prices, min_size=1, max_size=30))
def test_the_window_holds_the_extremes_and_the_last_price(path: list[Decimal]) -> None:
    window = tick(str(path[0]), 0)
    for i, price in enumerate(path[1:], start=1):
        window = window.merged(tick(str(price), i))
    assert (window.last, window.high, window.low) == (path[-1], max(path), min(path))
    assert window.low <= window.last <= window.high
    assert window.high_seen_at == T0 + timedelta(seconds=path.index(max(path)))

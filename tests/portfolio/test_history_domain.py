"""The value history's money rules, day by day (domain.history), with the expected figure on
each line; and a replay stopped at any day and resumed from its snapshot equals one replay."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.history import Snapshot, replay_days, sort_events
from exstrat_app.domain.positions import Fill, Movement

D = Decimal


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def no_price(asset: str, ts: datetime) -> Decimal:
    raise PriceUnavailable(asset, ts, "none in this test")


ETH_CLOSES = {1: D("2000"), 2: D("2500"), 3: D("3000"), 4: D("2800")}


def close(asset: str, day: date) -> Decimal | None:
    return ETH_CLOSES.get(day.day) if asset == "ETH" else None


def test_a_buy_a_price_move_a_sale_and_a_transfer_between_accounts_day_by_day() -> None:
    events = sort_events(
        [
            # Day 1: 10,000 USDT deposited, 2 ETH bought for 4,000 USDT (fee 4 USDT).
            Fill(
                at(1),
                "a:ETH/USDT:1",
                "ETH",
                "USDT",
                "buy",
                D("2"),
                D("2000"),
                D("4000"),
                "USDT",
                D("4"),
            ),
            # Day 3: 1 ETH sold for 3,000 USDT.
            Fill(at(3), "a:ETH/USDT:2", "ETH", "USDT", "sell", D("1"), D("3000"), D("3000")),
        ],
        [
            Movement(at(1, 8), "a:dep1", "USDT", "deposit", D("10000")),
            # Day 4: the last ETH moves from account a to account b: 0.99 arrive, the
            # withdrawal's 0.01 ETH fee leaves on top.
            Movement(at(4, 9), "a:wd1", "ETH", "withdrawal", D("0.99"), D("0.01")),
            Movement(at(4, 10), "b:dep1", "ETH", "deposit", D("0.99")),
        ],
    )
    points, _ = replay_days(
        events, first=date(2026, 1, 1), last=date(2026, 1, 4), close=close, price_at=no_price
    )
    day1, day2, day3, day4 = points
    # Day 1: 2 ETH at 2,000 = 4,000 + cash 10,000 - 4,000 - 4 = 5,996 -> 9,996.
    assert day1.value == D("9996")
    # Invested: ETH cost 4,004 (fee added) + cash 5,996 = 10,000.
    assert day1.invested == D("10000")
    # Unrealized: (2,000 - 2,002) * 2 = -4 (the fee); nothing realized.
    assert day1.unrealized == D("-4")
    assert day1.realized == D("0")
    # Day 2: the price moves to 2,500: 5,000 + 5,996 = 10,996; (2,500 - 2,002) * 2 = 996.
    assert day2.value == D("10996")
    assert day2.invested == D("10000")
    assert day2.unrealized == D("996")
    # Day 3: 1 ETH sold for 3,000: realized 3,000 - 2,002 = 998; cash 8,996; 1 ETH at 3,000.
    assert day3.realized == D("998")
    assert day3.value == D("11996")
    # Invested: 2,002 (the ETH held) + 8,996 cash = 10,998.
    assert day3.invested == D("10998")
    assert day3.unrealized == D("998")
    # Day 4: the transfer moves 0.99 ETH out and back in at the average; its 0.01 ETH fee is a loss
    # of 0.01 * 2,002 = 20.02: held 0.99 ETH at 2,800 = 2,772 + 8,996 = 11,768.
    assert day4.value == D("11768")
    assert day4.realized == D("977.98")
    # Invested: 0.99 * 2,002 = 1,981.98 + 8,996 = 10,977.98.
    assert day4.invested == D("10977.98")
    # Unrealized: (2,800 - 2,002) * 0.99 = 790.02.
    assert day4.unrealized == D("790.02")
    assert day4.income == D("0")
    # value = invested + unrealized on every day (everything is priced).
    assert all(p.value == p.invested + p.unrealized for p in points)


_fills = st.lists(
    st.tuples(
        st.integers(1, 20),
        st.sampled_from(["buy", "sell"]),
        st.decimals(D("0.01"), D("5"), places=2),
        st.decimals(D("100"), D("3000"), places=2),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(_fills, st.integers(1, 19))
def test_a_replay_resumed_from_any_days_snapshot_equals_one_replay(fills, cut) -> None:
    events = sort_events(
        [
            Fill(at(d), f"a:ETH/USDT:{i}", "ETH", "USDT", side, q, p, q * p)
            for i, (d, side, q, p) in enumerate(fills)
        ],
        [Movement(at(1, 0), "a:dep", "USDT", "deposit", D("100000"))],
    )

    def closes(asset: str, day: date) -> Decimal | None:
        return D(1000 + 37 * day.day) if asset == "ETH" else None

    kw = {"close": closes, "price_at": no_price}
    full, _ = replay_days(events, first=date(2026, 1, 1), last=date(2026, 1, 20), **kw)
    head, book = replay_days(events, first=date(2026, 1, 1), last=date(2026, 1, cut), **kw)
    # The snapshot goes through JSON as it is stored.
    snap = Snapshot.from_json(json.loads(json.dumps(book.snapshot(date(2026, 1, cut)).to_json())))
    tail, _ = replay_days(
        events, first=date(2026, 1, cut + 1), last=date(2026, 1, 20), snapshot=snap, **kw
    )
    assert head + tail == full

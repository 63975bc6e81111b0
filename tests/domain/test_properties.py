"""Properties of the money core that must hold for any input (Hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from exstrat_app.domain.errors import LadderInvalid
from exstrat_app.domain.ladder import StepSpec, plan_ladder
from exstrat_app.domain.money import fmt, to_decimal
from exstrat_app.domain.positions import Fill, Movement, PositionState, rebuild_positions

T0 = datetime(2024, 1, 1, tzinfo=UTC)
FAST = settings(max_examples=200, deadline=None)

# 8 decimals like most exchange quantities; prices with 2 decimals keep cost = amount*price exact.
amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(1000), places=8)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2)
fee_rates = st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("0.00075")])


@dataclass(frozen=True)
class Op:
    kind: str  # buy | sell | deposit | withdrawal
    amount: Decimal
    price: Decimal
    fee_rate: Decimal


ops = st.builds(
    Op,
    kind=st.sampled_from(["buy", "sell", "deposit", "withdrawal"]),
    amount=amounts,
    price=prices,
    fee_rate=fee_rates,
)
trade_ops = st.builds(
    Op, kind=st.sampled_from(["buy", "sell"]), amount=amounts, price=prices, fee_rate=fee_rates
)


def fill_of(i: int, op: Op) -> Fill:
    cost = op.amount * op.price  # exact: 8 + 2 decimals, well inside 28 digits
    return Fill(
        ts=T0 + timedelta(minutes=i),
        trade_id=str(i),
        base="ETH",
        quote="USDT",
        side=op.kind,
        amount=op.amount,
        price=op.price,
        cost=cost,
        fee_asset="USDT",
        fee_cost=cost * op.fee_rate,
    )


def movement_of(i: int, op: Op) -> Movement:
    return Movement(
        ts=T0 + timedelta(minutes=i),
        transfer_id=str(i),
        asset="ETH",
        kind=op.kind,
        amount=op.amount,
    )


def replay(sequence: list[Op]) -> PositionState | None:
    fills = [fill_of(i, op) for i, op in enumerate(sequence) if op.kind in ("buy", "sell")]
    moves = [movement_of(i, op) for i, op in enumerate(sequence) if op.kind not in ("buy", "sell")]
    return rebuild_positions(fills, moves, quote="USDT", price_at=no_price).get("ETH")


def no_price(asset: str, ts: datetime) -> Decimal:
    raise AssertionError(f"USDT trades must not ask for a price ({asset})")


@FAST
@given(history=st.lists(trade_ops, min_size=1, max_size=12), sale=trade_ops)
def test_a_sell_never_changes_the_average(history: list[Op], sale: Op) -> None:
    before = replay(history)
    after = replay([*history, Op("sell", sale.amount, sale.price, sale.fee_rate)])
    assert before is not None and after is not None
    if after.avg_price is not None:  # something with a known cost is still held
        assert after.avg_price == before.avg_price


@FAST
@given(sequence=st.lists(ops, min_size=1, max_size=20))
def test_quantities_never_go_negative(sequence: list[Op]) -> None:
    state = replay(sequence)
    assert state is not None
    assert state.quantity >= 0
    assert state.unknown_cost_qty >= 0
    assert state.known_qty >= 0
    assert state.oversold_qty >= 0
    assert state.cost >= 0
    # Conservation: what came in minus what went out, plus what went out without being held.
    net = sum(
        (op.amount if op.kind in ("buy", "deposit") else -op.amount for op in sequence),
        Decimal(0),
    )
    assert state.quantity == net + state.oversold_qty


@FAST
@given(
    history=st.lists(st.builds(Op, st.just("buy"), amounts, prices, fee_rates), max_size=6),
    amount=amounts,
    price=prices,
    split=st.integers(min_value=1, max_value=99),
)
def test_splitting_a_buy_in_two_gives_the_same_average(
    history: list[Op], amount: Decimal, price: Decimal, split: int
) -> None:
    whole = [fill_of(i, op) for i, op in enumerate(history)]
    n = len(history)
    cost = amount * price
    # Any split of the amount and the cost (rounded down, so both parts stay >= 0).
    first_amount = (amount * split / 100).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)
    first_cost = (cost * split / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    one = Fill(T0 + timedelta(minutes=n), "w", "ETH", "USDT", "buy", amount, price, cost)
    parts = [one]  # too small to split at 8 decimals: trivially the same
    if 0 < first_amount < amount:
        parts = [
            Fill(
                T0 + timedelta(minutes=n),
                "p1",
                "ETH",
                "USDT",
                "buy",
                first_amount,
                price,
                first_cost,
            ),
            Fill(
                T0 + timedelta(minutes=n + 1),
                "p2",
                "ETH",
                "USDT",
                "buy",
                amount - first_amount,
                price,
                cost - first_cost,
            ),
        ]
    a = rebuild_positions([*whole, one], [], price_at=no_price)["ETH"]
    b = rebuild_positions([*whole, *parts], [], price_at=no_price)["ETH"]
    assert a.avg_price == b.avg_price
    assert a.cost == b.cost
    assert a.quantity == b.quantity


# Everything NUMERIC(38,18) can hold: 20 digits before the point, 18 after.
numeric_38_18 = st.decimals(
    min_value=Decimal("-99999999999999999999.999999999999999999"),
    max_value=Decimal("99999999999999999999.999999999999999999"),
    places=18,
    allow_nan=False,
    allow_infinity=False,
)


@FAST
@given(x=numeric_38_18)
def test_fmt_round_trips(x: Decimal) -> None:
    text = fmt(x)
    assert "e" not in text.lower()  # never exponent notation
    assert to_decimal(text) == x


@FAST
@given(
    base_qty=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**6), places=4),
    sells=st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=4),
)
def test_a_ladder_never_sells_more_than_the_base(base_qty: Decimal, sells: list[int]) -> None:
    steps = [StepSpec(Decimal(10 * (i + 1)), Decimal(s)) for i, s in enumerate(sells)]
    try:
        plan = plan_ladder(
            ref_price=Decimal(100), base_qty=base_qty, steps=steps, lot_step=Decimal("0.0001")
        )
    except LadderInvalid as exc:
        assert all(k.endswith(".sellPct") for k in exc.fields)
        return  # a step truncated to 0 lots: refused, never planned
    assert plan.remaining_qty >= 0
    assert all(step.qty_to_sell > 0 for step in plan.steps)

"""Properties of income, openings and unvalued legs (Hypothesis), issue 13."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.positions import Fill, Movement, PositionState, Unvalued, rebuild_positions

T0 = datetime(2024, 1, 1, tzinfo=UTC)
FAST = settings(max_examples=200, deadline=None)
ZERO = Decimal(0)
# The replay divides at 50 digits (the average): sums of its figures agree to far below this.
TOLERANCE = Decimal("1e-20")

amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(1000), places=8)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2)
fee_rates = st.sampled_from([Decimal(0), Decimal("0.001")])


def ts(i: int) -> datetime:
    return T0 + timedelta(minutes=i)


@dataclass(frozen=True)
class Op:
    kind: str  # buy | sell | deposit | withdrawal | income | opening
    amount: Decimal
    price: Decimal  # trade price, income's market price, opening's unit cost
    fee_rate: Decimal
    priced: bool = True  # income only: does price_at know the price?


def op_strategy(kinds: list[str]) -> st.SearchStrategy[Op]:
    return st.builds(
        Op,
        kind=st.sampled_from(kinds),
        amount=amounts,
        price=prices,
        fee_rate=fee_rates,
        priced=st.booleans(),
    )


ALL_KINDS = ["buy", "sell", "deposit", "withdrawal", "income", "opening"]
NO_MOVES = ["buy", "sell", "income", "opening"]  # no transfers: the P&L is conserved


def events_of(sequence: list[Op]) -> tuple[list[Fill], list[Movement], dict[int, Decimal]]:
    """ETH against USDT; income priced through price_at (a table), openings at their value."""
    fills, moves, table = [], [], {}
    for i, op in enumerate(sequence):
        if op.kind in ("buy", "sell"):
            cost = op.amount * op.price
            fills.append(
                Fill(ts(i), str(i), "ETH", "USDT", op.kind, op.amount, op.price, cost,
                     "USDT", cost * op.fee_rate)
            )  # fmt: skip
        elif op.kind == "opening":
            moves.append(
                Movement(ts(i), str(i), "ETH", "opening", op.amount, value=op.amount * op.price)
            )
        else:
            moves.append(Movement(ts(i), str(i), "ETH", op.kind, op.amount))
            if op.kind == "income" and op.priced:
                table[i] = op.price
    return fills, moves, table


def replay(sequence: list[Op]) -> tuple[PositionState, list[Unvalued]]:
    fills, moves, table = events_of(sequence)

    def price_at(asset: str, when: datetime) -> Decimal:
        minute = int((when - T0).total_seconds() // 60)
        if asset != "ETH" or minute not in table:
            raise PriceUnavailable(asset, when)
        return table[minute]

    items: list[Unvalued] = []
    pos = rebuild_positions(fills, moves, price_at=price_at, unvalued=items)
    return pos["ETH"], items


@FAST
@given(sequence=st.lists(op_strategy(ALL_KINDS), min_size=1, max_size=20))
def test_income_and_openings_keep_the_invariants(sequence: list[Op]) -> None:
    state, items = replay(sequence)
    assert state.quantity >= 0
    assert state.unknown_cost_qty >= 0
    assert state.known_qty >= 0
    assert state.oversold_qty >= 0
    assert state.cost >= 0
    assert state.income >= 0
    net = sum(
        (op.amount if op.kind in ("buy", "deposit", "income", "opening") else -op.amount
         for op in sequence),
        ZERO,
    )  # fmt: skip
    assert state.quantity == net + state.oversold_qty
    # Exactly one item per income without a price, nothing else is ever unvalued here.
    unpriced = [str(i) for i, op in enumerate(sequence) if op.kind == "income" and not op.priced]
    assert sorted(item.ref for item in items) == sorted(unpriced)
    assert all(item.role == "income" and item.asset == "ETH" for item in items)
    assert state.unvalued == items


@FAST
@given(
    sequence=st.lists(op_strategy(NO_MOVES), min_size=1, max_size=20),
    last=prices,
)
def test_total_pnl_is_conserved_with_income_and_openings(sequence: list[Op], last: Decimal) -> None:
    """realized + unrealized + income (+ proceeds of oversold units, which have no basis)
    = what the sales brought + what is held at `last` - what the buys and openings cost."""
    state, _ = replay(sequence)
    proceeds = paid = ZERO
    for op in sequence:
        cost = op.amount * op.price
        if op.kind == "sell":
            proceeds += cost - cost * op.fee_rate
        elif op.kind == "buy":
            paid += cost + cost * op.fee_rate
        elif op.kind == "opening":
            paid += cost  # its declared total cost
        # income: received for nothing; its value is the income figure (0 when unvalued)
    pnl = state.realized + state.unrealized(last) + state.income + state.unmatched_proceeds
    assert abs(pnl - (proceeds + state.quantity * last - paid)) < TOLERANCE


# --- unvalued legs: the replay as if the missing price were 0, nothing else changes ---------


@dataclass(frozen=True)
class Leg:
    kind: str  # buy_btc (ETH/BTC, fee BNB) | buy_usdt (ETH/USDT, fee BNB) | income
    amount: Decimal
    price: Decimal  # in BTC for buy_btc, in USDT otherwise
    fee: Decimal  # BNB
    drop_btc: bool
    drop_bnb: bool
    drop_eth: bool


legs = st.builds(
    Leg,
    kind=st.sampled_from(["buy_btc", "buy_usdt", "income"]),
    amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10), places=3),
    price=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.1"), places=3),
    fee=st.sampled_from([Decimal(0), Decimal("0.001"), Decimal("0.01")]),
    drop_btc=st.booleans(),
    drop_bnb=st.booleans(),
    drop_eth=st.booleans(),
)
MARKET = {"BTC": Decimal(40000), "BNB": Decimal(300), "ETH": Decimal(2000)}


def leg_replay(
    sequence: list[Leg], dropped: str
) -> tuple[dict[str, PositionState], list[Unvalued]]:
    """dropped = "raise": missing prices raise PriceUnavailable; "zero": they are 0;
    "none": every price is known."""
    # Seed holdings (minute 0) so no disposal ever oversells: 1000 BTC, 1000 BNB.
    fills = [
        Fill(ts(0), "seed-btc", "BTC", "USDT", "buy", Decimal(1000), Decimal(30000),
             Decimal(30000000)),
        Fill(ts(0), "seed-bnb", "BNB", "USDT", "buy", Decimal(1000), Decimal(250),
             Decimal(250000)),
    ]  # fmt: skip
    moves = []
    missing: set[tuple[str, int]] = set()
    for i, leg in enumerate(sequence, start=1):
        for asset, drop in (("BTC", leg.drop_btc), ("BNB", leg.drop_bnb), ("ETH", leg.drop_eth)):
            if drop:
                missing.add((asset, i))
        if leg.kind == "income":
            moves.append(Movement(ts(i), f"m{i}", "ETH", "income", leg.amount))
            continue
        quote, price = ("BTC", leg.price) if leg.kind == "buy_btc" else ("USDT", leg.price * 1000)
        fills.append(
            Fill(ts(i), f"t{i}", "ETH", quote, "buy", leg.amount, price, leg.amount * price,
                 "BNB" if leg.fee else None, leg.fee or None)
        )  # fmt: skip

    def price_at(asset: str, when: datetime) -> Decimal:
        minute = int((when - T0).total_seconds() // 60)
        if dropped != "none" and (asset, minute) in missing:
            if dropped == "raise":
                raise PriceUnavailable(asset, when)
            return ZERO
        return MARKET[asset]

    items: list[Unvalued] = []
    return rebuild_positions(fills, moves, price_at=price_at, unvalued=items), items


FIGURES = ("quantity", "cost", "realized", "unknown_cost_qty", "oversold_qty",
           "unmatched_proceeds", "last_avg", "income")  # fmt: skip


@FAST
@given(sequence=st.lists(legs, min_size=1, max_size=12))
def test_an_unvalued_leg_is_valued_at_zero_and_nothing_else_changes(
    sequence: list[Leg],
) -> None:
    unvalued, items = leg_replay(sequence, "raise")
    as_zero, zero_items = leg_replay(sequence, "zero")
    full, full_items = leg_replay(sequence, "none")
    assert zero_items == [] and full_items == []
    for asset, state in unvalued.items():
        for name in FIGURES:
            assert getattr(state, name) == getattr(as_zero[asset], name), (asset, name)
    # Each item is the missing value of one leg: the figures fall by exactly that much.
    missing = {"cost": ZERO, "BTC": ZERO, "BNB": ZERO}
    for item in items:
        assert item.asset == "ETH"  # the base whose cost lacks it
        lost = item.amount * MARKET[item.item_asset]
        missing["cost"] += lost
        if item.item_asset != "ETH":  # the BTC given / BNB fee was disposed of for 0 too
            missing[item.item_asset] += lost
    eth = unvalued["ETH"]
    assert eth.cost == full["ETH"].cost - missing["cost"]  # only ever lower, by the value lost
    assert eth.income == full["ETH"].income - sum(
        (i.amount * MARKET["ETH"] for i in items if i.role == "income"), ZERO
    )
    assert eth.quantity == full["ETH"].quantity  # quantities never depend on prices
    for asset in ("BTC", "BNB"):
        assert unvalued[asset].quantity == full[asset].quantity
        assert unvalued[asset].cost == full[asset].cost  # disposals leave at the average
        assert unvalued[asset].realized == full[asset].realized - missing[asset]
    assert eth.unvalued == items

"""Average-cost positions, worked by hand (SPEC §4). Each figure is derived in the comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import pytest

from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.domain.positions import (
    Fill,
    Movement,
    PositionState,
    PriceAt,
    rebuild_positions,
)

D = Decimal
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fill(
    minute: int,
    side: str,
    symbol: str,
    amount: str,
    price: str,
    *,
    fee: str | None = None,
    fee_asset: str | None = None,
    trade_id: str | None = None,
) -> Fill:
    base, quote = symbol.split("/")
    return Fill(
        ts=at(minute),
        trade_id=trade_id or f"t{minute}",
        base=base,
        quote=quote,
        side=side,
        amount=D(amount),
        price=D(price),
        cost=D(amount) * D(price),  # exact: few decimals in these examples
        fee_asset=fee_asset,
        fee_cost=D(fee) if fee is not None else None,
    )


def move(minute: int, kind: str, asset: str, amount: str, fee: str = "0") -> Movement:
    return Movement(
        ts=at(minute),
        transfer_id=f"m{minute}",
        asset=asset,
        kind=kind,
        amount=D(amount),
        fee=D(fee),
    )


def prices(table: dict[tuple[str, int], str]) -> PriceAt:
    """price_at from a {(asset, minute): price} table; anything else is unavailable."""

    def price_at(asset: str, ts: datetime) -> Decimal:
        minute = int((ts - T0).total_seconds() // 60)
        if (asset, minute) not in table:
            raise PriceUnavailable(asset, ts)
        return D(table[(asset, minute)])

    return price_at


NO_PRICES = prices({})  # stable quotes must never need a price


def rebuild(
    fills: list[Fill], moves: list[Movement] | None = None, price_at: PriceAt = NO_PRICES
) -> dict[str, PositionState]:
    # strict_prices: these examples predate unvalued legs (test_real_accounts.py has those);
    # a missing price must still fail here, so NO_PRICES keeps guarding "no price asked".
    return rebuild_positions(
        fills, moves or [], quote="USDT", price_at=price_at, strict_prices=True
    )


def div(a: str, b: str) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return D(a) / D(b)


# --- buys and sells in a stable quote -----------------------------------------------------


def test_buys_make_a_weighted_average() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDT", "1", "1800"),  # cost 1800, qty 1
            fill(1, "buy", "ETH/USDC", "3", "2066.666"),  # USDC is 1:1: cost += 6199.998
        ]
    )
    eth = pos["ETH"]
    assert eth.quantity == D("4")  # 1 + 3
    assert eth.cost == D("7999.998")  # 1800 + 6199.998
    assert eth.avg_price == D("1999.9995")  # 7999.998 / 4
    assert "USDT" not in pos and "USDC" not in pos  # no positions for stable assets


def test_seed_position_of_4_eth_at_2000() -> None:
    pos = rebuild(
        [fill(0, "buy", "ETH/USDT", "1.5", "1800"), fill(1, "buy", "ETH/USDT", "2.5", "2120")]
    )
    # (1.5 * 1800 + 2.5 * 2120) / 4 = (2700 + 5300) / 4 = 2000.
    assert pos["ETH"].quantity == D("4")
    assert pos["ETH"].avg_price == D("2000")


def test_sale_keeps_the_average_and_realizes_exact_pnl() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDT", "3", "1000"),  # cost 3000
            # cost 1600 + fee 1.6 USDT = 1601.6 -> total 4601.6 for 4 ETH, avg 1150.4
            fill(1, "buy", "ETH/USDT", "1", "1600", fee="1.6", fee_asset="USDT"),
            # sell 1.5 at 2000.37: proceeds 3000.555, fee 0.1 % = 3.000555 USDT
            fill(2, "sell", "ETH/USDT", "1.5", "2000.37", fee="3.000555", fee_asset="USDT"),
        ]
    )
    eth = pos["ETH"]
    # realized = 3000.555 - 3.000555 - 1.5 * 1150.4 = 2997.554445 - 1725.6 = 1271.954445
    assert eth.realized == D("1271.954445")
    assert eth.avg_price == D("1150.4")  # unchanged by the sale
    assert eth.quantity == D("2.5")  # 4 - 1.5
    assert eth.cost == D("2876.0")  # 4601.6 - 1725.6 = 2.5 * 1150.4
    # unrealized at 2100: 2.5 * 2100 - 2876 = 5250 - 2876 = 2374
    assert eth.unrealized(D("2100")) == D("2374")


def test_selling_everything_leaves_cost_exactly_zero() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "SOL/USDT", "3", "100"),  # cost 300
            fill(1, "buy", "SOL/USDT", "4", "100.25"),  # cost 401: avg 701 / 7 = 100.142857...
            fill(2, "sell", "SOL/USDT", "2", "150"),  # proceeds 300
            fill(3, "sell", "SOL/USDT", "5", "180"),  # proceeds 900
        ]
    )
    sol = pos["SOL"]
    # The average is not a finite decimal; the last sale takes all the rest of the cost.
    assert sol.quantity == 0
    assert sol.cost == 0  # no 1E-47 residue
    assert sol.avg_price is None  # nothing held
    # realized = (300 + 900) - 701 = 499, exactly, whatever the rounding of the average
    assert sol.realized == D("499")


def test_fee_in_base_raises_the_average() -> None:
    # Buy 1 ETH for 2000 USDT, fee 0.001 ETH: we hold 0.999 ETH that cost 2000.
    eth = rebuild([fill(0, "buy", "ETH/USDT", "1", "2000", fee="0.001", fee_asset="ETH")])["ETH"]
    assert eth.quantity == D("0.999")
    assert eth.cost == D("2000")
    assert eth.avg_price == div("2000", "0.999")  # 2002.002002...


def test_fee_in_base_on_a_sell_is_extra_units_given_up() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDT", "2", "1000"),  # avg 1000
            # Sell 1 ETH at 1500 with a 0.01 ETH fee: 1.01 ETH leave, 1500 USDT come in.
            fill(1, "sell", "ETH/USDT", "1", "1500", fee="0.01", fee_asset="ETH"),
        ]
    )
    eth = pos["ETH"]
    assert eth.quantity == D("0.99")  # 2 - 1.01
    assert eth.realized == D("490")  # 1500 - 1.01 * 1000
    assert eth.avg_price == D("1000")


# --- fees in a third asset (BNB) ----------------------------------------------------------


def test_buys_with_fee_in_bnb() -> None:
    price_at = prices({("BNB", 1): "400", ("BNB", 2): "400"})
    pos = rebuild(
        [
            # 10 BNB for 3000 USDT + 3 USDT fee: BNB cost 3003, avg 300.3
            fill(0, "buy", "BNB/USDT", "10", "300", fee="3", fee_asset="USDT"),
            # 1 ETH for 2000, fee 0.005 BNB worth 0.005 * 400 = 2 USDT -> ETH cost 2002
            fill(1, "buy", "ETH/USDT", "1", "2000", fee="0.005", fee_asset="BNB"),
            # 1 ETH for 2200, fee 0.0025 BNB worth 1 USDT -> ETH cost += 2201
            fill(2, "buy", "ETH/USDT", "1", "2200", fee="0.0025", fee_asset="BNB"),
        ],
        price_at=price_at,
    )
    eth, bnb = pos["ETH"], pos["BNB"]
    assert eth.quantity == D("2")  # the fee was not taken in ETH
    assert eth.cost == D("4203")  # 2002 + 2201
    assert eth.avg_price == D("2101.5")  # 4203 / 2
    # BNB: 10 - 0.005 - 0.0025 = 9.9925 left
    assert bnb.quantity == D("9.9925")
    # each fee leaves at BNB's average 300.3: 0.005 * 300.3 = 1.5015, 0.0025 * 300.3 = 0.75075
    assert bnb.cost == D("3000.74775")  # 3003 - 1.5015 - 0.75075
    # spent at 400 what cost 300.3: (2 - 1.5015) + (1 - 0.75075) = 0.4985 + 0.24925
    assert bnb.realized == D("0.74775")
    assert bnb.avg_price == D("300.3")  # disposals never move the average


def test_sell_with_fee_in_bnb() -> None:
    price_at = prices({("BNB", 2): "500"})
    pos = rebuild(
        [
            fill(0, "buy", "BNB/USDT", "1", "250"),  # BNB avg 250
            fill(1, "buy", "ETH/USDT", "2", "1000"),  # ETH avg 1000
            # sell 1 ETH at 1800, fee 0.002 BNB = 1 USDT: proceeds 1800 - 1 = 1799
            fill(2, "sell", "ETH/USDT", "1", "1800", fee="0.002", fee_asset="BNB"),
        ],
        price_at=price_at,
    )
    assert pos["ETH"].realized == D("799")  # 1799 - 1 * 1000
    assert pos["BNB"].quantity == D("0.998")  # 1 - 0.002
    assert pos["BNB"].realized == D("0.5")  # 1 - 0.002 * 250
    assert pos["BNB"].cost == D("249.5")  # 250 - 0.5


def test_fee_rebate_is_received() -> None:
    # A maker rebate (negative fee) of 0.5 USDT lowers the buy's cost.
    eth = rebuild([fill(0, "buy", "ETH/USDT", "1", "2000", fee="-0.5", fee_asset="USDT")])["ETH"]
    assert eth.cost == D("1999.5")


# --- non-stable quote (ETH/BTC) -----------------------------------------------------------


def test_eth_btc_buy_is_valued_through_btc_usdt_and_disposes_btc() -> None:
    price_at = prices({("BTC", 1): "40000"})
    pos = rebuild(
        [
            fill(0, "buy", "BTC/USDT", "1", "30000"),  # BTC avg 30000
            # 10 ETH at 0.05 BTC = 0.5 BTC; BTC/USDT at that minute is 40000 -> worth 20000
            fill(1, "buy", "ETH/BTC", "10", "0.05"),
        ],
        price_at=price_at,
    )
    eth, btc = pos["ETH"], pos["BTC"]
    assert eth.quantity == D("10")
    assert eth.cost == D("20000")  # 0.5 * 40000
    assert eth.avg_price == D("2000")
    # BTC paid away: 0.5 BTC that cost 0.5 * 30000 = 15000, given for 20000 -> +5000
    assert btc.realized == D("5000")
    assert btc.quantity == D("0.5")
    assert btc.cost == D("15000")
    assert btc.avg_price == D("30000")


def test_eth_btc_buy_with_fee_in_btc() -> None:
    price_at = prices({("BTC", 1): "40000"})
    pos = rebuild(
        [
            fill(0, "buy", "BTC/USDT", "1", "30000"),
            # fee 0.0005 BTC = 20 USDT: ETH cost 20000 + 20
            fill(1, "buy", "ETH/BTC", "10", "0.05", fee="0.0005", fee_asset="BTC"),
        ],
        price_at=price_at,
    )
    assert pos["ETH"].cost == D("20020")
    assert pos["ETH"].avg_price == D("2002")
    # 0.5005 BTC disposed at 40000 = 20020, cost 0.5005 * 30000 = 15015 -> +5005
    assert pos["BTC"].realized == D("5005")
    assert pos["BTC"].quantity == D("0.4995")  # 1 - 0.5 - 0.0005
    assert pos["BTC"].cost == D("14985")  # 0.4995 * 30000


def test_eth_btc_sell_acquires_btc_at_its_value() -> None:
    price_at = prices({("BTC", 1): "40000", ("BTC", 2): "48000"})
    pos = rebuild(
        [
            fill(0, "buy", "BTC/USDT", "1", "30000"),
            fill(1, "buy", "ETH/BTC", "10", "0.05"),  # as above: ETH avg 2000, BTC 0.5 @ 30000
            # sell 5 ETH at 0.05 BTC = 0.25 BTC, worth 0.25 * 48000 = 12000 USDT
            fill(2, "sell", "ETH/BTC", "5", "0.05"),
        ],
        price_at=price_at,
    )
    assert pos["ETH"].realized == D("2000")  # 12000 - 5 * 2000
    assert pos["ETH"].quantity == D("5")
    # BTC: 0.5 (cost 15000) + 0.25 acquired at 12000 = 0.75 for 27000 -> avg 36000
    assert pos["BTC"].quantity == D("0.75")
    assert pos["BTC"].cost == D("27000")
    assert pos["BTC"].avg_price == D("36000")
    assert pos["BTC"].realized == D("5000")  # from the earlier ETH/BTC buy only


def test_eth_btc_sell_with_fee_in_btc_acquires_the_net() -> None:
    price_at = prices({("BTC", 1): "40000"})
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDT", "1", "1500"),
            # 1 ETH for 0.05 BTC minus 0.0001 BTC fee; BTC at 40000: 2000 - 4 = 1996 net
            fill(1, "sell", "ETH/BTC", "1", "0.05", fee="0.0001", fee_asset="BTC"),
        ],
        price_at=price_at,
    )
    assert pos["ETH"].realized == D("496")  # 1996 - 1500
    assert pos["BTC"].quantity == D("0.0499")  # 0.05 - 0.0001
    assert pos["BTC"].cost == D("1996")
    assert pos["BTC"].realized == D("0")


def test_missing_price_propagates() -> None:
    with pytest.raises(PriceUnavailable) as info:
        rebuild([fill(0, "buy", "ETH/BTC", "1", "0.05")])
    assert info.value.asset == "BTC"


def test_price_at_is_asked_once_per_asset_and_time() -> None:
    calls: list[tuple[str, datetime]] = []

    def price_at(asset: str, ts: datetime) -> Decimal:
        calls.append((asset, ts))
        return D("400")

    rebuild(
        [
            fill(0, "buy", "ETH/USDT", "1", "2000", fee="0.001", fee_asset="BNB", trade_id="a"),
            fill(0, "buy", "ETH/USDT", "1", "2000", fee="0.001", fee_asset="BNB", trade_id="b"),
        ],
        price_at=price_at,
    )
    assert calls == [("BNB", T0)]


def test_stable_fee_and_stable_base_need_no_price() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDC", "1", "2000", fee="2", fee_asset="FDUSD"),  # 1:1
            fill(1, "buy", "USDC/USDT", "100", "1.0001"),  # stable for stable: no position
        ]
    )
    assert pos["ETH"].cost == D("2002")
    assert set(pos) == {"ETH"}


def test_reporting_quote_other_than_usdt() -> None:
    # Reporting in USDC: USDT trades count 1:1 (V1), no price needed.
    pos = rebuild_positions(
        [fill(0, "buy", "ETH/USDT", "2", "2000")], [], quote="USDC", price_at=NO_PRICES
    )
    assert pos["ETH"].avg_price == D("2000")


# --- deposits and withdrawals -------------------------------------------------------------


def test_transfer_between_accounts_keeps_cost_and_average() -> None:
    pos = rebuild(
        [fill(0, "buy", "ETH/USDT", "2", "1500")],  # 2 ETH, cost 3000, avg 1500
        [
            move(1, "withdrawal", "ETH", "1.5"),  # leaves Binance: qty 0.5, cost 750
            move(2, "deposit", "ETH", "1.5"),  # reaches Coinbase at the average: +2250
        ],
    )
    eth = pos["ETH"]
    assert eth.quantity == D("2")
    assert eth.cost == D("3000")  # unchanged
    assert eth.avg_price == D("1500")  # unchanged
    assert eth.realized == D("0")  # a move is not a sale
    assert eth.unknown_cost_qty == D("0")


def test_transfer_of_everything_comes_back_at_the_same_average() -> None:
    pos = rebuild(
        [fill(0, "buy", "ETH/USDT", "2", "1500")],
        # All of it leaves (qty 0 in between), then arrives: the average was kept.
        [move(1, "withdrawal", "ETH", "2"), move(5, "deposit", "ETH", "2")],
    )
    assert pos["ETH"].cost == D("3000")
    assert pos["ETH"].avg_price == D("1500")
    assert pos["ETH"].unknown_cost_qty == D("0")


def test_withdrawal_fee_reduces_quantity_at_the_average() -> None:
    pos = rebuild(
        [fill(0, "buy", "ETH/USDT", "2", "1500")],  # avg 1500
        [
            # 1 ETH sent, 0.01 ETH fee on top: balance drops by 1.01
            move(1, "withdrawal", "ETH", "1", fee="0.01"),
            move(2, "deposit", "ETH", "1"),  # the 1 ETH arrives in the other account
        ],
    )
    eth = pos["ETH"]
    assert eth.quantity == D("1.99")  # 2 - 0.01
    assert eth.cost == D("2985")  # 3000 - 0.01 * 1500
    assert eth.avg_price == D("1500")  # 2985 / 1.99
    assert eth.realized == D("-15")  # the fee is a loss of 0.01 * 1500


def test_withdrawal_fee_in_another_asset() -> None:
    pos = rebuild_positions(
        [fill(0, "buy", "ETH/USDT", "1", "2000"), fill(0, "buy", "BNB/USDT", "1", "300")],
        [
            Movement(
                ts=at(1),
                transfer_id="w1",
                asset="ETH",
                kind="withdrawal",
                amount=D("0.5"),
                fee=D("0.001"),
                fee_asset="BNB",
            )
        ],
        quote="USDT",
        price_at=NO_PRICES,
    )
    assert pos["ETH"].quantity == D("0.5")
    assert pos["ETH"].cost == D("1000")
    assert pos["BNB"].quantity == D("0.999")
    assert pos["BNB"].realized == D("-0.3")  # 0.001 * 300


def test_deposit_with_no_known_cost() -> None:
    pos = rebuild(
        [
            fill(1, "buy", "ETH/USDT", "1", "2000"),  # then a buy: known part 1 @ 2000
            # sell 1.5 at 3000 = 4500: known units first. 1 known -> 3000 of the proceeds
            fill(2, "sell", "ETH/USDT", "1.5", "3000"),
        ],
        [move(0, "deposit", "ETH", "1")],  # no history: cost unknown
    )
    eth = pos["ETH"]
    assert eth.realized == D("1000")  # 4500 * 1/1.5 - 2000
    assert eth.unmatched_proceeds == D("1500")  # 0.5 unknown-cost ETH sold: no basis
    assert eth.quantity == D("0.5")
    assert eth.unknown_cost_qty == D("0.5")
    assert eth.avg_price is None  # nothing with a known cost is held
    assert eth.cost == D("0")


def test_deposit_with_no_history_is_cost_unknown() -> None:
    eth = rebuild([], [move(0, "deposit", "ETH", "1.25")])["ETH"]
    assert eth.quantity == D("1.25")
    assert eth.unknown_cost_qty == D("1.25")
    assert eth.cost == D("0")
    assert eth.avg_price is None
    # a later buy sets an average over the known units only: 1 ETH at 2000
    eth = rebuild([fill(1, "buy", "ETH/USDT", "1", "2000")], [move(0, "deposit", "ETH", "1.25")])[
        "ETH"
    ]
    assert eth.quantity == D("2.25")
    assert eth.unknown_cost_qty == D("1.25")  # still unknown, not repriced
    assert eth.avg_price == D("2000")
    assert eth.unrealized(D("2500")) == D("500")  # 1 known ETH * (2500 - 2000)


def test_deposit_after_buys_enters_at_the_average() -> None:
    pos = rebuild(
        [fill(0, "buy", "ETH/USDT", "2", "1000"), fill(1, "buy", "ETH/USDT", "2", "2000")],
        [move(2, "deposit", "ETH", "1")],  # avg (2000 + 4000) / 4 = 1500
    )
    eth = pos["ETH"]
    assert eth.quantity == D("5")
    assert eth.cost == D("7500")  # 6000 + 1 * 1500
    assert eth.avg_price == D("1500")
    assert eth.unknown_cost_qty == D("0")


def test_stable_transfers_are_ignored() -> None:
    assert rebuild([], [move(0, "deposit", "USDT", "1000")]) == {}


# --- oversell and ordering ----------------------------------------------------------------


def test_oversell_never_makes_quantity_negative() -> None:
    pos = rebuild(
        [
            fill(0, "buy", "ETH/USDT", "1", "100"),
            # sell 1.5 at 200 = 300 with only 1 held (trades missing from the history)
            fill(1, "sell", "ETH/USDT", "1.5", "200"),
        ]
    )
    eth = pos["ETH"]
    assert eth.quantity == D("0")
    assert eth.oversold_qty == D("0.5")  # the visible anomaly
    assert eth.realized == D("100")  # held unit: 300 * 1/1.5 - 100
    assert eth.unmatched_proceeds == D("100")  # the 0.5 not held: no basis
    assert eth.cost == D("0")


def test_overdrawn_withdrawal_is_oversold_too() -> None:
    eth = rebuild([fill(0, "buy", "ETH/USDT", "1", "100")], [move(1, "withdrawal", "ETH", "3")])[
        "ETH"
    ]
    assert eth.quantity == D("0")
    assert eth.oversold_qty == D("2")
    assert eth.realized == D("0")


def test_events_replay_in_time_order_money_in_first_on_ties() -> None:
    # Given out of order; at minute 1 the deposit runs before the sell and the withdrawal.
    pos = rebuild(
        [fill(1, "sell", "ETH/USDT", "1", "3000"), fill(0, "buy", "ETH/USDT", "1", "2000")],
        [move(1, "withdrawal", "ETH", "1"), move(1, "deposit", "ETH", "1")],
    )
    eth = pos["ETH"]
    assert eth.oversold_qty == D("0")  # the withdrawal did not run first
    assert eth.quantity == D("0")  # 1 + 1 - 1 - 1
    assert eth.realized == D("1000")  # 3000 - 2000


# --- input checks -------------------------------------------------------------------------


def test_fill_refuses_floats_and_nonsense() -> None:
    with pytest.raises(TypeError):
        Fill(T0, "x", "ETH", "USDT", "buy", 1.0, D(1), D(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="side"):
        Fill(T0, "x", "ETH", "USDT", "long", D(1), D(1), D(1))
    with pytest.raises(ValueError, match="needs its asset"):
        Fill(T0, "x", "ETH", "USDT", "buy", D(1), D(1), D(1), fee_cost=D("0.1"))
    with pytest.raises(ValueError, match="amount"):
        Fill(T0, "x", "ETH", "USDT", "buy", D(0), D(1), D(0))
    with pytest.raises(ValueError, match="fee"):
        Fill(T0, "x", "ETH", "USDT", "buy", D(1), D(1), D(1), fee_asset="ETH", fee_cost=D(1))
    with pytest.raises(TypeError):
        Movement(T0, "m", "ETH", "deposit", D(1), fee=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        Movement(T0, "m", "ETH", "airdrop", D(1))


def test_price_at_must_return_a_decimal() -> None:
    bad: Callable[[str, datetime], Decimal] = lambda asset, ts: 400.0  # type: ignore[assignment,return-value]  # noqa: E731
    with pytest.raises(TypeError):
        rebuild(
            [fill(0, "buy", "ETH/USDT", "1", "2000", fee="0.01", fee_asset="BNB")], price_at=bad
        )

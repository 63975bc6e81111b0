"""Real accounts, worked by hand (issue 13): Convert, card buys, dust, income, openings, fiat,
unvalued legs. Each expected figure is derived in the comment on its line.

Trade rows of every kind (trade | convert | card | dust | simple) reach the engine as plain
Fills, oriented as DESIGN says: a stable leg (or the non-fiat side against fiat) is the quote;
otherwise base = the asset received, quote = the asset given, side = buy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, localcontext

import pytest

from exstrat_app.domain import FIAT, MONEY_CONTEXT, Unvalued, is_fiat
from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.positions import (
    Fill,
    Movement,
    PositionState,
    PriceAt,
    rebuild_positions,
)

D = Decimal
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def fill(
    minute: int,
    trade_id: str,
    base: str,
    quote: str,
    side: str,
    amount: str,
    cost: str,
    *,
    fee: str | None = None,
    fee_asset: str | None = None,
) -> Fill:
    """A trade of `amount` base for `cost` quote (price = cost / amount, for the record)."""
    with localcontext(MONEY_CONTEXT):
        price = D(cost) / D(amount)
    return Fill(
        at(minute),
        trade_id,
        base,
        quote,
        side,
        D(amount),
        price,
        D(cost),
        fee_asset,
        D(fee) if fee is not None else None,
    )


def move(
    minute: int,
    transfer_id: str,
    asset: str,
    kind: str,
    amount: str,
    *,
    value: str | None = None,
    value_asset: str | None = None,
) -> Movement:
    return Movement(
        at(minute),
        transfer_id,
        asset,
        kind,
        D(amount),
        value=D(value) if value is not None else None,
        value_asset=value_asset,
    )


def prices(table: dict[tuple[str, int], str]) -> PriceAt:
    """price_at from a {(asset, minute): price} table; anything else is unavailable."""

    def price_at(asset: str, ts: datetime) -> Decimal:
        minute = int((ts - T0).total_seconds() // 60)
        if (asset, minute) not in table:
            raise PriceUnavailable(asset, ts)
        return D(table[(asset, minute)])

    return price_at


def rebuild(
    fills: list[Fill],
    moves: list[Movement] | None = None,
    table: dict[tuple[str, int], str] | None = None,
    **kwargs: object,
) -> dict[str, PositionState]:
    return rebuild_positions(fills, moves or [], price_at=prices(table or {}), **kwargs)  # type: ignore[arg-type]


def div(a: str, b: str) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return D(a) / D(b)


# --- Convert ---------------------------------------------------------------------------------


def test_convert_eth_to_btc_costs_the_eth_given_up_and_realizes_it() -> None:
    pos = rebuild(
        [
            fill(0, "t1", "ETH", "USDT", "buy", "2", "3000"),  # ETH: 2 for 3000, avg 1500
            # Convert 1 ETH -> 0.05 BTC: neither is stable, so base = BTC (received),
            # quote = ETH (given), side buy, cost = the 1 ETH given.
            fill(1, "convert:555", "BTC", "ETH", "buy", "0.05", "1"),
        ],
        table={("ETH", 1): "2000"},  # the ETH/USDT close of that minute
    )
    btc, eth = pos["BTC"], pos["ETH"]
    assert btc.quantity == D("0.05")
    assert btc.cost == D("2000")  # 1 ETH * 2000
    assert btc.avg_price == D("40000")  # 2000 / 0.05
    assert eth.quantity == D("1")  # 2 - 1
    assert eth.cost == D("1500")  # 1 left at the 1500 average
    assert eth.realized == D("500")  # proceeds 2000 - 1 * 1500
    assert btc.unvalued == [] and eth.unvalued == []


def test_convert_usdt_to_eth_the_stable_leg_is_its_own_value() -> None:
    # Convert 1000 USDT -> 0.5 ETH: USDT is the quote; no price is asked (empty table).
    pos = rebuild([fill(0, "convert:556", "ETH", "USDT", "buy", "0.5", "1000")])
    assert pos["ETH"].cost == D("1000")  # the USDT given
    assert pos["ETH"].avg_price == D("2000")  # 1000 / 0.5
    assert set(pos) == {"ETH"}  # no USDT position
    assert pos["ETH"].unvalued == []


# --- card buys (fiat) ------------------------------------------------------------------------


def test_card_buy_in_eur_costs_its_usdt_value_and_builds_no_eur_position() -> None:
    pos = rebuild(
        [fill(0, "card:A1", "ETH", "EUR", "buy", "0.5", "1000")],  # 0.5 ETH for 1,000 EUR
        table={("EUR", 0): "1.08"},  # EUR/USDT at that minute
    )
    assert pos["ETH"].quantity == D("0.5")
    assert pos["ETH"].cost == D("1080")  # 1000 EUR * 1.08
    assert pos["ETH"].avg_price == D("2160")  # 1080 / 0.5
    assert set(pos) == {"ETH"}  # the EUR never sat in the account


def test_card_buy_fee_in_eur_and_card_sale() -> None:
    pos = rebuild(
        [
            # 0.5 ETH for 1,000 EUR + a 10 EUR card fee
            fill(0, "card:A2", "ETH", "EUR", "buy", "0.5", "1000", fee="10", fee_asset="EUR"),
            fill(1, "card:A3", "ETH", "EUR", "sell", "0.25", "600"),  # 0.25 ETH for 600 EUR
        ],
        table={("EUR", 0): "1.08", ("EUR", 1): "1.10"},
    )
    eth = pos["ETH"]
    # cost 1000 * 1.08 + 10 * 1.08 = 1080 + 10.8 = 1090.8 for 0.5 -> avg 2181.6
    assert eth.quantity == D("0.25")  # 0.5 - 0.25
    assert eth.cost == D("545.4")  # 0.25 * 2181.6
    assert eth.realized == D("114.6")  # 600 * 1.10 = 660 - 0.25 * 2181.6 (545.4)
    assert set(pos) == {"ETH"}


def test_fiat_deposit_and_withdrawal_build_no_position() -> None:
    pos = rebuild(
        [fill(1, "card:A4", "ETH", "EUR", "buy", "1", "2000")],
        [
            move(0, "fiat:1", "EUR", "deposit", "2500"),
            move(2, "fiat:2", "EUR", "withdrawal", "500"),
        ],
        table={("EUR", 1): "1.1"},
    )
    assert set(pos) == {"ETH"}
    assert pos["ETH"].cost == D("2200")  # 2000 * 1.1


def test_fiat_is_a_parameter_an_empty_set_makes_eur_a_position_again() -> None:
    pos = rebuild(
        [fill(0, "card:A5", "ETH", "EUR", "buy", "0.5", "1000")],
        table={("EUR", 0): "1.08"},
        fiat=frozenset(),
    )
    assert pos["ETH"].cost == D("1080")  # valued the same way
    assert pos["EUR"].oversold_qty == D("1000")  # but 1000 EUR were disposed of, never held
    assert pos["EUR"].unmatched_proceeds == D("1080")


def test_fiat_constant() -> None:
    assert {"EUR", "GBP", "TRY", "BRL", "AUD", "CAD", "CHF", "JPY", "PLN"} <= FIAT
    assert "USD" not in FIAT  # USD is a stable (1:1), not a priced fiat
    assert is_fiat("EUR") and not is_fiat("USDT")


# --- dust (Binance dribblet) -----------------------------------------------------------------


def test_dust_into_bnb_credits_what_binance_credited() -> None:
    # GET /sapi/v1/asset/dribblet, one entry (transId 777) with two userAssetDribbletDetails:
    #   {fromAsset: ETH,  amount: 0.03, transferedAmount: 0.196,  serviceChargeAmount: 0.004}
    #   {fromAsset: OLDX, amount: 12,   transferedAmount: 0.0098, serviceChargeAmount: 0.0002}
    # `transferedAmount` is the BNB actually credited, `serviceChargeAmount` the BNB fee. So each
    # Trade row is: base BNB, quote <fromAsset>, side buy, amount = transferedAmount +
    # serviceChargeAmount (the gross), cost = amount given (fromAsset), fee_asset BNB,
    # fee = serviceChargeAmount. The engine takes a fee in base off the amount, so the BNB
    # acquired is exactly transferedAmount. (amount = transferedAmount would count the fee twice.)
    pos = rebuild(
        [
            fill(0, "t1", "ETH", "USDT", "buy", "0.03", "54"),  # ETH: 0.03 for 54, avg 1800
            fill(0, "t2", "BNB", "USDT", "buy", "1", "250"),  # BNB: 1 for 250
            fill(
                5, "dust:777:ETH", "BNB", "ETH", "buy", "0.2", "0.03", fee="0.004", fee_asset="BNB"
            ),
            fill(
                5,
                "dust:777:OLDX",
                "BNB",
                "OLDX",
                "buy",
                "0.01",
                "12",
                fee="0.0002",
                fee_asset="BNB",
            ),
        ],
        [move(0, "d1", "OLDX", "deposit", "12")],  # OLDX arrived by deposit: unknown cost
        table={("ETH", 5): "2000"},  # OLDX has no price anywhere
    )
    bnb, eth, oldx = pos["BNB"], pos["ETH"], pos["OLDX"]
    assert bnb.quantity == D("1.2058")  # 1 + 0.196 + 0.0098: what was credited
    assert bnb.cost == D("310")  # 250 + 0.03 ETH * 2000 (60) + 12 OLDX unvalued (0)
    assert bnb.avg_price == div("310", "1.2058")
    assert eth.quantity == D("0") and eth.cost == D("0")
    assert eth.realized == D("6")  # 0.03 * 2000 = 60 - 54
    assert oldx.quantity == D("0") and oldx.unknown_cost_qty == D("0")
    assert oldx.realized == D("0") and oldx.unmatched_proceeds == D("0")  # unknown cost, 0 value
    # One item, on the position whose cost lacks the value: BNB.
    assert bnb.unvalued == [Unvalued("BNB", "OLDX", D("12"), "quote", "dust:777:OLDX", at(5))]
    assert oldx.unvalued == [] and eth.unvalued == []


# --- income ----------------------------------------------------------------------------------


def test_income_is_acquired_at_market_value_and_moves_the_average() -> None:
    items: list[Unvalued] = []
    pos = rebuild(
        [fill(0, "t1", "ETH", "USDT", "buy", "1", "1500")],  # 1 ETH for 1500
        [move(1, "earn:1", "ETH", "income", "0.01")],  # Simple Earn interest: 0.01 ETH
        table={("ETH", 1): "2000"},
        unvalued=items,
    )
    eth = pos["ETH"]
    assert eth.quantity == D("1.01")
    assert eth.cost == D("1520")  # 1500 + 0.01 * 2000 (its cost basis)
    assert eth.income == D("20")  # 0.01 * 2000
    assert eth.avg_price == div("1520", "1.01")  # 1504.95...: the average moves
    # P&L at 2000 = realized 0 + unrealized (2020 - 1520 = 500) + income 20 = 520
    # = the 1 ETH bought at 1500 now worth 2000 (500) + the 20 received.
    assert eth.realized + eth.unrealized(D("2000")) + eth.income == D("520")
    assert items == []


def test_income_with_a_given_value_uses_it() -> None:
    pos = rebuild(
        [],
        [
            move(0, "cb:1", "ETH", "income", "0.01", value="18"),  # in the reporting quote
            move(1, "cb:2", "ETH", "income", "0.01", value="17", value_asset="EUR"),
        ],
        table={("EUR", 1): "1.1"},  # no ETH price is needed
    )
    assert pos["ETH"].cost == D("36.7")  # 18 + 17 EUR * 1.1 (18.7)
    assert pos["ETH"].income == D("36.7")


def test_staking_reward_without_a_price_is_unvalued_and_listed() -> None:
    items: list[Unvalued] = []
    pos = rebuild(
        [fill(0, "t1", "ETH", "USDT", "buy", "1", "1500")],
        [
            move(1, "stake:1", "NEWT", "income", "3"),  # no NEWT price at all
            move(2, "stake:2", "ETH", "income", "0.01"),  # no ETH price at minute 2
        ],
        unvalued=items,
    )
    newt, eth = pos["NEWT"], pos["ETH"]
    assert newt.quantity == D("3")
    assert newt.cost == D("0") and newt.income == D("0")  # valued at 0
    assert newt.unknown_cost_qty == D("0")  # a known cost (0), not an unknown one
    assert eth.quantity == D("1.01") and eth.cost == D("1500")  # + 0.01 at 0
    assert eth.income == D("0")
    assert newt.unvalued == [Unvalued("NEWT", "NEWT", D("3"), "income", "stake:1", at(1))]
    assert eth.unvalued == [Unvalued("ETH", "ETH", D("0.01"), "income", "stake:2", at(2))]
    assert items == [*newt.unvalued, *eth.unvalued]  # every item, in replay order


def test_income_in_a_stable_builds_no_position() -> None:
    pos = rebuild([], [move(0, "earn:2", "USDT", "income", "5")])
    assert pos == {}  # cash: the service counts its value (5) itself


# --- fees that cannot be valued --------------------------------------------------------------


def test_fee_in_an_unpriced_asset_leaves_every_other_figure_exact() -> None:
    items: list[Unvalued] = []
    pos = rebuild(
        [
            fill(1, "t1", "ETH", "USDT", "buy", "1", "2000", fee="5", fee_asset="OLDX"),
            fill(2, "t2", "ETH", "USDT", "sell", "0.5", "1250", fee="1", fee_asset="OLDX"),
        ],
        [move(0, "d1", "OLDX", "deposit", "10")],
        unvalued=items,
    )
    eth, oldx = pos["ETH"], pos["OLDX"]
    assert eth.cost == D("1000")  # bought 1 for 2000 (+ fee at 0); 0.5 left at 2000
    assert eth.realized == D("250")  # 1250 (- fee at 0) - 0.5 * 2000
    assert eth.quantity == D("0.5")
    assert oldx.quantity == D("4")  # 10 - 5 - 1: the fees still left the account
    assert oldx.unknown_cost_qty == D("4") and oldx.realized == D("0")
    assert items == [
        Unvalued("ETH", "OLDX", D("5"), "fee", "t1", at(1)),  # one item per trade
        Unvalued("ETH", "OLDX", D("1"), "fee", "t2", at(2)),
    ]
    assert eth.unvalued == items and oldx.unvalued == []


def test_a_missing_price_is_asked_once_and_strict_mode_raises() -> None:
    calls: list[str] = []

    def price_at(asset: str, ts: datetime) -> Decimal:
        calls.append(asset)
        raise PriceUnavailable(asset, ts)

    fills = [
        fill(0, "a", "ETH", "USDT", "buy", "1", "2000", fee="1", fee_asset="OLDX"),
        fill(0, "b", "ETH", "USDT", "buy", "1", "2000", fee="1", fee_asset="OLDX"),
    ]
    pos = rebuild_positions(fills, [], price_at=price_at)
    assert calls == ["OLDX"]  # the miss is cached like a price
    assert len(pos["ETH"].unvalued) == 2  # but each leg is listed
    with pytest.raises(PriceUnavailable):
        rebuild_positions(fills, [], price_at=price_at, strict_prices=True)


def test_a_negative_price_counts_as_unavailable() -> None:
    def price_at(asset: str, ts: datetime) -> Decimal:
        return D("-1")

    pos = rebuild_positions(
        [fill(0, "a", "ETH", "USDT", "buy", "1", "2000", fee="1", fee_asset="BNB")],
        [],
        price_at=price_at,
    )
    assert pos["ETH"].cost == D("2000")
    assert [i.item_asset for i in pos["ETH"].unvalued] == ["BNB"]


# --- opening positions -----------------------------------------------------------------------


def test_opening_position_then_a_sale() -> None:
    pos = rebuild(
        [fill(1, "t1", "ETH", "USDT", "sell", "1", "2000", fee="2", fee_asset="USDT")],
        [move(0, "opening:1", "ETH", "opening", "2", value="3000")],  # 2 ETH for 3,000 USDT
    )
    eth = pos["ETH"]
    assert eth.quantity == D("1")  # 2 - 1
    assert eth.cost == D("1500")  # 1 left at 1500
    assert eth.avg_price == D("1500")  # 3000 / 2, unchanged by the sale
    assert eth.realized == D("498")  # 2000 - 2 fee - 1 * 1500
    assert eth.income == D("0") and eth.unvalued == []


def test_opening_explains_coins_deposited_later_at_its_average() -> None:
    pos = rebuild(
        [],
        [
            move(0, "opening:2", "ETH", "opening", "1", value="1800"),
            move(1, "w1", "ETH", "withdrawal", "1"),  # moved to another exchange...
            move(2, "d1", "ETH", "deposit", "1"),  # ... and back: at the same average
        ],
    )
    assert pos["ETH"].cost == D("1800") and pos["ETH"].unknown_cost_qty == D("0")


def test_opening_valued_in_eur_and_unvalued_when_eur_has_no_price() -> None:
    pos = rebuild(
        [],
        [
            move(0, "opening:3", "ETH", "opening", "1", value="2000", value_asset="EUR"),
            move(1, "opening:4", "BTC", "opening", "1", value="30000", value_asset="EUR"),
        ],
        table={("EUR", 0): "1.1"},
    )
    assert pos["ETH"].cost == D("2200")  # 2000 EUR * 1.1
    assert pos["BTC"].cost == D("0")  # no EUR price at minute 1
    assert pos["BTC"].unvalued == [
        Unvalued("BTC", "EUR", D("30000"), "opening", "opening:4", at(1))
    ]


# --- unclassified (Coinbase v2 kinds we do not know) -----------------------------------------


def test_unclassified_in_and_out_are_deposits_and_withdrawals() -> None:
    # The service maps a signed unclassified amount: > 0 a deposit, < 0 a withdrawal of |amount|.
    pos = rebuild(
        [fill(0, "t1", "ETH", "USDT", "buy", "1", "2000")],
        [
            move(1, "cb:u1", "ETH", "deposit", "0.5"),  # +0.5: in at the 2000 average
            move(2, "cb:u2", "ETH", "withdrawal", "0.2"),  # -0.2: out at the average
            move(3, "cb:u3", "SOL", "deposit", "4"),  # +4 of a new asset: cost unknown
        ],
    )
    eth, sol = pos["ETH"], pos["SOL"]
    assert eth.quantity == D("1.3")  # 1 + 0.5 - 0.2
    assert eth.cost == D("2600")  # 1.3 * 2000
    assert eth.avg_price == D("2000") and eth.realized == D("0")
    assert sol.quantity == D("4") and sol.unknown_cost_qty == D("4")


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "value_asset", "message"),
    [
        ("opening", None, None, "needs its value"),
        ("deposit", "10", None, "carries no value"),
        ("withdrawal", "10", None, "carries no value"),
        ("income", "-1", None, "must not be negative"),
        ("income", None, "EUR", "value_asset without a value"),
        ("airdrop", None, None, "kind must be one of"),
    ],
)
def test_movement_validation(
    kind: str, value: str | None, value_asset: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        move(0, "x", "ETH", kind, "1", value=value, value_asset=value_asset)


def test_old_positional_construction_still_works() -> None:
    m = Movement(T0, "m1", "ETH", "withdrawal", D("1"), D("0.01"), "ETH")
    assert (m.fee, m.fee_asset, m.value, m.value_asset) == (D("0.01"), "ETH", None, None)
    pos = rebuild_positions([], [m], quote="USDT", price_at=prices({}))
    assert pos["ETH"].oversold_qty == D("1.01")

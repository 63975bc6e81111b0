"""The reporting currency's rules (docs/currencies.md) on a worked example computed by hand:
each leg enters the books in euros or dollars at its own minute's EURUSDT close."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exstrat_app.domain.currency import (
    EUR,
    book_fiat,
    current_eur_price,
    eur_price_at,
    quote_for_currency,
)
from exstrat_app.domain.errors import PriceUnavailable
from exstrat_app.domain.events import Fill
from exstrat_app.domain.money import FIAT, MONEY_CONTEXT
from exstrat_app.domain.positions import rebuild_positions

D = Decimal
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T3 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
T4 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
# EURUSDT 1-minute closes: a different rate at each event's minute.
RATES = {T1: D("1.25"), T2: D("1.20"), T3: D("1.10"), T4: D("1.60")}


def usdt_price_at(asset: str, ts: datetime) -> Decimal:
    """The dollar book's price_at: what MinuteCloses answers (EUR is its EURUSDT close)."""
    if asset == EUR and ts in RATES:
        return RATES[ts]
    raise PriceUnavailable(asset, ts, "not in this example")


EVENTS = [
    # 1 ETH bought with 2,000 USDT, fee 2 USDT, at EURUSDT 1.25.
    Fill(T1, "usdt-buy", "ETH", "USDT", "buy", D(1), D(2000), D(2000), "USDT", D(2)),
    # 1 ETH bought on ETH/EUR for 1,800 EUR, at EURUSDT 1.20.
    Fill(T2, "eur-buy", "ETH", "EUR", "buy", D(1), D(1800), D(1800)),
    # A card buy: 0.5 ETH for 1,000 EUR (fee included), at EURUSDT 1.10.
    Fill(T3, "card", "ETH", "EUR", "buy", D("0.5"), D(2000), D(1000)),
    # 1.5 ETH sold for 4,800 USDT, fee 4.8 USDT, at EURUSDT 1.60.
    Fill(T4, "usdt-sell", "ETH", "USDT", "sell", D("1.5"), D(3200), D(4800), "USDT", D("4.8")),
]


def _eur_book(events: list[Fill]) -> dict:
    return rebuild_positions(
        events, [], quote=EUR, price_at=eur_price_at(usdt_price_at), fiat=book_fiat(EUR)
    )


def _usd_book(events: list[Fill]) -> dict:
    return rebuild_positions(events, [], quote="USDT", price_at=usdt_price_at, fiat=FIAT)


def test_worked_example_in_euros() -> None:
    eth = _eur_book(EVENTS)["ETH"]
    # USDT buy:  (2,000 + 2) / 1.25           = 1,600 + 1.6  = 1,601.6 EUR
    # ETH/EUR:   1,800 EUR, its own value                     = 1,800   EUR
    # card buy:  1,000 EUR, its own value                     = 1,000   EUR
    # cost 1,601.6 + 1,800 + 1,000 = 4,401.6 EUR for 2.5 ETH: average 4,401.6 / 2.5 = 1,760.64
    # sale:      (4,800 - 4.8) / 1.60         = 3,000 - 3     = 2,997   EUR of proceeds
    #            1.5 * 1,760.64 = 2,640.96 EUR of cost leaves: realized 2,997 - 2,640.96 = 356.04
    # left:      1 ETH at 1,760.64 (the average is unchanged by a sale)
    assert eth.quantity == D(1)
    assert eth.avg_price == D("1760.64")
    assert eth.realized == D("356.04")
    assert eth.cost == D("1760.64")


def test_the_same_events_in_dollars() -> None:
    eth = _usd_book(EVENTS)["ETH"]
    # USDT buy:  2,000 + 2                    = 2,002   USDT (1:1)
    # ETH/EUR:   1,800 EUR * 1.20             = 2,160   USDT (EUR legs convert at their minute)
    # card buy:  1,000 EUR * 1.10             = 1,100   USDT
    # cost 2,002 + 2,160 + 1,100 = 5,262 USDT for 2.5 ETH: average 5,262 / 2.5 = 2,104.8
    # sale:      4,800 - 4.8                  = 4,795.2 USDT of proceeds
    #            1.5 * 2,104.8 = 3,157.2 USDT of cost leaves: realized 4,795.2 - 3,157.2 = 1,638
    assert eth.quantity == D(1)
    assert eth.avg_price == D("2104.8")
    assert eth.realized == D("1638")
    assert eth.cost == D("2104.8")


def test_no_eurusdt_close_leaves_the_leg_unvalued_in_euros_only() -> None:
    late = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # no rate at that minute
    fill = Fill(late, "x", "ETH", "USDT", "buy", D(1), D(2000), D(2000))
    eth = _eur_book([fill])["ETH"]
    assert eth.cost == 0 and [u.item_asset for u in eth.unvalued] == ["USDT"]
    assert _usd_book([fill])["ETH"].cost == D(2000)


def test_current_price_in_euros() -> None:
    # An ASSET/EUR market wins; else ASSET/USDT / EURUSDT; euros are 1; stables 1 / EURUSDT.
    rate = D("1.25")
    assert current_eur_price("ETH", eur_price=D(1900), usdt_price=D(2500), eur_usdt=rate) == 1900
    assert current_eur_price("SOL", eur_price=None, usdt_price=D(150), eur_usdt=rate) == 120
    assert current_eur_price(EUR, eur_price=None, usdt_price=None, eur_usdt=None) == 1
    assert current_eur_price("USDC", eur_price=None, usdt_price=None, eur_usdt=rate) == D("0.8")
    assert current_eur_price("SOL", eur_price=None, usdt_price=D(150), eur_usdt=None) is None


@pytest.mark.parametrize(("currency", "quote"), [("EUR", "EUR"), ("USD", "USDT"), (None, "USDT")])
def test_quote_for_currency(currency: str | None, quote: str) -> None:
    assert quote_for_currency(currency) == quote


# -- property: with a constant EURUSDT, the euro book is the dollar book / r -----------------

_AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D(100), places=2)
_PRICES = st.decimals(min_value=D(1), max_value=D(5000), places=2)
_RATES = st.sampled_from([D("1.25"), D("0.8"), D("1.6"), D("2"), D("1.0816")])


@st.composite
def _fills(draw: st.DrawFn) -> list[Fill]:
    """Buys and sales of ETH quoted in USDT, USDC or EUR, some with a USDT fee."""
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        quote = draw(st.sampled_from(["USDT", "USDC", EUR]))
        side = "buy" if i == 0 else draw(st.sampled_from(["buy", "sell"]))
        amount, price = draw(_AMOUNTS), draw(_PRICES)
        fee = draw(st.sampled_from([None, D("0.005")])) if quote == "USDT" else None
        ts = datetime(2026, 3, 1, 9, i, tzinfo=UTC)
        cost = amount * price
        out.append(Fill(ts, f"t{i}", "ETH", quote, side, amount, price, cost, fee and "USDT", fee))
    return out


def _close(eur: Decimal, rate: Decimal, usd: Decimal) -> bool:
    """eur * rate == usd, but for the 50-digit rounding of the divisions on the way."""
    with localcontext(MONEY_CONTEXT):
        return abs(eur * rate - usd) <= D("1e-40") * max(D(1), abs(usd))


@settings(max_examples=150, deadline=None)
@given(fills=_fills(), rate=_RATES)
def test_constant_rate_euros_are_dollars_over_the_rate(fills: list[Fill], rate: Decimal) -> None:
    def usdt(asset: str, ts: datetime) -> Decimal:
        assert asset == EUR
        return rate

    usd = rebuild_positions(fills, [], quote="USDT", price_at=usdt, fiat=FIAT)["ETH"]
    eur = rebuild_positions(fills, [], quote=EUR, price_at=eur_price_at(usdt), fiat=book_fiat(EUR))[
        "ETH"
    ]
    assert eur.quantity == usd.quantity
    for name in ("cost", "realized", "income", "unmatched_proceeds"):
        assert _close(getattr(eur, name), rate, getattr(usd, name)), name
    if usd.avg_price is not None:
        assert _close(eur.avg_price, rate, usd.avg_price)
    # Except that a leg priced in euros is exactly its own value in the euro book.
    first = fills[0]
    alone = rebuild_positions(
        [first], [], quote=EUR, price_at=eur_price_at(usdt), fiat=book_fiat(EUR)
    )["ETH"]
    if first.quote == EUR:
        assert alone.cost == first.cost

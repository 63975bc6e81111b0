"""Take-profit ladders in euros: created over the API on the position's EUR average, watched on
ASSET/EUR where the simulated Binance lists it (else on ASSET/USDT through EUR/USDT, and the
alert says so), each step firing once, with euro amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app import bootstrap
from exstrat_app.i18n import render
from exstrat_app.models import Notification, Position, StrategyStep, User
from exstrat_app.services.strategies.markets import via_note
from exstrat_app.services.strategies.touches import rest_watch_cycle
from exstrat_app.services.strategies.watcher import watched_assets
from simexchange import SimExchange
from simexchange.datasets import market_dataset
from tests.alerts.conftest import LOT, SEED_STEPS, add_position, expire_price_cache, sign_in

D = Decimal

# ETH has a EUR market; SOL has none (its euro price is SOL/USDT / EUR/USDT).
PRICES = {
    "ETH/USDT": "2000",
    "ETH/EUR": "1850",
    "EUR/USDT": "1.08",
    "SOL/USDT": "150",
}


@pytest.fixture
def eur_binance(binance: SimExchange) -> SimExchange:
    binance.load(market_dataset(PRICES, step=LOT))
    return binance


def with_eur_average(db: Any, position: Position, average: str) -> None:
    """The portfolio's replay writes the EUR average beside the USDT figures."""
    db.execute(
        update(Position)
        .where(col(Position.id) == position.id)
        .values(eur_avg_price=D(average), eur_cost_basis=D(average) * position.quantity)
    )
    db.commit()


def eur_body(asset: str) -> dict[str, Any]:
    return {
        "asset": asset,
        "quote": "EUR",
        "reference": {"type": "avgPrice"},
        "steps": SEED_STEPS,
        "notify": {"email": False, "inApp": True},
    }


def cycle(engine: Any, redis: Any) -> Any:
    expire_price_cache(redis)  # a fresh ticker, as at the next poll
    return rest_watch_cycle(
        engine, redis, provider=bootstrap.price_provider(), public_url="http://exstrat.test"
    )


def states(engine: Any, strategy_id: str) -> list[tuple[str, Decimal | None]]:
    with Session(engine) as s:
        query = select(StrategyStep).where(StrategyStep.strategy_id == strategy_id)
        rows = s.exec(query.order_by(col(StrategyStep.position)))
        return [(st.state, st.triggered_price) for st in rows]


def notes(engine: Any) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.created_at))))


def test_an_eur_ladder_takes_the_eur_average_and_is_watched_on_eth_eur(
    client: Any, db: Any, alice: Any, eur_binance: SimExchange
) -> None:
    with_eur_average(db, add_position(db, alice.id, "ETH", "4", "2000"), "1850")
    sign_in(client, alice.id)

    created = client.post("/api/strategies", json=eur_body("ETH"))

    assert created.status_code == 201, created.text
    data = created.json()
    assert (data["quote"], data["reference"]) == ("EUR", {"type": "avgPrice", "price": "1850"})
    assert [(s["targetPrice"], s["qtyToSell"]) for s in data["steps"]] == [
        ("2035", "0.8"),  # 1850 x 1.10
        ("2590", "2.36"),  # 1850 x 1.40
    ]
    assert (data["watchedOn"], data["watchedNote"]) == ("ETH/EUR", None)
    # A USDT ladder by default, as before.
    usdt = client.post("/api/strategies", json={**eur_body("ETH"), "quote": None}).json()
    assert (usdt["quote"], usdt["reference"]["price"], usdt["watchedOn"]) == (
        "USDT",
        "2000",
        "ETH/USDT",
    )


def test_without_an_eur_average_the_reference_is_refused_in_words(
    client: Any, db: Any, alice: Any, eur_binance: SimExchange
) -> None:
    add_position(db, alice.id, "ETH", "4", "2000")  # no EUR figures yet
    sign_in(client, alice.id)
    answer = client.post("/api/strategies", json=eur_body("ETH"))
    assert answer.status_code == 422
    assert "no average buy price is known for ETH" in answer.json()["error"]["fields"]["reference"]
    bad = client.post("/api/strategies", json={**eur_body("ETH"), "quote": "GBP"})
    assert bad.json()["error"]["fields"]["quote"] == "must be USDT or EUR"


def test_a_target_reached_on_eth_eur_fires_once_with_euro_amounts(
    client: Any, db: Any, engine: Any, redis: Any, alice: Any, eur_binance: SimExchange
) -> None:
    with_eur_average(db, add_position(db, alice.id, "ETH", "4", "2000"), "1850")
    sign_in(client, alice.id)
    eur = client.post("/api/strategies", json=eur_body("ETH")).json()  # 2035 EUR, 2590 EUR
    usdt = client.post("/api/strategies", json={**eur_body("ETH"), "quote": "USDT"}).json()
    with Session(engine) as s:
        assert watched_assets(s) == ["ETH", "ETH/EUR"]

    # ETH/USDT above the EUR target, ETH/EUR below it: a euro target never sees a USDT price.
    eur_binance.set_price("ETH/USDT", "2100")
    cycle(engine, redis)
    assert states(engine, eur["id"]) == [("pending", None), ("pending", None)]

    eur_binance.set_price("ETH/EUR", "2100")
    report = cycle(engine, redis)
    cycle(engine, redis)  # still 2100 EUR: nothing fires twice

    assert len(report.fired) == 1
    assert states(engine, eur["id"]) == [("triggered", D("2100")), ("pending", None)]
    assert states(engine, usdt["id"]) == [("pending", None), ("pending", None)]  # 2100 < 2200
    [note] = notes(engine)
    assert note.body.startswith("ETH/EUR is at €2,100")
    assert "€2,035" in note.body and "$" not in note.body
    assert "EUR/USDT" not in note.body  # its own market: no conversion note


def test_an_asset_without_an_eur_market_is_watched_through_eur_usdt_and_the_alert_says_so(
    client: Any, db: Any, engine: Any, redis: Any, alice: Any, eur_binance: SimExchange
) -> None:
    with_eur_average(db, add_position(db, alice.id, "SOL", "10", "140"), "130")
    sign_in(client, alice.id)

    data = client.post("/api/strategies", json=eur_body("SOL")).json()

    assert data["watchedOn"] == "SOL/USDT via EUR/USDT"
    assert data["watchedNote"] == (
        "Binance lists no SOL/EUR market: this price is SOL/USDT converted at the live "
        "EUR/USDT rate."
    )
    assert data["steps"][0]["targetPrice"] == "143"  # 130 x 1.10, in euros
    cycle(engine, redis)  # 150 / 1.08 = 138.89 EUR: below
    assert states(engine, data["id"])[0] == ("pending", None)

    eur_binance.set_price("SOL/USDT", "160")  # 160 / 1.08 = 148.148… EUR
    report = cycle(engine, redis)
    cycle(engine, redis)

    assert len(report.fired) == 1
    state, price = states(engine, data["id"])[0]
    assert state == "triggered" and price is not None
    assert abs(price - D("160") / D("1.08")) < D("1e-12")
    [note] = notes(engine)
    assert note.body.startswith("SOL/EUR is at €148.15")
    assert "Binance lists no SOL/EUR market" in note.body


def test_the_conversion_note_in_french(db: Any, alice: Any) -> None:
    db.execute(update(User).where(col(User.id) == alice.id).values(locale="fr"))
    db.commit()
    assert render(via_note("SOL"), "fr") == (
        "Binance ne propose pas de marché SOL/EUR\u00a0: ce prix est celui de SOL/USDT "
        "converti au cours EUR/USDT du moment."
    )


@pytest.mark.parametrize(("currency", "quote"), [("EUR", "EUR"), ("USD", "USDT")])
def test_the_dialog_offers_the_reporting_currency(
    db: Any, alice: Any, currency: str, quote: str
) -> None:
    from exstrat_app.state.strategy_form import default_quote, request

    db.execute(update(User).where(col(User.id) == alice.id).values(currency=currency))
    db.commit()
    assert default_quote(alice.id) == quote
    form = {
        "asset": "ETH", "quote": quote, "ref_type": "avgPrice", "custom_price": "",
        "base_qty": "", "steps": [], "notify_email": True, "notify_in_app": True, "name": "",
        "stop_on": False,
    }  # fmt: skip
    assert request(form)["quote"] == quote  # what the dialog sends to the service

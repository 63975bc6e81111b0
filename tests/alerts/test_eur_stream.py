"""The price stream for ladders in euros: it subscribes to ASSET/EUR where Binance lists it, and
to ASSET/USDT and EUR/USDT where it does not; a move of either market moves the euro price."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.exchanges.stream import Tick
from exstrat_app.models import Position
from exstrat_app.services.strategies.stream_routes import Route, TickRouter
from simexchange import SimExchange
from simexchange.binance.stream import BinanceStream
from simexchange.datasets import market_dataset
from tests.alerts.conftest import LOT, add_position, create_seed_strategy
from tests.alerts.test_eur_ladders import PRICES
from tests.alerts.test_stream import (  # noqa: F401 - the stream server's fixtures
    _stream_server,
    fired,
    notes,
    price_process,
    sim_stream,
    wait_for,
)

D = Decimal


def no_sol_eur(_exchange: str, symbol: str) -> Decimal | None:
    """Every market has the 0.0001 lot, and SOL/EUR is not listed."""
    return None if symbol == "SOL/EUR" else LOT


def eur_strategy(db: Any, user_id: str, asset: str, qty: str, eur_avg: str) -> Any:
    position = add_position(db, user_id, asset, qty, "1")
    query = update(Position).where(col(Position.id) == position.id)
    db.execute(query.values(eur_avg_price=D(eur_avg)))
    db.commit()
    return create_seed_strategy(
        db, user_id, asset=asset, quote="EUR", lot_step_lookup=no_sol_eur,
        notify={"email": False, "inApp": True},
    )  # fmt: skip


def test_the_stream_watches_eth_eur_and_sol_through_eur_usdt(
    engine: Any,
    redis: Any,
    db: Any,
    alice: Any,
    sim_stream: BinanceStream,  # noqa: F811 - the fixture imported above
    binance: SimExchange,
) -> None:
    binance.load(market_dataset(PRICES, step=LOT))
    eth = eur_strategy(db, alice.id, "ETH", "4", "1850")  # 2035 EUR
    sol = eur_strategy(db, alice.id, "SOL", "10", "130")  # 143 EUR
    assert (eth.watched_on, sol.watched_on) == ("ETH/EUR", "SOL/USDT via EUR/USDT")

    with price_process(engine, redis, sim_stream.url) as stream:
        wait_for(lambda: stream.subscribed == {"ETH/EUR", "SOL/EUR"})
        assert stream.markets == {"ETHEUR", "SOLUSDT", "EURUSDT"}
        binance.set_price("ETH/USDT", "2100")  # not ETH/EUR's market: nothing fires
        binance.set_price("ETH/EUR", "2100")
        wait_for(lambda: fired(engine, eth.id))
        binance.set_price("EUR/USDT", "1.04")  # SOL: 150 / 1.04 = 144.23 EUR
        wait_for(lambda: fired(engine, sol.id))

    assert fired(engine, eth.id) == [(0, D("2100"))]
    [(position, price)] = fired(engine, sol.id)
    assert position == 0 and abs(price - D("150") / D("1.04")) < D("1e-12")
    bodies = [n.body for n in notes(engine)]
    assert bodies[0].startswith("ETH/EUR is at €2,100")
    assert bodies[1].startswith("SOL/EUR is at €144.23")
    assert "Binance lists no SOL/EUR market" in bodies[1]


def test_the_router_converts_usdt_ticks_and_follows_the_rate() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 12, 7, 12, tzinfo=UTC)
    router = TickRouter(
        [Route("ETH", "ETHUSDT"), Route("ETH/EUR", "ETHEUR"), Route("SOL/EUR", "SOLUSDT", True)]
    )
    assert router.observations(Tick("SOLUSDT", D("150"), at)) == []  # no rate yet
    [seen] = router.observations(Tick("EURUSDT", D("1.5"), at))
    assert seen == PriceTouch("SOL/EUR", D("100"), D("100"), D("100"), at, via="EUR/USDT")
    [usd] = router.observations(Tick("ETHUSDT", D("2000"), at))
    [eur] = router.observations(Tick("ETHEUR", D("1850"), at))
    assert (usd.asset, usd.last, usd.via) == ("ETH", D("2000"), None)
    assert (eur.asset, eur.last, eur.via) == ("ETH/EUR", D("1850"), None)

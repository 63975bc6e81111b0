"""Selling for a ladder in euros: on the ASSET/EUR market only (the simulated Binance with an
ETH/EUR market beside the small dataset's), or not at all, with the reason in words."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from exstrat_app.models import Position, Strategy
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.execution.modes import set_execution_mode
from exstrat_app.services.execution.placement import execute_step
from simexchange import BINANCE_TRADING_KEY, SimExchange, small_dataset
from simexchange.datasets import market_dataset
from tests.alerts.conftest import SEED_STEPS, add_position
from tests.execution.conftest import order_of, steps_of, trigger

D = Decimal
LOT = D("0.0001")
NO_EUR = (
    "Selling is unavailable for this ladder: Binance lists no ETH/EUR market, and a ladder in "
    "euros sells only on ETH/EUR."
)


def with_eth_eur(sim: SimExchange) -> None:
    """The small dataset (alice's keys, 3.999 ETH) plus an ETH/EUR market at 1850."""
    base = small_dataset()
    extra = market_dataset({"ETH/EUR": "1850", "EUR/USDT": "1.08"}, step=LOT)
    sim.load(
        replace(
            base,
            binance_markets={**base.binance_markets, **extra.binance_markets},
            prices={**base.prices, **extra.prices},
        )
    )
    sim.set_price("ETH/USDT", "2000")


def eur_strategy(db: Any, user_id: str, account_id: str, *, eur_listed: bool = True) -> Any:
    """4 ETH at an EUR average of 1850: 0.8 ETH at 2035 EUR, 2.36 ETH at 2590 EUR."""
    from exstrat_app.services.strategies.commands import create_strategy

    def lots(_exchange: str, symbol: str) -> Decimal | None:
        return None if symbol.endswith("/EUR") and not eur_listed else LOT

    position = add_position(db, user_id, "ETH", "4.00", "2000")
    db.execute(
        update(Position).where(col(Position.id) == position.id).values(eur_avg_price=D("1850"))
    )
    view = create_strategy(
        db, user_id=user_id, asset="ETH", quote="EUR", reference={"type": "avgPrice"},
        steps=SEED_STEPS, exchange_account_id=account_id, lot_step_lookup=lots,
    )  # fmt: skip
    db.commit()
    return view


def set_mode(db: Any, strategy_id: str, mode: str) -> None:
    db.execute(update(Strategy).where(col(Strategy.id) == strategy_id).values(execution_mode=mode))
    db.commit()


def test_an_eur_strategy_sells_on_eth_eur(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    with_eth_eur(sim)
    strategy = eur_strategy(db, alice.id, account.id)
    assert strategy.watched_on == "ETH/EUR"
    set_mode(db, strategy.id, "auto")
    first, _second = steps_of(db, strategy.id)
    assert (first.target_price, first.qty_to_sell) == (D("2035"), D("0.8"))  # 1850 x 1.10
    trigger(db, first, "2035")

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "open", outcome.reason
    order = order_of(db, first.id)
    assert (order.symbol, order.qty, order.price) == ("ETH/EUR", D("0.8"), D("2035"))
    sim_orders = sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY])
    assert [(o.market.symbol, o.orig_qty, o.price, o.side) for o in sim_orders] == [
        ("ETH/EUR", D("0.8"), D("2035"), "SELL")
    ]


def test_without_an_eur_market_selling_is_refused_with_the_reason(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = eur_strategy(db, alice.id, account.id, eur_listed=False)
    assert strategy.watched_on == "ETH/USDT via EUR/USDT"

    with pytest.raises(InvalidInput) as refused:
        set_execution_mode(
            db, user_id=alice.id, strategy_id=strategy.id, mode="auto", password="x",
            throttle=None,
        )  # fmt: skip
    assert str(refused.value.message) == NO_EUR

    # A strategy set to sell before (or by hand): its step's order fails before anything is
    # sent, nor simulated, with the same reason.
    set_mode(db, strategy.id, "auto")
    first, _second = steps_of(db, strategy.id)
    trigger(db, first, "2100")
    outcome = execute_step(engine, redis, box, first.id)

    assert (outcome.status, outcome.reason) == ("failed", NO_EUR)
    assert order_of(db, first.id).status == "failed"
    assert sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY]) == []


def test_an_exchange_without_the_eur_market_is_named_in_the_failure(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    # Created while the market was listed; the exchange no longer lists it when selling.
    strategy = eur_strategy(db, alice.id, account.id)
    set_mode(db, strategy.id, "auto")
    first, _second = steps_of(db, strategy.id)
    trigger(db, first, "2035")

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "failed"
    assert outcome.reason == (
        "Binance lists no ETH/EUR market, and a ladder in euros sells only on ETH/EUR: "
        "nothing was sent."
    )

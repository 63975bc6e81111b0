"""The demo trades on paper only: `seed_demo` (against the simulated exchange) creates its
strategies in paper mode and turns the demo user's global paper mode on, so a triggered step
of a demo strategy in `auto` is simulated at the trigger price and no request ever reaches an
exchange's order endpoint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from exstrat_app.models import Order, Strategy
from exstrat_app.services.execution import guardrails
from exstrat_app.services.execution.placement import execute_step
from simexchange import SimExchange
from tests.execution.conftest import steps_of, trigger

D = Decimal


@pytest.fixture
def demo_sim(sim: SimExchange, monkeypatch: pytest.MonkeyPatch) -> Any:
    from exstrat_app.settings import get_settings

    monkeypatch.setenv("EXSTRAT_COINBASE_URL", sim.url)
    monkeypatch.setenv("EXSTRAT_DEMO", "1")
    get_settings.cache_clear()
    yield sim
    get_settings.cache_clear()


def test_the_demo_seeds_paper_strategies_and_never_calls_an_order_endpoint(
    db: Any, engine: Any, redis: Any, box: Any, demo_sim: SimExchange
) -> None:
    from exstrat_app.demo.seed import seed_demo

    user_id = seed_demo()

    db.expire_all()
    strategies = db.exec(select(Strategy).where(Strategy.user_id == user_id)).all()
    assert {s.asset for s in strategies} == {"ETH", "BTC"}
    assert all(s.paper for s in strategies)
    assert guardrails.view(db, user_id).paper is True

    # The visitor turns a strategy to auto (even off paper: the global paper mode holds).
    eth = next(s for s in strategies if s.asset == "ETH")
    db.execute(
        update(Strategy)
        .where(col(Strategy.id) == eth.id)
        .values(execution_mode="auto", paper=False)
    )
    db.commit()
    first = steps_of(db, eth.id)[0]
    trigger(db, first, str(first.target_price))
    demo_sim.reset_counts()

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "filled"
    db.expire_all()
    order = db.exec(select(Order).where(Order.step_id == first.id)).one()
    assert order.paper and order.avg_fill_price == first.target_price
    assert order.reason == "Paper mode: simulated at the trigger price, nothing was sent."
    assert steps_of(db, eth.id)[0].state == "done"
    for path in ("/api/v3/order", "/api/v3/brokerage/orders", "/api/v3/account"):
        assert demo_sim.request_count(path) == 0, path
    assert demo_sim.request_count() == 0  # nothing at all reached the exchange
    seed_demo()  # seeding again keeps everything on paper
    db.expire_all()
    assert guardrails.view(db, user_id).paper is True

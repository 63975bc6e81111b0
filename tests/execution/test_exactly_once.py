"""An accepted order whose answer is lost is never placed twice; a retry looks it up first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from exstrat_app.infra.exchanges import retry
from exstrat_app.services.execution.lifecycle import track_orders
from exstrat_app.services.execution.placement import execute_step
from simexchange import BINANCE_TRADING_KEY, SimExchange
from tests.execution.conftest import audit_of, order_of, seed_strategy, steps_of, trigger

D = Decimal


def sim_orders(sim: SimExchange) -> list[Any]:
    return sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY])


def test_a_lost_answer_is_looked_up_by_client_order_id_not_sent_again(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.binance.orders.drop_responses(1)  # Binance takes the order, the answer never comes

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "open"
    assert len(sim_orders(sim)) == 1  # exactly one order on the exchange
    posts = [r for r in sim.requests_log("/api/v3/order") if r.startswith("POST")]
    assert len(posts) == 1
    order = order_of(db, first.id)
    assert order.exchange_order_id == str(sim_orders(sim)[0].order_id)
    assert [a.action for a in audit_of(db, order.id)] == ["check_key", "place", "lookup"]

    # Running the job again (a retried job, a second worker) sends nothing more.
    assert execute_step(engine, redis, box, first.id).status == "open"
    assert len(sim_orders(sim)) == 1


def test_an_answer_lost_twice_stays_sending_and_the_tracker_finds_the_order(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(retry, "_backoff", lambda _state: 0)  # no real sleeping
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.binance.orders.drop_responses(1)
    sim.inject_fault("reset", count=None, path_contains="origClientOrderId")  # lookups fail too

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "sending"  # unknown: never sent blind a second time
    assert len(sim_orders(sim)) == 1
    sim.clear_faults()
    sim.set_price("ETH/USDT", "2300")
    report = track_orders(engine, redis, box)
    assert report.filled == [order_of(db, first.id).id]
    assert len(sim_orders(sim)) == 1
    assert steps_of(db, strategy.id)[0].state == "done"

"""Paper mode calls nothing; the kill switch and the daily cap stop orders with a reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exstrat_app.services.execution.guardrails import KILLED, update_guardrails
from exstrat_app.services.execution.placement import execute_step
from simexchange import SimExchange
from tests.execution.conftest import audit_of, order_of, seed_strategy, steps_of, trigger

D = Decimal


def test_paper_mode_fills_at_the_trigger_price_without_calling_the_exchange(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto", paper=True)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2201.5")
    sim.reset_counts()

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "filled"
    assert sim.requests_log() == []  # not one request reached the exchange
    order = order_of(db, first.id)
    assert order.paper is True
    assert (order.filled_qty, order.avg_fill_price) == (D("0.8"), D("2201.5"))
    assert steps_of(db, strategy.id)[0].state == "done"
    assert [a.action for a in audit_of(db, order.id)] == ["paper"]


def test_global_paper_mode_applies_to_every_strategy(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    update_guardrails(db, alice.id, paper=True)
    db.commit()
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.reset_counts()
    assert execute_step(engine, redis, box, first.id).status == "filled"
    assert sim.requests_log() == []


def test_the_kill_switch_stops_the_order_with_its_reason(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    update_guardrails(db, alice.id, kill_switch=True)
    db.commit()
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.reset_counts()

    outcome = execute_step(engine, redis, box, first.id)

    assert (outcome.status, outcome.reason) == ("stopped", KILLED)
    assert sim.request_count("/api/v3/order") == 0
    assert steps_of(db, strategy.id)[0].state == "triggered"  # the alert stands


def test_the_daily_cap_stops_the_order_that_would_go_over_it(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    update_guardrails(db, alice.id, daily_cap=D("2000"))
    db.commit()
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, second = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    trigger(db, second, "2800")

    # 0.8 x 2200 = 1760 <= 2000: sent
    assert execute_step(engine, redis, box, first.id).status == "open"
    # 2.36 x 2800 = 6608; 1760 + 6608 = 8368 > 2000: stopped
    outcome = execute_step(engine, redis, box, second.id)
    assert outcome.status == "stopped"
    assert outcome.reason == (
        "Stopped: this order (6608) would take today's sales to 8368, over your daily cap of 2000."
    )
    assert order_of(db, second.id).exchange_order_id is None

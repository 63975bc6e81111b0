"""Auto mode through real ccxt against the simulated Binance: the step's limit sell is placed
once, followed until filled, and the step becomes done."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select

from exstrat_app.models import StrategyExecution
from exstrat_app.services.execution.lifecycle import track_orders
from exstrat_app.services.execution.placement import client_order_id, execute_step
from simexchange import BINANCE_TRADING_KEY, SimExchange
from tests.execution.conftest import audit_of, order_of, seed_strategy, steps_of, trigger

D = Decimal


def test_auto_places_a_resting_limit_sell_that_fills_and_the_step_is_done(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _second = steps_of(db, strategy.id)
    assert (first.target_price, first.qty_to_sell) == (D("2200"), D("0.8"))  # 2000 x 1.10, 20 %
    trigger(db, first, "2200")  # the ticker said 2200; the book is at 2000 again

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "open"
    order = order_of(db, first.id)
    assert order.client_order_id == client_order_id(first.id) == f"xs-{first.id}"
    assert (order.qty, order.price) == (D("0.8"), D("2200"))  # the step's qty at its target
    assert order.exchange_order_id
    sim_orders = sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY])
    assert [(o.orig_qty, o.price, o.status) for o in sim_orders] == [(D("0.8"), D("2200"), "NEW")]
    assert steps_of(db, strategy.id)[0].state == "triggered"

    sim.set_price("ETH/USDT", "2250")
    report = track_orders(engine, redis, box)

    assert report.filled == [order.id]
    order = order_of(db, first.id)
    assert (order.status, order.filled_qty, order.avg_fill_price) == ("filled", D("0.8"), D("2200"))
    assert steps_of(db, strategy.id)[0].state == "done"
    execution = db.exec(
        select(StrategyExecution).where(
            StrategyExecution.step_id == first.id, StrategyExecution.execution_type == "order"
        )
    ).one()
    assert (execution.executed_qty, execution.price) == (D("0.8"), D("2200"))
    actions = [a.action for a in audit_of(db, order.id)]
    assert actions == ["check_key", "place", "status"]
    # The audit never carries the key, the secret or a signature.
    for row in audit_of(db, order.id):
        assert BINANCE_TRADING_KEY not in row.request + row.response
        assert "signature" not in row.request + row.response


def test_a_price_above_target_sells_at_the_last_price_clipped_to_the_free_balance(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    _first, second = steps_of(db, strategy.id)
    assert second.qty_to_sell == D("2.36")  # 59 % of 4
    sim.set_balance(BINANCE_TRADING_KEY, "ETH", "1.23456")  # less than the step sells
    sim.set_price("ETH/USDT", "2900")
    trigger(db, second, "2900.004")  # above the 2800 target

    outcome = execute_step(engine, redis, box, second.id)

    order = order_of(db, second.id)
    # qty: min(2.36, 1.23456) = 1.23456 -> 1.2345 (LOT_SIZE 0.0001, rounded down)
    # price: max(2800, 2900.004) = 2900.004 -> 2900.01 (tick 0.01, rounded up: never below)
    assert (order.qty, order.price) == (D("1.2345"), D("2900.01"))
    assert outcome.status == "open"  # 2900.01 > 2900: it rests

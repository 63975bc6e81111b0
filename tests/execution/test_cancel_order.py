"""Cancelling an open order from exstrat (`DELETE /api/orders/{id}`) through real ccxt against
the simulated Binance and Coinbase: the resting limit sell is cancelled on the exchange, the
order says "Cancelled by you ..." (with what had filled) and its audit trail has the cancel;
another user's order is not found; an order that is not open is refused in words, and
nothing is sent to the exchange for it. No password is asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from exstrat_app.models import Strategy, User
from exstrat_app.services.execution.placement import execute_step
from simexchange import BINANCE_TRADING_KEY, SimExchange
from tests.alerts.conftest import client, sign_in  # noqa: F401 (fixture)
from tests.execution.conftest import audit_of, order_of, seed_strategy, steps_of, trigger
from tests.execution.test_coinbase_orders import (  # noqa: F401 (fixtures)
    _place_resting,
    cb,
    cb_account,
    cb_key,
)

D = Decimal


def resting_binance_order(db: Any, engine: Any, redis: Any, box: Any, user_id: str, account_id: str
                          ) -> tuple[Any, Any]:  # fmt: skip
    """Alice's first step triggered at 2,200 and its limit sell resting on the simulated
    Binance (the book is at 2,000): (step, order)."""
    strategy = seed_strategy(db, user_id, account_id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    assert execute_step(engine, redis, box, first.id).status == "open"
    return first, order_of(db, first.id)


def test_a_resting_binance_order_is_cancelled_by_you(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    first, order = resting_binance_order(db, engine, redis, box, alice.id, account.id)
    sign_in(client, alice.id)

    cancelled = client.delete(f"/api/orders/{order.id}")

    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["id"], body["status"]) == (order.id, "cancelled")
    assert body["reason"] == "Cancelled by you before anything filled."
    [on_exchange] = sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY])
    assert on_exchange.status == "CANCELED"
    assert order_of(db, first.id).status == "cancelled"
    assert steps_of(db, first.strategy_id)[0].state == "triggered"  # as for any cancellation
    assert [a.action for a in audit_of(db, order.id)] == ["check_key", "place", "cancel"]
    assert all(a.ok and BINANCE_TRADING_KEY not in a.request for a in audit_of(db, order.id))
    again = client.delete(f"/api/orders/{order.id}")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        "This order is cancelled: only an open order can be cancelled."
    )


def test_a_partly_filled_coinbase_order_is_cancelled_by_you_with_what_filled(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any,  # noqa: F811
    cb_account: Any, cb_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    strategy, first, acct, placed = _place_resting(
        db, engine, redis, box, cb, alice.id, cb_account.id
    )
    cb.coinbase.orders.fill(acct, placed.order_id, "0.25")  # a part, at the 2,200 limit
    order = order_of(db, first.id)
    sign_in(client, alice.id)

    cancelled = client.delete(f"/api/orders/{order.id}")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert placed.status == "CANCELLED"
    order = order_of(db, first.id)
    assert (order.status, order.filled_qty, order.avg_fill_price) == (
        "cancelled", D("0.25"), D("2200"),
    )  # fmt: skip
    assert order.reason == "Cancelled by you after 0.25 of 0.7995 filled (avg 2200)."
    assert audit_of(db, order.id)[-1].action == "cancel"
    assert acct.balances["ETH"] == (D("0.5495"), D("0"))  # the rest is available again
    assert steps_of(db, strategy.id)[0].state == "triggered"


def test_another_users_order_or_an_unknown_id_is_not_found(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    _, order = resting_binance_order(db, engine, redis, box, alice.id, account.id)
    assert client.delete(f"/api/orders/{order.id}").status_code == 401  # a session is needed
    mallory = User(email="mallory@example.com", password_hash="x" * 60)
    db.add(mallory)
    db.commit()
    sign_in(client, mallory.id)
    sim.reset_counts()

    for order_id in (order.id, "0" * 32):
        refused = client.delete(f"/api/orders/{order_id}")
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == "No such order."
    assert order_of(db, order.step_id).status == "open"
    assert sim.request_count("/api/v3/order") == 0


def test_a_filled_or_unconfirmed_order_is_refused_in_words(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, step = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.set_price("ETH/USDT", "2205")  # marketable: filled at once
    assert execute_step(engine, redis, box, first.id).status == "filled"
    db.execute(
        update(Strategy).where(col(Strategy.id) == strategy.id).values(execution_mode="confirm")
    )
    db.commit()
    trigger(db, step, "2800")  # the second step's sale now waits for a confirmation
    assert execute_step(engine, redis, box, step.id).status == "awaiting_confirmation"
    sign_in(client, alice.id)
    sim.reset_counts()

    filled = client.delete(f"/api/orders/{order_of(db, first.id).id}")
    unconfirmed = client.delete(f"/api/orders/{order_of(db, step.id).id}")

    assert filled.status_code == 409
    assert filled.json()["error"]["message"] == (
        "This order is filled: only an open order can be cancelled."
    )
    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["error"]["message"].startswith(
        "This sale is waiting for your confirmation: nothing was sent"
    )
    assert sim.request_count("/api/v3/order") == 0
    assert order_of(db, first.id).status == "filled"
    assert order_of(db, step.id).status == "awaiting_confirmation"

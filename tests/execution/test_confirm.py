"""Confirm mode end to end through the API and a real RQ worker against the simulated Binance:
the alert asks "Sell 0.8 ETH now", the confirmation places the order, it fills, the step is
done. Plus: the window expires, the mode needs the password, everything is the user's own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from freezegun import freeze_time
from sqlalchemy import update
from sqlmodel import col, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification, TradingKey, User
from exstrat_app.services.auth.passwords import hash_password
from exstrat_app.services.execution.lifecycle import track_orders
from exstrat_app.services.execution.placement import (
    KIND_ORDER_CONFIRM,
    enqueue_step_order,
    execute_step,
)
from simexchange import SimExchange
from tests.alerts.conftest import client, run_worker, sign_in  # noqa: F401 (fixture)
from tests.execution.conftest import order_of, seed_strategy, steps_of, trigger

D = Decimal
PASSWORD = "violet kettle mountain 1987"


def with_password(db: Any, user: Any) -> None:
    db.execute(
        update(User).where(col(User.id) == user.id).values(password_hash=hash_password(PASSWORD))
    )
    db.commit()


def test_confirm_flow_alert_then_confirm_then_filled_then_done(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    with_password(db, alice)
    strategy = seed_strategy(db, alice.id, account.id, "alert")
    sign_in(client, alice.id)
    wrong = client.put(
        f"/api/strategies/{strategy.id}/execution", json={"mode": "confirm", "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["fields"]["password"].startswith("That is not your password")
    ok = client.put(
        f"/api/strategies/{strategy.id}/execution", json={"mode": "confirm", "password": PASSWORD}
    )
    assert ok.status_code == 200 and ok.json() == {
        "strategyId": strategy.id, "mode": "confirm", "paper": False,
    }  # fmt: skip
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")

    assert execute_step(engine, redis, box, first.id).status == "awaiting_confirmation"
    note = db.exec(select(Notification).where(Notification.kind == KIND_ORDER_CONFIRM)).one()
    assert note.title == "Sell 0.8 ETH now"
    assert note.body == (
        "Confirm within 15 minutes to place a limit sell of 0.8 ETH at $2,200.00; after that "
        "nothing is sent."
    )
    assert sim.request_count("/api/v3/order") == 0

    confirmed = client.post(f"/api/strategies/{strategy.id}/steps/{first.id}/confirm")
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "pending"
    run_worker(redis, ("watch",))  # the real job: jobs.orders.place_step_order
    assert order_of(db, first.id).status == "open"

    sim.set_price("ETH/USDT", "2205")
    track_orders(engine, redis, box)
    [listed] = client.get("/api/orders").json()
    assert listed["status"] == "filled"
    assert (listed["filledQty"], listed["avgFillPrice"], listed["qty"]) == ("0.8", "2200", "0.8")
    assert steps_of(db, strategy.id)[0].state == "done"
    audit = client.get(f"/api/orders/{listed['id']}/audit").json()
    assert [a["action"] for a in audit] == ["check_key", "place", "status"]
    again = client.post(f"/api/strategies/{strategy.id}/steps/{first.id}/confirm")
    assert again.status_code == 409


def test_an_unconfirmed_sale_expires_after_15_minutes(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "confirm")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    execute_step(engine, redis, box, first.id)
    sign_in(client, alice.id)
    with freeze_time(utcnow() + timedelta(minutes=16)):
        late = client.post(f"/api/strategies/{strategy.id}/steps/{first.id}/confirm")
        assert late.status_code == 409
        assert late.json()["error"]["message"] == (
            "This sale can no longer be confirmed: its 15 minutes are over."
        )
        assert track_orders(engine, redis, box).expired == 1
    assert order_of(db, first.id).status == "expired"
    assert sim.request_count("/api/v3/order") == 0


def test_orders_and_confirmations_are_scoped_to_their_user(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "confirm")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    execute_step(engine, redis, box, first.id)
    mallory = User(email="mallory@example.com", password_hash="x" * 60)
    db.add(mallory)
    db.commit()
    sign_in(client, mallory.id)
    assert client.get("/api/orders").json() == []
    stolen = client.post(f"/api/strategies/{strategy.id}/steps/{first.id}/confirm")
    assert stolen.status_code == 404
    assert client.get(f"/api/orders/{order_of(db, first.id).id}/audit").status_code == 404
    for method, path in [
        ("GET", f"/api/exchanges/{account.id}/trading-key"),
        ("PUT", f"/api/exchanges/{account.id}/trading-key"),
        ("DELETE", f"/api/exchanges/{account.id}/trading-key"),
        ("PUT", f"/api/strategies/{strategy.id}/execution"),
    ]:
        response = client.request(method, path)  # no body either: still not found
        assert response.status_code == 404, (method, path, response.text)
    assert order_of(db, first.id).status == "awaiting_confirmation"
    assert db.exec(select(TradingKey)).one()  # alice's key is untouched


def test_a_confirmation_after_the_queued_trigger_job_is_placed_at_once(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, client: Any,  # noqa: F811
) -> None:  # fmt: skip
    """The trigger's job ran through the queue (it stays in Redis as a finished job): the
    confirmation's job is a new one, not refused as its duplicate (seen in the browser: the
    confirmed order sat `pending` until the lifecycle job's next pass)."""
    strategy = seed_strategy(db, alice.id, account.id, "confirm")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    enqueue_step_order(redis, first.id)
    run_worker(redis, ("watch",))
    assert order_of(db, first.id).status == "awaiting_confirmation"

    sign_in(client, alice.id)
    confirmed = client.post(f"/api/strategies/{strategy.id}/steps/{first.id}/confirm")
    assert confirmed.status_code == 202
    run_worker(redis, ("watch",))
    assert order_of(db, first.id).status == "open"
    assert sim.request_count("/api/v3/order") == 1

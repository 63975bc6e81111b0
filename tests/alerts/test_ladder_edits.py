"""Editing and deleting a ladder over the API: PUT /api/strategies/{id} changes the name and
the pending steps only, DELETE removes the ladder from the watch. The seed ladder: 4 ETH at
2,000 USDT, +10 % -> 2,200 sell 20 % (0.8 ETH), +40 % -> 2,800 sell 59 % (2.36 ETH)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from exstrat_app import bootstrap
from exstrat_app.models import Notification, StrategyExecution, StrategyStep
from exstrat_app.models.orders import Order
from exstrat_app.services import strategies as svc
from exstrat_app.services.strategies.touches import rest_watch_cycle
from exstrat_app.services.strategies.watcher import watched_assets
from simexchange import SimExchange
from tests.alerts.conftest import create_seed_strategy, expire_price_cache, lot_0001, sign_in


@pytest.fixture(autouse=True)
def _fixed_lot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svc, "exchange_lot_step_lookup", lambda _redis: lot_0001)


def _set_state(db: Any, strategy_id: str, position: int, state: str) -> StrategyStep:
    step = db.exec(
        select(StrategyStep).where(
            StrategyStep.strategy_id == strategy_id, StrategyStep.position == position
        )
    ).one()
    step.state = state
    db.add(step)
    db.commit()
    return step


def test_put_changes_the_name_and_a_pending_step(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    sign_in(client, alice.id)
    answer = client.put(
        f"/api/strategies/{seed.id}",
        json={"name": "Main", "steps": [{"targetPct": "15"}, {"sellPct": "50"}]},
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["name"] == "Main"
    steps = [
        (s["targetPct"], s["sellPct"], s["targetPrice"], s["qtyToSell"]) for s in data["steps"]
    ]
    assert steps == [
        ("15", "20", "2300", "0.8"),  # 2000 x 1.15 = 2300; 20 % of 4 = 0.8
        ("40", "50", "2800", "2"),  # 50 % of 4 = 2
    ]
    assert data["remainingQty"] == "1.2"  # 4 - 0.8 - 2
    assert data["warnings"] == []
    again = client.get(f"/api/strategies/{seed.id}").json()
    assert [s["targetPrice"] for s in again["steps"]] == ["2300", "2800"]


def test_put_follows_the_creation_rules(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    sign_in(client, alice.id)
    # +50 % before +40 %: targets must increase; 60 % + 59 % is over 100 %.
    answer = client.put(
        f"/api/strategies/{seed.id}", json={"steps": [{"targetPct": "50", "sellPct": "60"}, {}]}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["fields"]
    answer = client.put(f"/api/strategies/{seed.id}", json={"steps": [{}]})
    assert answer.status_code == 422  # every step, in order


def test_put_refuses_to_change_a_triggered_step(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    _set_state(db, seed.id, 0, "triggered")
    sign_in(client, alice.id)
    answer = client.put(f"/api/strategies/{seed.id}", json={"steps": [{"targetPct": "12"}, {}]})
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == (
        "Step 1 has already been reached: its target and sale can no longer change."
    )
    # Resending a reached step's own values is fine: only the pending step changes.
    answer = client.put(
        f"/api/strategies/{seed.id}",
        json={"steps": [{"targetPct": "10", "sellPct": "20"}, {"targetPct": "45"}]},
    )
    assert answer.status_code == 200, answer.text
    assert [s["targetPrice"] for s in answer.json()["steps"]] == ["2200", "2900"]


def test_delete_removes_the_ladder_from_the_watch(
    engine: Any,
    db: Any,
    redis: Any,
    client: Any,
    alice: Any,
    seed_position: Any,
    binance: SimExchange,
) -> None:
    seed = create_seed_strategy(db, alice.id)
    sign_in(client, alice.id)
    with Session(engine) as s:
        assert watched_assets(s) == ["ETH"]
    assert client.delete(f"/api/strategies/{seed.id}").status_code == 204
    assert client.get("/api/strategies").json() == []
    assert client.get(f"/api/strategies/{seed.id}").status_code == 404
    with Session(engine) as s:
        assert watched_assets(s) == []
    binance.set_price("ETH/USDT", "3000")  # past both targets
    expire_price_cache(redis)
    deps = {"provider": bootstrap.price_provider(), "public_url": bootstrap.settings().public_url}
    report = rest_watch_cycle(engine, redis, **deps)
    assert report.fired == []
    with Session(engine) as s:
        assert s.exec(select(StrategyExecution)).all() == []
        assert s.exec(select(Notification)).all() == []


def test_delete_is_refused_while_an_order_is_open(
    db: Any, client: Any, alice: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    step = _set_state(db, seed.id, 0, "triggered")
    db.add(
        Order(
            user_id=alice.id,
            strategy_id=seed.id,
            step_id=step.id,
            client_order_id=f"x-{step.id}",
            symbol="ETH/USDT",
            status="open",
            trigger_price=Decimal("2200"),
        )
    )
    db.commit()
    sign_in(client, alice.id)
    answer = client.delete(f"/api/strategies/{seed.id}")
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == (
        "This strategy has an open order: cancel the order first, then delete the strategy."
    )
    assert client.get(f"/api/strategies/{seed.id}").status_code == 200


def test_another_users_ladder_is_not_found(
    db: Any, client: Any, alice: Any, bob: Any, seed_position: Any, binance: SimExchange
) -> None:
    seed = create_seed_strategy(db, alice.id)
    sign_in(client, bob.id)
    assert client.put(f"/api/strategies/{seed.id}", json={"name": "Mine"}).status_code == 404
    assert client.delete(f"/api/strategies/{seed.id}").status_code == 404
    sign_in(client, alice.id)
    assert client.get(f"/api/strategies/{seed.id}").json()["name"] is None


def test_write_tokens_may_edit_and_delete_read_tokens_may_not() -> None:
    from exstrat_app.api.token_access import READ_ONLY, refusal

    for method in ("PUT", "DELETE"):
        assert refusal(method, "/api/strategies/abc", "write") is None
        assert refusal(method, "/api/strategies/abc", "read") == READ_ONLY

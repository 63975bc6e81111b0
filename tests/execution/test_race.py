"""Eight worker processes racing on one triggered step place exactly one order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from exstrat_app.models import Order
from exstrat_app.services.execution.placement import _ensure_committed
from simexchange import BINANCE_TRADING_KEY, SimExchange
from tests.alerts.conftest import worker_env
from tests.execution.conftest import order_of, seed_strategy, steps_of, trigger

PROCESSES = 8
ROUNDS = 5


def race(redis: Any, mode: str, step_id: str) -> int:
    barrier = f"order-race-{uuid.uuid4().hex}"
    argv = [sys.executable, "-m", "tests.execution.race_worker", mode, barrier, str(ROUNDS)]
    procs = [
        subprocess.Popen(
            [*argv, step_id], env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while int(redis.get(f"{barrier}:ready") or 0) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.02)
    redis.set(f"{barrier}:go", "1")
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return sum(json.loads(out.strip().splitlines()[-1])["placed"] for out, _ in outputs)


@pytest.mark.parametrize("mode", ["full", "db-only"])
def test_eight_processes_place_one_order(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any, mode: str,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    _ensure_committed(engine, redis, first.id)  # the order row exists (`pending`) before the race

    assert race(redis, mode, first.id) == 1

    sim_orders = sim.binance.orders.orders_of(sim.dataset.accounts[BINANCE_TRADING_KEY])
    assert len(sim_orders) == 1
    posts = [r for r in sim.requests_log("/api/v3/order") if r.startswith("POST")]
    assert len(posts) == 1
    order: Order = order_of(db, first.id)
    assert order.status == "open" and order.exchange_order_id == str(sim_orders[0].order_id)

"""Eight worker processes on the same crossing: each step fires exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import Any

from sqlmodel import col, select

from exstrat_app.infra.queue import get_queue
from exstrat_app.models import Notification, StrategyExecution, StrategyStep
from exstrat_app.services.notifications.channel_delivery import fan_out_job_id
from exstrat_app.services.notifications.push import PUSH_CHANNEL
from simexchange import SimExchange
from tests.alerts.conftest import create_seed_strategy, worker_env

PROCESSES = 8
ROUNDS = 25  # 8 x 25 = 200 evaluations of the crossing


def race(redis: Any, mode: str, step_ids: list[str]) -> int:
    """Run the competing processes; the total number of steps they fired."""
    barrier = f"race-{uuid.uuid4().hex}"
    argv = [sys.executable, "-m", "tests.alerts.race_worker", mode, barrier, str(ROUNDS)]
    argv += ["3000", ",".join(step_ids)]
    procs = [
        subprocess.Popen(
            argv, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.monotonic() + 60
    while int(redis.get(f"{barrier}:ready") or 0) < PROCESSES and time.monotonic() < deadline:
        time.sleep(0.02)
    redis.set(f"{barrier}:go", "1")
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    return sum(json.loads(out.strip().splitlines()[-1])["fired"] for out, _ in outputs)


def seed_steps(db: Any, user_id: str) -> list[str]:
    """Three steps crossed by 3000: the seed ladder and a one-step ladder."""
    first = create_seed_strategy(db, user_id)
    second = create_seed_strategy(db, user_id, steps=[{"targetPct": "5", "sellPct": "10"}])
    query = select(StrategyStep).where(col(StrategyStep.strategy_id).in_([first.id, second.id]))
    return [s.id for s in db.exec(query)]


def assert_one_alert_per_step(db: Any, step_ids: list[str]) -> list[Notification]:
    db.expire_all()
    executions = db.exec(select(StrategyExecution)).all()
    notifications = db.exec(select(Notification)).all()
    assert sorted(e.step_id for e in executions) == sorted(step_ids)
    assert sorted(n.step_id for n in notifications) == sorted(step_ids)
    assert {s.state for s in db.exec(select(StrategyStep)).all()} == {"triggered"}
    return list(notifications)


def test_eight_processes_fire_each_step_exactly_once(
    db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    step_ids = seed_steps(db, alice.id)
    binance.set_price("ETH/USDT", "3000")
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(PUSH_CHANNEL)

    assert race(redis, "full", step_ids) == len(step_ids) == 3

    notifications = assert_one_alert_per_step(db, step_ids)
    # 200 evaluations in 8 processes, one upstream ticker request (the provider's lock).
    assert binance.request_count("/api/v3/ticker/price") == 1
    # One live push and one email job per step, too.
    events = []
    end = time.monotonic() + 1
    while time.monotonic() < end:
        message = pubsub.get_message(timeout=0.05)
        if message is not None:
            events.append(json.loads(message["data"]))
    assert sorted(e["notification"]["stepId"] for e in events) == sorted(step_ids)
    # ... and one channel fan-out job per step (the user's web push / Apprise channels).
    assert sorted(get_queue("notify", connection=redis).job_ids) == sorted(
        [f"notify-email-{n.id}" for n in notifications]
        + [fan_out_job_id(n.id) for n in notifications]
    )


def test_the_conditional_update_alone_already_prevents_double_alerts(
    db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    """Belt and braces: with no Redis lock at all, the database still lets one win."""
    step_ids = seed_steps(db, alice.id)
    assert race(redis, "db-only", step_ids) == 3
    assert_one_alert_per_step(db, step_ids)

"""Readiness on the real test database and Redis: every part reported, depths as enqueued."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from exstrat_app.api.request_guard import READY_PATH

FAILING_JOB = "json.loads"  # given text that is not JSON, it raises: a real failed job


def _enqueue(redis: Any, queue: str, *args: Any) -> None:
    from exstrat_app.infra.queue import get_queue

    get_queue(queue, connection=redis).enqueue(FAILING_JOB, *args)


def _fail_one_job(redis: Any, queue: str) -> None:
    """Run one failing job through a real worker so that it lands in the failed registry."""
    from rq import SimpleWorker

    from exstrat_app.infra.queue import CorrelatedJob, get_queue

    _enqueue(redis, queue, "not json")
    worker = SimpleWorker(
        [get_queue(queue, connection=redis)], connection=redis, job_class=CorrelatedJob
    )
    worker.work(burst=True, logging_level="CRITICAL")


def test_ready_reports_each_part_with_the_queue_depths_it_finds(client: Any, redis: Any) -> None:
    from exstrat_app.infra.db.migrate import script_heads

    _fail_one_job(redis, "watch")
    for text in ('"a"', '"b"'):
        _enqueue(redis, "ingest", text)
    _enqueue(redis, "notify", '"c"')
    answer = client.get(READY_PATH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert list(checks) == [
        "database", "migrations", "redis", "queues", "prices", "scheduler", "workers",
    ]  # fmt: skip
    assert checks["database"] | {"ms": 0} == {"ok": True, "required": True, "status": "ok", "ms": 0}
    head = ",".join(script_heads())
    assert checks["migrations"]["status"] == "at head"
    assert checks["migrations"]["databaseRevision"] == checks["migrations"]["codeRevision"] == head
    assert checks["redis"]["ok"] is True and checks["redis"]["required"] is True
    assert checks["queues"]["depths"] == {
        "ingest": {"queued": 2, "failed": 0},
        "watch": {"queued": 0, "failed": 1},
        "notify": {"queued": 1, "failed": 0},
    }
    assert checks["queues"]["status"] == "3 queued"
    assert checks["prices"] | {"ms": 0} == {
        "ok": True, "required": False, "status": "no price yet", "ms": 0,
        "ageSeconds": None, "streamLive": False,
    }  # fmt: skip
    assert checks["scheduler"]["running"] is False and checks["scheduler"]["required"] is False
    assert checks["workers"]["live"] == 0 and checks["workers"]["status"] == "no live worker"
    assert all(check["ms"] >= 0 for check in checks.values())
    for secret_part in ("unix://", "redis://", "sqlite", "postgres", "redis.sock"):
        assert secret_part not in answer.text


def test_a_live_worker_and_the_scheduler_are_seen(fresh_ready: Any, redis: Any) -> None:
    from rq import Worker
    from rq_scheduler import Scheduler

    from exstrat_app.infra.queue import get_queue
    from exstrat_app.runtime.workers import scheduler_tick
    from exstrat_app.settings import get_settings

    before = fresh_ready.get(READY_PATH).json()["checks"]
    assert before["scheduler"]["status"] == "not running" and before["workers"]["live"] == 0
    worker = Worker([get_queue("watch", connection=redis)], connection=redis)
    worker.register_birth()
    try:
        scheduler_tick(Scheduler(queue_name="watch", connection=redis), get_settings(), 1.0)
        checks = fresh_ready.get(READY_PATH).json()["checks"]
    finally:
        worker.register_death()
    assert checks["workers"] | {"ms": 0} == {
        "ok": True, "required": False, "status": "1 live", "ms": 0, "live": 1,
    }  # fmt: skip
    scheduler = checks["scheduler"]
    assert scheduler["ok"] is True and scheduler["running"] is True
    assert 0 <= scheduler["beatAgeSeconds"] < 5 and scheduler["lockHeld"] is False
    # The tick moved the periodic jobs that were due (the price watch among them) to queues.
    assert checks["queues"]["depths"]["watch"]["queued"] >= 1
    assert fresh_ready.get(READY_PATH).json()["checks"]["workers"]["live"] == 0


def test_the_age_of_the_freshest_price(fresh_ready: Any, redis: Any) -> None:
    from exstrat_app.services.portfolio.prices import PriceProvider, cache_namespace
    from exstrat_app.services.strategies.touches import mark_evaluated
    from exstrat_app.settings import get_settings

    # The watcher evaluated ETH up to 100 s ago, and nothing since: reported stale, still ready.
    mark_evaluated(redis, {"ETH": datetime.now(UTC) - timedelta(seconds=100)})
    answer = fresh_ready.get(READY_PATH)
    prices = answer.json()["checks"]["prices"]
    assert answer.status_code == 200
    assert prices["ok"] is False and prices["status"].startswith("stale: last price 10")
    assert 100 <= prices["ageSeconds"] < 110
    # The price cache is filled now (a page or the REST watcher asked for prices).
    provider = PriceProvider(
        redis,
        cache_seconds=get_settings().price_cache_seconds,
        fetcher=lambda: {"ETHUSDT": Decimal("2000")},
        namespace=cache_namespace(get_settings()),
    )
    provider.refresh_if_due()
    prices = fresh_ready.get(READY_PATH).json()["checks"]["prices"]
    assert prices["ok"] is True and 0 <= prices["ageSeconds"] < 5
    assert prices["status"] == f"last price {prices['ageSeconds']:g} s ago"


def test_a_report_is_reused_for_a_second(client: Any, redis: Any) -> None:
    from exstrat_app.services.operations.health import MEMO_SECONDS

    first = client.get(READY_PATH).json()
    _enqueue(redis, "ingest", '"late"')
    again = client.get(READY_PATH).json()
    assert again == first  # same round of checks: the new job is not counted yet
    checked = datetime.fromisoformat(first["checkedAt"]).timestamp()
    deadline = time.monotonic() + 10
    while client.get(READY_PATH).json()["checkedAt"] == first["checkedAt"]:
        assert time.monotonic() < deadline
    later = client.get(READY_PATH).json()
    assert datetime.fromisoformat(later["checkedAt"]).timestamp() - checked >= MEMO_SECONDS * 0.9
    assert later["checks"]["queues"]["depths"]["ingest"]["queued"] == 1

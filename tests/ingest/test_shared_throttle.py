"""Requests to Binance take turns across processes (infra.exchanges.throttle): two worker
processes spend one IP budget between them, read as the waits the budget hands out (Redis'
clock), never as timed sleeps."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.exchanges.throttle import SharedThrottle
from tests.ingest.test_ip_window import fresh_minute
from tests.ingest.throttle_worker import BURST_SLOTS, RATE_LIMIT_MS, SLOT_MS, ping_waits

PINGS = 40  # per process: 80 in all against a budget of 50
SPACING_S = SLOT_MS / 1000


@pytest.mark.usefixtures("redis")
def test_two_processes_share_one_ip_budget(redis: Any) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue, ready, go = ctx.Queue(), ctx.Semaphore(0), ctx.Event()
    procs = [ctx.Process(target=ping_waits, args=(PINGS, ready, go, queue)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for _ in procs:  # both have imported ccxt and built their instance
        assert ready.acquire(timeout=60)
    redis.delete("exstrat:throttle:binance:ip")
    fresh_minute(redis, needed_s=5)  # all 80 requests (well under a second) in one minute
    go.set()
    waits = [w for _ in procs for w in queue.get(timeout=60)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert len(waits) == 2 * PINGS
    # One budget for both: 50 pings go at once, whichever process sent them; the other 30
    # for the next minute (two unshared budgets would have let all 80 through).
    assert sum(1 for w in waits if w == 0) == BURST_SLOTS


@pytest.mark.usefixtures("sim")
def test_redis_down_falls_back_to_ccxts_own_spacing(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    instance = xa.make_exchange("binance", redis=dead)
    assert isinstance(instance.throttle, SharedThrottle)
    instance.rateLimit = RATE_LIMIT_MS
    started = time.perf_counter()
    for _ in range(3):
        assert instance.publicGetPing() == {}
    # Still spaced (ccxt's own throttle) and no error: the limiter never stops a sync.
    assert time.perf_counter() - started >= 2 * SPACING_S - 0.005
    # Said once, not once per request.
    assert caplog.text.count("shared throttle unavailable") == 1


def test_without_rate_limit_no_throttle_is_shared(redis: Any) -> None:
    instance = xa.make_exchange("binance", redis=redis, rate_limit=False)
    assert not isinstance(instance.__dict__.get("throttle"), SharedThrottle)

"""Requests to one exchange take turns across processes (services.throttle): two worker
processes pinging the simulator at once are spaced as one ccxt instance would be."""

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
from tests.ingest.throttle_worker import RATE_LIMIT_MS, SLOT_MS, ping_times

PINGS = 40  # per process: about 1 s of requests at one per slot
SPACING_S = SLOT_MS / 1000
# Timing on a shared VM: a sleep can end late, never early, so the shared schedule is checked
# with a lower bound: all 80 slots one after the other (>= 79 slots minus one late wake-up),
# where two unshared instances take ~40 slots side by side (~1 s when the machine is quiet).
LATE_S = 0.05


def _two_processes(shared: bool) -> list[float]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3  # after both have imported ccxt
    procs = [
        ctx.Process(target=ping_times, args=(shared, PINGS, start_at, queue)) for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    stamps = [t for _ in procs for t in queue.get(timeout=60)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return sorted(stamps)


def _duration(stamps: list[float]) -> float:
    return stamps[-1] - stamps[0]


@pytest.mark.usefixtures("sim", "redis")
def test_two_processes_share_one_schedule() -> None:
    stamps = _two_processes(shared=True)
    assert len(stamps) == 2 * PINGS
    # 80 requests, each a slot after the previous one, whichever process sent it: ~2 s.
    assert _duration(stamps) >= (2 * PINGS - 1) * SPACING_S - LATE_S


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

"""Readiness for a load balancer (docs/operations.md): may this instance take traffic?

Ready means the database answers, its migrations are at the code's head, and Redis answers.
The queues, the last price, the scheduler and the workers are reported beside them but do
not decide: a fresh instance has no price yet, and a page still serves while a worker
restarts.

Time is bounded whatever hangs: the database probes and the Redis probes run side by side
on a small pool of threads and the answer is given after `DEADLINE_SECONDS` at most; a
group still running then is reported as not answering (its thread finishes on its own, the
pool being small keeps a dead dependency from piling threads up). Redis is expected to come
with its own one-second socket bounds (infra/redis.py `get_probe_redis`); once it does not
answer a ping, the probes that read it are not run.

`RecentReadiness` keeps the last report for a second and runs one check at a time, so the
public, unlimited /api/ready costs at most one round of checks per second per process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from redis import Redis
from sqlalchemy.engine import Engine

from exstrat_app.services.operations import probes
from exstrat_app.services.operations.probes import (
    Check,
    MigrationsCheck,
    PricesCheck,
    QueuesCheck,
    SchedulerCheck,
    WorkersCheck,
)
from exstrat_app.services.portfolio.prices import STALE_FACTOR, cache_namespace
from exstrat_app.settings import Settings

DEADLINE_SECONDS = 2.0
MEMO_SECONDS = 1.0
T = TypeVar("T")
# Two groups per check; room for a group stuck on a dead database while the next one runs.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")


@dataclass(frozen=True)
class Readiness:
    checked_at: datetime
    database: Check
    migrations: MigrationsCheck
    redis: Check
    queues: QueuesCheck
    prices: PricesCheck
    scheduler: SchedulerCheck
    workers: WorkersCheck

    @property
    def checks(self) -> dict[str, Check]:
        return {
            "database": self.database,
            "migrations": self.migrations,
            "redis": self.redis,
            "queues": self.queues,
            "prices": self.prices,
            "scheduler": self.scheduler,
            "workers": self.workers,
        }

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks.values() if check.required)


DatabaseGroup = tuple[Check, MigrationsCheck]
RedisGroup = tuple[Check, QueuesCheck, PricesCheck, SchedulerCheck, WorkersCheck]


def _database_group(engine: Engine) -> DatabaseGroup:
    reached = probes.database(engine)
    if not reached.ok:
        return reached, probes.skipped(MigrationsCheck, required=True, because="no database")
    return reached, probes.migrations(engine)


def price_stale_after(settings: Settings) -> float:
    """How old the freshest price may be before it is reported stale: as the price cache
    judges its own prices, or two watch polls when those are slower."""
    return float(max(STALE_FACTOR * settings.price_cache_seconds, 2 * settings.price_poll_seconds))


def _redis_group(redis: Redis, settings: Settings) -> RedisGroup:
    reached = probes.redis_ping(redis)
    if not reached.ok:
        why = "no Redis"
        return (
            reached,
            probes.skipped(QueuesCheck, required=False, because=why),
            probes.skipped(PricesCheck, required=False, because=why),
            probes.skipped(SchedulerCheck, required=False, because=why),
            probes.skipped(WorkersCheck, required=False, because=why),
        )
    now = time.time()
    return (
        reached,
        probes.queues(redis),
        probes.prices(
            redis,
            namespace=cache_namespace(settings),
            stale_after=price_stale_after(settings),
            now=now,
        ),
        probes.scheduler(redis, now=now),
        probes.workers(redis),
    )


def _no_answer(deadline: float) -> str:
    return f"no answer within {deadline:g} s"


def _database_late(deadline: float) -> DatabaseGroup:
    words, ms = _no_answer(deadline), deadline * 1000
    return (
        Check(ok=False, required=True, status=words, ms=ms),
        MigrationsCheck(ok=False, required=True, status=words, ms=ms),
    )


def _redis_late(deadline: float) -> RedisGroup:
    words, ms = _no_answer(deadline), deadline * 1000
    return (
        Check(ok=False, required=True, status=words, ms=ms),
        QueuesCheck(ok=False, required=False, status=words, ms=ms),
        PricesCheck(ok=False, required=False, status=words, ms=ms),
        SchedulerCheck(ok=False, required=False, status=words, ms=ms),
        WorkersCheck(ok=False, required=False, status=words, ms=ms),
    )


def _result(future: Future[T], late: Callable[[], T]) -> T:
    """The group's checks, or "no answer" for a group still running (or never started:
    cancelled so that a queue of waiting checks cannot build up behind a stuck one)."""
    if future.done() and not future.cancelled():
        return future.result()  # the probes answer in words: they do not raise
    future.cancel()
    return late()


def check_readiness(
    engine: Engine,
    redis: Redis,
    settings: Settings,
    *,
    deadline: float = DEADLINE_SECONDS,
) -> Readiness:
    """Every part's check, within `deadline` seconds."""
    checked_at = datetime.now(UTC)
    on_database = _POOL.submit(_database_group, engine)
    on_redis = _POOL.submit(_redis_group, redis, settings)
    wait([on_database, on_redis], timeout=deadline)
    database, migrations = _result(on_database, lambda: _database_late(deadline))
    reached, queues, prices, scheduler, workers = _result(on_redis, lambda: _redis_late(deadline))
    return Readiness(
        checked_at=checked_at,
        database=database,
        migrations=migrations,
        redis=reached,
        queues=queues,
        prices=prices,
        scheduler=scheduler,
        workers=workers,
    )


class RecentReadiness:
    """The last report, reused for `ttl` seconds; one round of checks at a time (the callers
    that arrive meanwhile wait for it, at most the deadline, and share its report)."""

    def __init__(self, ttl: float = MEMO_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._last: Readiness | None = None
        self._at = 0.0

    def get(self, run: Callable[[], Readiness]) -> Readiness:
        with self._lock:
            if self._last is not None and time.monotonic() - self._at < self.ttl:
                return self._last
            self._last = run()
            self._at = time.monotonic()
            return self._last

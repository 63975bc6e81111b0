"""One probe per part of the instance, each answering in a few words: the database, its
migrations, Redis, the queues, the last price, the scheduler and the workers.

A probe never raises: an unreachable part is a `Check` with `ok=False` and words such as
"unreachable (ConnectionError)". The words name the error's type only, never its text: a
driver's message can carry a host, a user or a whole URL, and /api/ready is public.
Each probe is read-only, and reads what the processes leave in Redis and the database; it
does not wait on anything but its one connection (whose time bounds are the caller's).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.registry import FailedJobRegistry
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from exstrat_app.infra.db.migrate import database_heads, script_heads
from exstrat_app.infra.queue import QUEUES, SCHEDULER_LOCK_KEY, get_queue, scheduler_beat
from exstrat_app.services.portfolio.prices import fetched_key
from exstrat_app.services.strategies.touches import EVALUATED_KEY, STREAM_HEARTBEAT_KEY

log = logging.getLogger(__name__)

REDIS_ERRORS = (RedisError, OSError)
DATABASE_ERRORS = (SQLAlchemyError, OSError)


@dataclass(frozen=True, kw_only=True)
class Check:
    ok: bool
    required: bool  # a failure makes the instance not ready
    status: str  # a few words, never an address nor an error's own text
    ms: float = 0.0  # how long the probe took


@dataclass(frozen=True, kw_only=True)
class MigrationsCheck(Check):
    database_revision: str | None = None
    code_revision: str | None = None


@dataclass(frozen=True)
class QueueDepth:
    queued: int  # waiting for a worker
    failed: int  # in the failed-job registry (kept a week for the operator)


@dataclass(frozen=True, kw_only=True)
class QueuesCheck(Check):
    depths: Mapping[str, QueueDepth] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PricesCheck(Check):
    age_seconds: float | None = None  # since the freshest price; None: none seen yet
    stream_live: bool | None = None  # the price stream's heartbeat is there


@dataclass(frozen=True, kw_only=True)
class SchedulerCheck(Check):
    running: bool | None = None  # its loop turned within its grace period
    beat_age_seconds: float | None = None
    lock_held: bool | None = None  # held only while a tick moves due jobs


@dataclass(frozen=True, kw_only=True)
class WorkersCheck(Check):
    live: int | None = None


C = TypeVar("C", bound=Check)


def _words_for(exc: Exception, expected: tuple[type[Exception], ...]) -> str:
    name = type(exc).__name__
    return f"unreachable ({name})" if isinstance(exc, expected) else f"failed ({name})"


def guarded(
    kind: type[C],
    probe: Callable[[], C],
    *,
    required: bool,
    expected: tuple[type[Exception], ...],
) -> C:
    """Run one probe and time it; whatever it raises becomes a failed check in words."""
    started = time.perf_counter()
    try:
        result = probe()
    except Exception as exc:  # a probe answers in words whatever went wrong
        if not isinstance(exc, expected):
            log.warning("readiness probe %s failed", kind.__name__, exc_info=True)
        result = kind(ok=False, required=required, status=_words_for(exc, expected))
    return replace(result, ms=round((time.perf_counter() - started) * 1000, 1))


def skipped(kind: type[C], *, required: bool, because: str) -> C:
    return kind(ok=False, required=required, status=f"not checked: {because}")


# ---------------------------------------------------------------- the database


def database(engine: Engine) -> Check:
    def probe() -> Check:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return Check(ok=True, required=True, status="ok")

    return guarded(Check, probe, required=True, expected=DATABASE_ERRORS)


def migrations(engine: Engine) -> MigrationsCheck:
    def probe() -> MigrationsCheck:
        with engine.connect() as connection:
            current = database_heads(connection)
        head = script_heads()
        at, want = ",".join(current) or None, ",".join(head)
        if current == head:
            status = "at head"
        elif not current:
            status = f"not migrated: no revision applied, code at {want}"
        else:
            status = f"not at head: database at {at}, code at {want}"
        return MigrationsCheck(
            ok=current == head,
            required=True,
            status=status,
            database_revision=at,
            code_revision=want,
        )

    return guarded(MigrationsCheck, probe, required=True, expected=DATABASE_ERRORS)


# ---------------------------------------------------------------- Redis and what lives there


def redis_ping(redis: Redis) -> Check:
    def probe() -> Check:
        redis.ping()
        return Check(ok=True, required=True, status="ok")

    return guarded(Check, probe, required=True, expected=REDIS_ERRORS)


def queues(redis: Redis) -> QueuesCheck:
    def probe() -> QueuesCheck:
        depths = {}
        for name in QUEUES:
            queue = get_queue(name, connection=redis)
            # Read-only: counting does not sweep the registry (a worker does that).
            failed = FailedJobRegistry(queue=queue).get_job_count(cleanup=False)
            depths[name] = QueueDepth(queued=queue.count, failed=failed)
        waiting = sum(d.queued for d in depths.values())
        return QueuesCheck(ok=True, required=False, status=f"{waiting} queued", depths=depths)

    return guarded(QueuesCheck, probe, required=False, expected=REDIS_ERRORS)


def _ms_values(raw: list[bytes | str | None]) -> list[float]:
    return [int(value) / 1000 for value in raw if value]


def prices(redis: Redis, *, namespace: str, stale_after: float, now: float) -> PricesCheck:
    """The freshest of: the last fetch of the price cache (the REST path and the pages), and
    the moment up to which the watcher or the stream evaluated any asset's prices."""

    def probe() -> PricesCheck:
        moments = _ms_values([redis.get(fetched_key(namespace)), *redis.hvals(EVALUATED_KEY)])
        live = bool(redis.exists(STREAM_HEARTBEAT_KEY))
        if not moments:
            # A fresh instance, or one watching nothing: not a fault.
            return PricesCheck(ok=True, required=False, status="no price yet", stream_live=live)
        age = round(max(0.0, now - max(moments)), 1)
        fresh = age <= stale_after
        words = f"last price {age:g} s ago" if fresh else f"stale: last price {age:g} s ago"
        return PricesCheck(
            ok=fresh, required=False, status=words, age_seconds=age, stream_live=live
        )

    return guarded(PricesCheck, probe, required=False, expected=REDIS_ERRORS)


def scheduler(redis: Redis, *, now: float) -> SchedulerCheck:
    def probe() -> SchedulerCheck:
        beat = scheduler_beat(redis)
        held = bool(redis.exists(SCHEDULER_LOCK_KEY))
        if beat is None:
            return SchedulerCheck(
                ok=False, required=False, status="not running", running=False, lock_held=held
            )
        age = round(max(0.0, now - beat), 1)
        return SchedulerCheck(
            ok=True,
            required=False,
            status="running",
            running=True,
            beat_age_seconds=age,
            lock_held=held,
        )

    return guarded(SchedulerCheck, probe, required=False, expected=REDIS_ERRORS)


def workers(redis: Redis) -> WorkersCheck:
    def probe() -> WorkersCheck:
        # `Worker.all` leaves out the registered workers whose key expired (dead ones).
        live = len(Worker.all(connection=redis))
        words = f"{live} live" if live else "no live worker"
        return WorkersCheck(ok=live > 0, required=False, status=words, live=live)

    return guarded(WorkersCheck, probe, required=False, expected=REDIS_ERRORS)

"""The RQ worker and the rq-scheduler loop, as run by `up` or on their own in production."""

from __future__ import annotations

import importlib
import logging
import signal
import time
from types import FrameType

from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq_scheduler import Scheduler

from exstrat_app.infra.queue import (
    NOTIFY_QUEUE,
    QUEUES,
    CorrelatedJob,
    get_queue,
    mark_scheduler_alive,
)
from exstrat_app.infra.redis import get_redis
from exstrat_app.settings import Settings, get_settings
from jobs.schedule import SingleFlightScheduler, ensure_periodic_jobs

log = logging.getLogger(__name__)


# A worker that lost Redis is replaced after this pause, doubled up to the maximum while
# Redis stays away (reset once a worker has run for a while).
REDIS_PAUSE_SECONDS = 1.0
REDIS_PAUSE_MAX_SECONDS = 30.0


class _Worker(Worker):
    """Remembers a stop asked by a signal, as opposed to RQ giving up on its own; takes
    `notify` first and the other queues in turns (docs/watching.md)."""

    stop_asked = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def reorder_queues(self, reference_queue: Queue) -> None:
        # Called after every dequeue. RQ's default (always the first non-empty queue listed)
        # let a watch cycle queued at every tick starve `ingest` for good (a sync stuck
        # "queued"); plain round robin made an alert email wait behind a watch cycle and a
        # sync step. So: `notify` always first, the others rotate behind it.
        urgent = [q for q in self._ordered_queues if q.name == NOTIFY_QUEUE]
        others = [q for q in self._ordered_queues if q.name != NOTIFY_QUEUE]
        if reference_queue in others:
            turn = others.index(reference_queue) + 1
            others = others[turn:] + others[:turn]
        self._ordered_queues = urgent + others


# The job modules each queue's jobs live in (the others are imported by the job when it runs).
_JOB_MODULES = {"ingest": "jobs.ingest", "watch": "jobs.watch", "notify": "jobs.notify"}


def _preload_jobs(queues: list[str]) -> None:
    """Import the job modules (ccxt, the services) once in the worker: RQ forks a work-horse
    per job, and a horse inherits what its parent imported instead of spending ~2 s importing
    it again (which slowed every watch cycle). Only its queues' modules: `up`'s notify worker
    stays small."""
    for queue in queues:
        if queue in _JOB_MODULES:
            importlib.import_module(_JOB_MODULES[queue])


def run_worker(*, queues: list[str] | None = None, burst: bool = False) -> int:
    """Run an RQ worker until SIGTERM/SIGINT (or, with `burst`, until the queues are empty).

    When Redis goes away (a restart, a failover) RQ's work loop quits, or raises while it
    registers; without this loop the process would exit, and under `up` a Redis outage of
    a few seconds would use up the worker's restarts. Instead a new worker is started once
    Redis answers again (RQ's own scheduler of retries included).
    """
    names = queues or list(QUEUES)  # notify first, the others in turns (_Worker)
    _preload_jobs(names)
    connection = get_redis()
    pause = REDIS_PAUSE_SECONDS
    while True:
        worker = _Worker(
            [get_queue(n, connection=connection) for n in names],
            connection=connection,
            job_class=CorrelatedJob,
        )
        started = time.monotonic()
        try:
            worker.work(burst=burst, logging_level="WARNING", with_scheduler=True)
        except RedisError:
            if burst or worker.stop_asked:
                raise
            log.warning("worker %s lost Redis; starting a new one", worker.name, exc_info=True)
        else:
            if burst or worker.stop_asked:
                return 0
            log.warning("worker %s quit on an error; starting a new one", worker.name)
        if time.monotonic() - started > 10 * REDIS_PAUSE_MAX_SECONDS:
            pause = REDIS_PAUSE_SECONDS
        try:
            time.sleep(pause)
        except StopRequested:  # raised by RQ's signal handler, still installed
            return 0
        if worker.stop_asked:  # asked while the dead worker still looked busy
            return 0
        pause = min(pause * 2, REDIS_PAUSE_MAX_SECONDS)


def run_scheduler(*, interval: float = 1.0) -> int:
    """rq-scheduler's loop plus the repair of missing periodic jobs (after a Redis restart)."""
    settings = get_settings()
    connection = get_redis()
    scheduler = SingleFlightScheduler(queue_name="watch", connection=connection, interval=interval)
    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("scheduler started")
    while not stopping:
        try:
            scheduler_tick(scheduler, settings, interval)
        except Exception:
            log.warning("scheduler tick failed; retrying", exc_info=True)
        time.sleep(interval)
    return 0


def scheduler_tick(scheduler: Scheduler, settings: Settings, interval: float) -> None:
    """One turn of the scheduler loop: repair the schedule, move due jobs to their queues,
    and leave a sign of life that /api/ready reports."""
    added = ensure_periodic_jobs(scheduler, settings)
    if added:
        log.info("registered periodic jobs %s", added)
    if scheduler.acquire_lock():
        try:
            scheduler.enqueue_jobs()
        finally:
            scheduler.remove_lock()
    mark_scheduler_alive(scheduler.connection, interval)

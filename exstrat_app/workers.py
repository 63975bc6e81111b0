"""The RQ worker and the rq-scheduler loop, as run by `up` or on their own in production."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

from rq import Worker
from rq_scheduler import Scheduler

from exstrat_app.services.redis_conn import get_redis
from exstrat_app.settings import get_settings
from jobs import QUEUES, CorrelatedJob, get_queue
from jobs.schedule import ensure_periodic_jobs

log = logging.getLogger(__name__)


def run_worker(*, queues: list[str] | None = None, burst: bool = False) -> int:
    connection = get_redis()
    names = queues or list(QUEUES)
    worker = Worker(
        [get_queue(n, connection=connection) for n in names],
        connection=connection,
        job_class=CorrelatedJob,
    )
    worker.work(burst=burst, logging_level="WARNING", with_scheduler=True)
    return 0


def run_scheduler(*, interval: float = 1.0) -> int:
    """rq-scheduler's loop plus the repair of missing periodic jobs (after a Redis restart)."""
    settings = get_settings()
    connection = get_redis()
    scheduler = Scheduler(queue_name="watch", connection=connection, interval=interval)
    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("scheduler started")
    while not stopping:
        try:
            added = ensure_periodic_jobs(scheduler, settings)
            if added:
                log.info("registered periodic jobs %s", added)
            if scheduler.acquire_lock():
                try:
                    scheduler.enqueue_jobs()
                finally:
                    scheduler.remove_lock()
        except Exception:
            log.warning("scheduler tick failed; retrying", exc_info=True)
        time.sleep(interval)
    return 0

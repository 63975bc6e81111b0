"""The job queue adapter (RQ): queue names, RQ-legal job ids, enqueue-once (and once at a time,
for the periodic jobs), and the job class that carries a request's correlation id into the
worker.

Queues: `notify` (alert emails, channel sends), `watch` (price cycles, orders), `ingest`
(balances, trades, transfers), in the order the default worker takes them.
Job ids use only letters, digits, `_` and `-` (RQ rejects `:`).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq_scheduler import Scheduler

from exstrat_app.infra.logging import correlation_id, current_correlation_id, new_correlation_id
from exstrat_app.infra.redis import get_redis

# The default worker's queues, in the order it takes them: RQ always dequeues from the first
# non-empty queue listed. Alert emails and channel sends are small and time-critical: they go
# before the watch (a price cycle, an order) and the ingest (a sync step may run for minutes),
# so they never wait behind a backlog of either (docs/watching.md).
QUEUES = ("notify", "watch", "ingest")
NOTIFY_QUEUE = "notify"  # alert emails and channel sends: always taken first
# Job paths the services enqueue by name (services never import `jobs`): each is named once here.
SEND_NOTIFICATION_EMAIL_JOB = "jobs.notify.send_notification_email"
# An alert's fan-out to the user's channels (web push, Apprise), then one job per delivery.
FAN_OUT_CHANNELS_JOB = "jobs.notify.fan_out_channels"
SEND_CHANNEL_DELIVERY_JOB = "jobs.notify.send_channel_delivery"
CHANNEL_TEST_JOB = "jobs.notify.test_channel"  # (channel_id, token): a test send
INGEST_QUEUE = "ingest"  # the sync steps of exchange accounts
INGEST_STEP_JOB = "jobs.ingest.run_step"  # (account_id, step): one step, then the next
REFIGURE_JOB = "jobs.history.refigure_user"  # (user_id): positions + history in a new currency
HISTORY_JOB = "jobs.history.build_user_history"  # (user_id): issue 16's value history
ORDER_QUEUE = "watch"  # placing a triggered step's order is as urgent as the watch itself
ORDER_JOB = "jobs.orders.place_step_order"  # (step_id): issue 15's order execution
RESULT_TTL = 3600  # finished jobs leave Redis after an hour
FAILURE_TTL = 7 * 24 * 3600  # failures stay a week for the operator to read
# A started single-flight job this long past its timeout is abandoned (its worker died with it:
# a live worker would have stopped it at its timeout).
ABANDONED_AFTER = timedelta(seconds=60)
_WAITING_OR_RUNNING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)

# The scheduler process's sign of life: rq-scheduler's own lock is held only while a tick
# moves due jobs (milliseconds), so its absence says nothing; this key lives a few ticks.
SCHEDULER_BEAT_KEY = "scheduler:beat"
SCHEDULER_LOCK_KEY = Scheduler.scheduler_lock_key
BEAT_GRACE_SECONDS = 10  # as rq-scheduler's own keys: a few missed ticks before it expires

_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


def safe_job_id(*parts: object) -> str:
    """Join parts into an RQ-legal id (`ingest-binance-<id>-trades-0`)."""
    return "-".join(_SAFE_ID.sub("_", str(p)) for p in parts)


def get_queue(name: str, *, connection: Redis | None = None) -> Queue:
    if connection is None:
        connection = get_redis()
    return Queue(name, connection=connection, job_class=CorrelatedJob)


def enqueue_unique(
    queue: str,
    func: str,
    *args: Any,
    job_id: str,
    connection: Redis | None = None,
    retry: Retry | None = None,
    timeout: int = 3600,
) -> Job | None:
    """Enqueue once: while a job with this id exists, a second enqueue is a no-op (None)."""
    # The enqueuing request's correlation id follows the job into the worker's log lines.
    meta = {"correlation_id": current_correlation_id() or new_correlation_id()}
    try:
        return get_queue(queue, connection=connection).enqueue(
            func,
            *args,
            job_id=job_id,
            unique=True,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            job_timeout=timeout,
            retry=retry,
            meta=meta,
        )
    except DuplicateJobError:
        return None


def enqueue_single_flight(
    queue: str, func: str, *args: Any, job_id: str, timeout: int, connection: Redis
) -> Job | None:
    """Enqueue `job_id` unless it is waiting or running; None when skipped.

    For the periodic jobs: a tick that comes while the previous run still waits or works is
    dropped, not queued behind it, so a slow worker never finds copies piled up. The id is RQ's
    `unique` key, and RQ keeps a job's record after it ended (its result, its failure): an
    ended run, or one abandoned by a dead worker, is removed here so it does not block the
    next ticks. Only the scheduler (one at a time: it holds its lock) enqueues these ids."""
    if _waiting_or_running(connection, job_id, timeout):
        return None
    return enqueue_unique(queue, func, *args, job_id=job_id, connection=connection, timeout=timeout)


def _waiting_or_running(connection: Redis, job_id: str, timeout: int) -> bool:
    try:
        job = CorrelatedJob.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in _WAITING_OR_RUNNING:
        return True
    if status == JobStatus.STARTED and job.started_at is not None:
        started = job.started_at.replace(tzinfo=job.started_at.tzinfo or UTC)
        if datetime.now(UTC) - started < timedelta(seconds=timeout) + ABANDONED_AFTER:
            return True
    job.delete()  # ended (finished, failed, stopped) or abandoned: the next run replaces it
    return False


class CorrelatedJob(Job):
    """Runs with the correlation id of the request (or schedule tick) that enqueued it."""

    def perform(self) -> Any:
        token = correlation_id.set(self.meta.get("correlation_id") or new_correlation_id())
        try:
            return super().perform()
        finally:
            correlation_id.reset(token)


def mark_scheduler_alive(connection: Redis, interval: float) -> None:
    """Note that the scheduler loop turned (milliseconds since the epoch), for readiness."""
    ttl = int(interval) + BEAT_GRACE_SECONDS
    connection.set(SCHEDULER_BEAT_KEY, int(time.time() * 1000), ex=ttl)


def scheduler_beat(connection: Redis) -> float | None:
    """When the scheduler loop last turned (seconds since the epoch), None when it has not
    within its grace period."""
    raw = connection.get(SCHEDULER_BEAT_KEY)
    return int(raw) / 1000 if raw else None

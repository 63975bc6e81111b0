"""Periodic jobs registered with rq-scheduler, idempotently, and run one at a time.

The scheduler process calls `ensure_periodic_jobs` at start and on every loop,
so a Redis restart (which loses the schedule) is repaired within one interval.

rq-scheduler's own way pushes the registered job itself onto its queue at every tick, under
the same id, whether or not the previous push still waits: a worker slower than the interval
found 4 to 12 copies of `watch-prices` queued, and the `notify` queue starved behind them.
`SingleFlightScheduler` enqueues a run (`<id>-run`) instead, and only while no run of that
job waits or works (`infra.queue.enqueue_single_flight`): a late job skips ticks rather than
queueing them (docs/watching.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq.job import Job
from rq_scheduler import Scheduler
from rq_scheduler.utils import to_unix

from exstrat_app.infra.queue import enqueue_single_flight
from exstrat_app.settings import Settings


@dataclass(frozen=True)
class Periodic:
    job_id: str
    func: str
    queue: str
    interval: int

    @property
    def timeout(self) -> int:
        """How long one run may take before RQ stops it."""
        return job_timeout(self.interval)


def job_timeout(interval: int) -> int:
    return max(interval * 4, 60)


def run_id(job_id: str) -> str:
    """The id every run of a periodic job is enqueued under (at most one at a time)."""
    return f"{job_id}-run"


def watch_timeout(settings: Settings) -> int:
    """The watch cycle's timeout (its single-flight lock lasts as long: `jobs.watch`)."""
    return job_timeout(settings.price_poll_seconds)


# Not a setting: it only bounds how late a lost alert email can be (plus the sweep's 2-minute
# grace period), nothing an operator needs to tune.
EMAIL_SWEEP_SECONDS = 300
# How soon a filled order marks its step done (and an unconfirmed sale expires).
TRACK_ORDERS_SECONDS = 30


def periodic_jobs(settings: Settings) -> list[Periodic]:
    return [
        Periodic("watch-prices", "jobs.watch.watch_prices", "watch", settings.price_poll_seconds),
        Periodic("resync-accounts", "jobs.ingest.resync_all", "ingest", settings.resync_seconds),
        Periodic("sweep-emails", "jobs.notify.sweep_pending_emails", "notify", EMAIL_SWEEP_SECONDS),
        # Order execution (issue 15): open orders followed, lost order jobs queued again.
        Periodic("track-orders", "jobs.orders.track_orders", "watch", TRACK_ORDERS_SECONDS),
        Periodic(
            "sweep-channels", "jobs.notify.sweep_channel_deliveries", "notify", EMAIL_SWEEP_SECONDS
        ),
    ]


def ensure_periodic_jobs(scheduler: Scheduler, settings: Settings) -> list[str]:
    """Schedule every periodic job that is missing; returns the ids (re)registered."""
    added = []
    for periodic in periodic_jobs(settings):
        if periodic.job_id in scheduler:
            continue
        register(scheduler, periodic)
        added.append(periodic.job_id)
    return added


def register(scheduler: Scheduler, periodic: Periodic) -> None:
    """Schedule `periodic` every `interval` seconds from now (its first tick is due at once)."""
    scheduler.schedule(
        scheduled_time=datetime.now(UTC).replace(tzinfo=None),
        func=periodic.func,
        interval=periodic.interval,
        repeat=None,
        id=periodic.job_id,
        queue_name=periodic.queue,
        result_ttl=periodic.interval * 2,
        timeout=periodic.timeout,
    )


class SingleFlightScheduler(Scheduler):
    """rq-scheduler, except that a due periodic job enqueues a run of it only while none waits
    or works: at most one run queued or running per periodic job, whatever the worker's pace."""

    def enqueue_job(self, job: Job) -> None:
        interval = job.meta.get("interval")
        if not interval or job.meta.get("repeat") is not None or job.func_name is None:
            super().enqueue_job(job)  # not one of ours: rq-scheduler's own way
            return
        enqueue_single_flight(
            job.origin,
            job.func_name,
            *job.args,
            job_id=run_id(job.id),
            timeout=int(job.timeout or job_timeout(int(interval))),
            connection=self.connection,
        )
        # The next tick, as rq-scheduler schedules it (the registered job stays where it is).
        next_tick = to_unix(datetime.now(UTC)) + int(interval)
        self.connection.zadd(self.scheduled_jobs_key, {job.id: next_tick})

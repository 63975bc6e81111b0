"""Periodic jobs registered with rq-scheduler, idempotently.

The scheduler process calls `ensure_periodic_jobs` at start and on every loop,
so a Redis restart (which loses the schedule) is repaired within one interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq_scheduler import Scheduler

from exstrat_app.settings import Settings


@dataclass(frozen=True)
class Periodic:
    job_id: str
    func: str
    queue: str
    interval: int


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
        scheduler.schedule(
            scheduled_time=datetime.now(UTC).replace(tzinfo=None),
            func=periodic.func,
            interval=periodic.interval,
            repeat=None,
            id=periodic.job_id,
            queue_name=periodic.queue,
            result_ttl=periodic.interval * 2,
            timeout=max(periodic.interval * 4, 60),
        )
        added.append(periodic.job_id)
    return added

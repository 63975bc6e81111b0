"""The email sweeper: every alert that wants an email gets one, even if its job was lost.

The watcher enqueues `notify-email-{id}` after its commit, best effort. If Redis is down at
that moment, loses its data, or a SIGKILLed worker's job is moved to `failed` before the
final attempt could mark the row, the notification would stay `pending` forever. The
periodic `sweep-emails` job (`jobs.notify.sweep_pending_emails`) looks at pending rows old
enough that their first job must have run, and enqueues them again, or gives them up once
they have used every try.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification
from exstrat_app.services.notifications.delivery import (
    MAX_EMAIL_TRIES,
    SessionFactory,
    email_job_id,
    enqueue_email,
)

log = logging.getLogger(__name__)

# A row younger than this may still be between its commit and its enqueue (or its first job
# may simply not have been picked up yet): leave it to the watcher.
DEFAULT_MIN_AGE = timedelta(minutes=2)
DEFAULT_LIMIT = 500
# A job in one of these states will never run again; every other state (queued, started,
# scheduled for a retry, deferred...) means a try is on its way.
TERMINAL = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})


@dataclass
class SweepReport:
    pending: int = 0  # old-enough pending rows looked at
    requeued: int = 0
    still_in_flight: int = 0
    given_up: int = 0
    stopped: bool = False  # Redis or the database failed: the next sweep carries on

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "requeued": self.requeued,
            "still_in_flight": self.still_in_flight,
            "given_up": self.given_up,
            "stopped": self.stopped,
        }


def sweep_pending_emails(
    *,
    sessions: SessionFactory,
    redis: Redis,
    now: datetime | None = None,
    min_age: timedelta = DEFAULT_MIN_AGE,
    limit: int = DEFAULT_LIMIT,
) -> SweepReport:
    """Requeue the email of every old-enough pending notification that has no live job.

    Never raises on a Redis or database error (it runs as a periodic job): it logs, stops,
    and the next sweep starts again from the oldest pending row. Each row given up is
    committed on its own (a later failure must not undo it): hence a session factory.
    """
    report = SweepReport()
    cutoff = (now or utcnow()) - min_age
    try:
        with sessions() as session:
            rows = list(
                session.exec(
                    select(Notification.id, Notification.email_attempts)
                    .where(
                        col(Notification.email_status) == "pending",
                        col(Notification.created_at) <= cutoff,
                    )
                    .order_by(col(Notification.created_at), col(Notification.id))
                    .limit(limit)
                )
            )
    except SQLAlchemyError:
        log.warning("email sweep: could not read pending notifications", exc_info=True)
        report.stopped = True
        return report
    report.pending = len(rows)
    for notification_id, attempts in rows:
        try:
            outcome = _sweep_one(sessions, redis, notification_id, attempts)
        except RedisError:
            # Redis is down (again): every other row would fail the same way.
            log.warning("email sweep stopped: Redis unavailable", exc_info=True)
            report.stopped = True
            break
        except SQLAlchemyError:
            log.warning("email sweep stopped: database unavailable", exc_info=True)
            report.stopped = True
            break
        if outcome == "requeued":
            report.requeued += 1
        elif outcome == "in_flight":
            report.still_in_flight += 1
        elif outcome == "given_up":
            report.given_up += 1
    if report.requeued or report.given_up or report.stopped:
        log.info("email sweep: %s", report.as_dict())
    return report


def _sweep_one(sessions: SessionFactory, redis: Redis, notification_id: str, attempts: int) -> str:
    """One pending row: 'given_up', 'in_flight', 'requeued' or 'settled' (changed meanwhile)."""
    if attempts >= MAX_EMAIL_TRIES:
        # Every try was used but the last one never marked the row (its worker died).
        return "given_up" if _give_up(sessions, notification_id) else "settled"
    job_id = email_job_id(notification_id)
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        job = None  # never enqueued (Redis was down) or lost with Redis' data
    if job is not None:
        status = job.get_status(refresh=False)
        # A job hash without a status cannot run either: treat it as terminal.
        if status is not None and status not in TERMINAL:
            return "in_flight"
        # Terminal while the row is pending: the job ended without settling the row (or it
        # settled it just now; deliver_email then never sends twice). It must go, or the
        # unique enqueue below would be a no-op for as long as it is kept (a week if failed).
        job.delete()
    if not enqueue_email(redis, notification_id):
        raise RedisError(f"could not enqueue {job_id}")
    return "requeued"


def _give_up(sessions: SessionFactory, notification_id: str) -> bool:
    # Conditional: a try finishing right now may have marked it sent; that must stay.
    with sessions() as session:
        result = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == notification_id,
                col(Notification.email_status) == "pending",
                col(Notification.email_attempts) >= MAX_EMAIL_TRIES,
            )
            .values(email_status="failed")
        )
        session.commit()
    changed = result.rowcount == 1  # type: ignore[attr-defined]
    if changed:
        log.warning("email of notification %s failed: every try used", notification_id)
    return changed

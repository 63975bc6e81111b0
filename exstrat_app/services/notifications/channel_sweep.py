"""The channel sweeper: every alert reaches every channel its user had, even if a job was lost.

Like the email sweep (`sweep.py`): the watcher enqueues the fan-out after its commit, best
effort; Redis may be down then, lose its data, or a SIGKILLed worker may leave a delivery
`pending` with a job that ended. The periodic `sweep-channels` job looks at alerts and
deliveries old enough that their jobs must have run, and enqueues them again (or gives a
delivery up once it has used every try). Cheap: two indexed queries over the last day.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import and_, exists, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Channel, ChannelDelivery, Notification
from exstrat_app.services.notifications.channel_delivery import (
    MAX_CHANNEL_TRIES,
    delivery_job_id,
    enqueue_delivery,
    fan_out,
    fan_out_job_id,
)
from exstrat_app.services.notifications.delivery import SessionFactory
from exstrat_app.services.notifications.sweep import DEFAULT_MIN_AGE, TERMINAL

log = logging.getLogger(__name__)

# An alert older than this that never reached a channel is not worth sending any more.
LOOK_BACK = timedelta(days=1)
DEFAULT_LIMIT = 500


@dataclass
class ChannelSweepReport:
    fanned_out: int = 0  # alerts whose fan-out was lost, run again
    requeued: int = 0  # pending deliveries whose job was lost
    given_up: int = 0
    stopped: bool = False  # Redis or the database failed: the next sweep carries on

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _live(redis: Redis, job_id: str) -> bool:
    """Is a job with this id on its way (queued, started, scheduled for a retry...)?
    A terminal one is deleted, or the unique enqueue would be a no-op while it is kept."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status is not None and status not in TERMINAL:
        return True
    job.delete()
    return False


def sweep_channel_deliveries(
    *,
    sessions: SessionFactory,
    redis: Redis,
    now: datetime | None = None,
    min_age: timedelta = DEFAULT_MIN_AGE,
    limit: int = DEFAULT_LIMIT,
) -> ChannelSweepReport:
    """Run lost fan-outs and requeue lost deliveries; never raises on Redis/database errors."""
    report = ChannelSweepReport()
    moment = now or utcnow()
    cutoff = moment - min_age
    missing = ~exists().where(
        col(ChannelDelivery.notification_id) == col(Notification.id),
        col(ChannelDelivery.channel_id) == col(Channel.id),
    )
    try:
        with sessions() as session:
            lost_alerts = list(
                session.exec(
                    select(Notification.id)
                    .join(
                        Channel,
                        and_(
                            col(Channel.user_id) == col(Notification.user_id),
                            col(Channel.created_at) <= col(Notification.created_at),
                        ),
                    )
                    .where(
                        col(Notification.created_at) <= cutoff,
                        col(Notification.created_at) >= moment - LOOK_BACK,
                        missing,
                    )
                    .distinct()
                    .limit(limit)
                )
            )
            pending = list(
                session.exec(
                    select(ChannelDelivery.id, ChannelDelivery.attempts)
                    .where(
                        col(ChannelDelivery.status) == "pending",
                        col(ChannelDelivery.created_at) <= cutoff,
                    )
                    .order_by(col(ChannelDelivery.created_at))
                    .limit(limit)
                )
            )
        for notification_id in lost_alerts:
            if not _live(redis, fan_out_job_id(notification_id)):
                fan_out(sessions, redis, notification_id)
                report.fanned_out += 1
        for delivery_id, attempts in pending:
            if attempts >= MAX_CHANNEL_TRIES:
                report.given_up += _give_up(sessions, delivery_id)
            elif not _live(redis, delivery_job_id(delivery_id)):
                if not enqueue_delivery(redis, delivery_id):
                    raise RedisError("could not enqueue a channel delivery")
                report.requeued += 1
    except (RedisError, SQLAlchemyError):
        log.warning("channel sweep stopped: Redis or the database is unavailable", exc_info=True)
        report.stopped = True
    if report.fanned_out or report.requeued or report.given_up or report.stopped:
        log.info("channel sweep: %s", report.as_dict())
    return report


def _give_up(sessions: SessionFactory, delivery_id: str) -> int:
    # Conditional: a try finishing right now may have marked it sent; that must stay.
    with sessions() as session:
        result = session.execute(
            update(ChannelDelivery)
            .where(
                col(ChannelDelivery.id) == delivery_id,
                col(ChannelDelivery.status) == "pending",
                col(ChannelDelivery.attempts) >= MAX_CHANNEL_TRIES,
            )
            .values(status="failed", last_error="every try was used")
        )
        session.commit()
    return int(result.rowcount == 1)  # type: ignore[attr-defined]

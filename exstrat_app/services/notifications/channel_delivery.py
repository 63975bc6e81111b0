"""A fired alert on every channel of its user: the fan-out, then one try per delivery.

After the watcher's commit, `enqueue_fan_out` puts `notify-channels-{notification id}` on the
`notify` queue (best effort; the channel sweep catches a lost one). The fan-out writes one
`ChannelDelivery` per channel (unique per notification and channel: a second fan-out, or a
second fire attempt of the same step, adds nothing) and enqueues `notify-channel-{delivery
id}` for each, retried by RQ with backoff. A delivery counts its tries across every enqueue
(MAX_CHANNEL_TRIES in all), records the last error in words, and never touches the in-app
alert or the email: they are other rows and other jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from exstrat_app.infra.apprise_sender import AppriseFailed, AppriseRefused
from exstrat_app.infra.crypto import SecretBox, SecretUnreadable
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.queue import FAN_OUT_CHANNELS_JOB, SEND_CHANNEL_DELIVERY_JOB, enqueue_unique
from exstrat_app.infra.webpush import PushFailed, PushGone, PushRefused
from exstrat_app.models import Channel, ChannelDelivery, Notification
from exstrat_app.routes import strategy_href
from exstrat_app.services.notifications.channels import SendConfig, send_to_channel
from exstrat_app.services.notifications.delivery import SessionFactory

log = logging.getLogger(__name__)

# RQ `Retry` intervals (seconds) of a delivery job, and the tries a delivery gets in all.
CHANNEL_RETRY_INTERVALS = [5, 30, 120, 600]
MAX_CHANNEL_TRIES = 1 + len(CHANNEL_RETRY_INTERVALS)
CHANNEL_JOB_TIMEOUT = 20  # a send's own deadline is 15 s (infra/apprise_sender.py)
SETTLED = ("sent", "failed")


def fan_out_job_id(notification_id: str) -> str:
    return f"notify-channels-{notification_id}"


def delivery_job_id(delivery_id: str) -> str:
    return f"notify-channel-{delivery_id}"


def enqueue_fan_out(redis: Redis, notification_id: str) -> bool:
    """Enqueue the fan-out once; False if Redis failed (the channel sweep tries again)."""
    try:
        enqueue_unique(
            "notify",
            FAN_OUT_CHANNELS_JOB,
            notification_id,
            job_id=fan_out_job_id(notification_id),
            connection=redis,
            timeout=CHANNEL_JOB_TIMEOUT,
        )
    except RedisError:
        log.warning("could not enqueue the channel fan-out of notification %s", notification_id)
        return False
    return True


def enqueue_delivery(redis: Redis, delivery_id: str) -> bool:
    try:
        enqueue_unique(
            "notify",
            SEND_CHANNEL_DELIVERY_JOB,
            delivery_id,
            job_id=delivery_job_id(delivery_id),
            connection=redis,
            retry=Retry(max=len(CHANNEL_RETRY_INTERVALS), interval=CHANNEL_RETRY_INTERVALS),
            timeout=CHANNEL_JOB_TIMEOUT,
        )
    except RedisError:
        log.warning("could not enqueue channel delivery %s", delivery_id)
        return False
    return True


@contextmanager
def _transaction(sessions: SessionFactory) -> Iterator[Session]:
    with sessions() as session, session.begin():
        yield session


def create_deliveries(sessions: SessionFactory, notification_id: str) -> list[str]:
    """One pending delivery per channel the user had when the alert fired; returns the ids of
    the pending ones (new or left from an earlier fan-out), to enqueue."""
    with _transaction(sessions) as session:
        n = session.get(Notification, notification_id)
        if n is None:
            return []
        channels = session.exec(
            select(Channel.id).where(
                Channel.user_id == n.user_id, col(Channel.created_at) <= n.created_at
            )
        ).all()
        known = {
            channel_id: (delivery_id, status)
            for channel_id, delivery_id, status in session.exec(
                select(
                    ChannelDelivery.channel_id, ChannelDelivery.id, ChannelDelivery.status
                ).where(ChannelDelivery.notification_id == notification_id)
            )
        }
    pending = [delivery_id for delivery_id, status in known.values() if status == "pending"]
    for channel_id in channels:
        if channel_id in known:
            continue
        delivery = ChannelDelivery(notification_id=notification_id, channel_id=channel_id)
        delivery_id = delivery.id  # read before the commit expires the row
        try:
            with _transaction(sessions) as session:
                session.add(delivery)
            pending.append(delivery_id)
        except IntegrityError:
            # A concurrent fan-out wrote it first: the database keeps one per channel.
            log.info("delivery of %s to a channel already exists", notification_id)
    return pending


def fan_out(sessions: SessionFactory, redis: Redis, notification_id: str) -> int:
    """The fan-out job's work: the rows, then one job each. Returns the jobs enqueued."""
    return sum(
        enqueue_delivery(redis, delivery_id)
        for delivery_id in create_deliveries(sessions, notification_id)
    )


def _words(exc: Exception) -> str:
    return str(exc)[:300] or type(exc).__name__


def _settle(sessions: SessionFactory, delivery_id: str, status: str, error: str | None) -> None:
    values: dict[str, object] = {"status": status, "last_error": error}
    if status == "sent":
        values["sent_at"] = utcnow()
    with _transaction(sessions) as session:
        session.execute(
            update(ChannelDelivery)
            .where(col(ChannelDelivery.id) == delivery_id, col(ChannelDelivery.status) == "pending")
            .values(**values)
        )


def deliver(
    delivery_id: str,
    *,
    final_attempt: bool,
    sessions: SessionFactory,
    box: SecretBox,
    config: SendConfig,
) -> str:
    """One try of one delivery; returns its status. A failure is recorded and re-raised for
    the job's retry policy; the final try (or a gone subscription) marks it `failed`.
    The try is counted (committed) before sending, so a crash mid-send still shows."""
    with _transaction(sessions) as session:
        d = session.get(ChannelDelivery, delivery_id)
        if d is None or d.status in SETTLED:
            return d.status if d else "missing"
        if d.attempts >= MAX_CHANNEL_TRIES:
            d.status, d.last_error = "failed", d.last_error or "every try was used"
            session.add(d)
            return "failed"
        d.attempts += 1
        attempt = d.attempts
        session.add(d)
        channel = session.get(Channel, d.channel_id)
        n = session.get(Notification, d.notification_id)
        if channel is None or n is None:
            d.status, d.last_error = "failed", "the channel or the alert is gone"
            return "failed"
        session.expunge(channel)
        title, body, strategy_id = n.title, n.body, n.strategy_id
    url = strategy_href(strategy_id) if strategy_id else "/"
    try:
        send_to_channel(channel, box, config, title=title, body=body, url=url)
    except (PushGone, PushRefused, AppriseRefused, SecretUnreadable) as exc:
        # It will never work again: no retry (the person subscribes or adds it anew; a
        # destination the outbound guard refuses stays refused).
        _settle(sessions, delivery_id, "failed", _words(exc))
        return "failed"
    except (PushFailed, AppriseFailed) as exc:
        error = _words(exc)
        if final_attempt:
            _settle(sessions, delivery_id, "failed", error)
        else:
            _record_error(sessions, delivery_id, error)
        log.warning("channel delivery %s failed (try %s): %s", delivery_id, attempt, error)
        raise
    _settle(sessions, delivery_id, "sent", None)
    return "sent"


def _record_error(sessions: SessionFactory, delivery_id: str, error: str) -> None:
    with _transaction(sessions) as session:
        session.execute(
            update(ChannelDelivery)
            .where(col(ChannelDelivery.id) == delivery_id)
            .values(last_error=error)
        )

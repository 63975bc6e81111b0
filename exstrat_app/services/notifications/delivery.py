"""Alert email delivery: the `notify` job's enqueue, and one try of sending.

A step that triggers gets one `Notification` row, written in the watcher's transaction. Its
email is delivered later by an RQ job (`SEND_NOTIFICATION_EMAIL_JOB`, unique id
`notify-email-{id}`) that may be retried; whatever happens to the email, the in-app row stays.
`email_status`: pending -> sent | failed (after the last try), or skipped when the strategy does
not want email; `email_attempts` counts every try, across every enqueue of the job (the sweeper
enqueues lost ones again), so an email never gets more than MAX_EMAIL_TRIES.

Delivery commits on its own, step by step (the try is counted before the send, so a crash
mid-send still shows): it takes a session factory, not the caller's session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import update
from sqlmodel import Session, col

from exstrat_app.infra.mail import send_email
from exstrat_app.infra.queue import SEND_NOTIFICATION_EMAIL_JOB, enqueue_unique
from exstrat_app.models import Notification, Strategy, StrategyStep, User
from exstrat_app.services.notifications.wording import alert_facts, alert_title, email_text
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

# An email job's retries (RQ `Retry` intervals, seconds) and the tries an email gets in all,
# however many times its job is enqueued.
EMAIL_RETRY_INTERVALS = [5, 15, 60, 300, 900]
MAX_EMAIL_TRIES = 1 + len(EMAIL_RETRY_INTERVALS)
EMAIL_JOB_TIMEOUT = 120
# Statuses after which no try sends again (a duplicate or late retry never sends twice).
SETTLED = ("sent", "skipped", "failed")

SessionFactory = Callable[[], Session]
# How many steps a strategy's ladder has (the "of N" of an alert): a query of the strategies
# context, which this one never imports, so the job hands it in.
StepCount = Callable[[Session, str], int]


class Sender(Protocol):
    """Sends one plain-text email (`exstrat_app.infra.mail.send_email` in production)."""

    def __call__(self, *, to: str, subject: str, text: str, settings: Settings) -> object: ...


@dataclass(frozen=True)
class EmailContent:
    to: str
    subject: str
    text: str


def email_job_id(notification_id: str) -> str:
    return f"notify-email-{notification_id}"


def enqueue_email(redis: Redis, notification_id: str) -> bool:
    """Enqueue the email job unless one with its id exists; False if Redis failed (the
    periodic email sweep, `services.notifications.sweep`, enqueues it again later)."""
    try:
        enqueue_unique(
            "notify",
            SEND_NOTIFICATION_EMAIL_JOB,
            notification_id,
            job_id=email_job_id(notification_id),
            connection=redis,
            retry=Retry(max=len(EMAIL_RETRY_INTERVALS), interval=EMAIL_RETRY_INTERVALS),
            timeout=EMAIL_JOB_TIMEOUT,
        )
    except RedisError:
        log.warning("could not enqueue the email of notification %s", notification_id)
        return False
    return True


def email_content(
    session: Session, n: Notification, *, public_url: str, step_count: StepCount
) -> EmailContent | None:
    """What to send for a notification, rebuilt from the rows (None if its user is gone), in
    its user's language. Without its step (a stop-loss) it is the row's text, which was
    written in that language when the alert fired."""
    user = session.get(User, n.user_id)
    if user is None:
        return None
    step = session.get(StrategyStep, n.step_id) if n.step_id else None
    strategy = session.get(Strategy, n.strategy_id) if n.strategy_id else None
    if step is None or strategy is None or step.triggered_price is None:
        return EmailContent(to=user.email, subject=n.title, text=f"{n.body}\n")
    facts = alert_facts(
        strategy,
        step,
        step_total=step_count(session, strategy.id),
        last_price=step.triggered_price,
        public_url=public_url,
        locale=user.locale,
    )
    return EmailContent(to=user.email, subject=alert_title(facts), text=email_text(facts))


def deliver_email(
    notification_id: str,
    *,
    final_attempt: bool,
    sessions: SessionFactory,
    settings: Settings,
    step_count: StepCount,
    sender: Sender = send_email,
) -> str:
    """Send a notification's email once; returns the resulting email_status.

    The attempt is counted (and committed) before sending, so a crash mid-send still shows.
    On failure the error is re-raised for the job's retry policy; only the final attempt
    marks the notification `failed`. Already sent, skipped or failed: nothing happens.
    """
    with _transaction(sessions) as session:
        n = session.get(Notification, notification_id)
        if n is None or n.email_status in SETTLED:
            return n.email_status if n else "missing"
        if n.email_attempts >= MAX_EMAIL_TRIES:
            # A requeued job starts a fresh RQ retry budget; the email's own budget is spent.
            n.email_status = "failed"
            session.add(n)
            return "failed"
        n.email_attempts += 1
        session.add(n)
        content = email_content(session, n, public_url=settings.public_url, step_count=step_count)
    if content is None:
        _set_email_status(sessions, notification_id, "failed")
        return "failed"
    try:
        sender(to=content.to, subject=content.subject, text=content.text, settings=settings)
    except Exception:
        if final_attempt:
            _set_email_status(sessions, notification_id, "failed")
        raise
    _set_email_status(sessions, notification_id, "sent")
    return "sent"


@contextmanager
def _transaction(sessions: SessionFactory) -> Iterator[Session]:
    """One committed step of a delivery (rolled back if it raised)."""
    with sessions() as session, session.begin():
        yield session


def _set_email_status(sessions: SessionFactory, notification_id: str, status: str) -> None:
    with _transaction(sessions) as session:
        session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .values(email_status=status)
        )

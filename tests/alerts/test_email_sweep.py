"""The email sweeper: a pending alert email whose job was never enqueued or was lost is
enqueued again, once, and delivered through a real SMTP server by a real RQ worker."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from freezegun import freeze_time
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq_scheduler import Scheduler
from sqlmodel import Session, col, select

from exstrat_app.bootstrap import session_factory
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.queue import get_queue
from exstrat_app.models import Notification, StrategyStep
from exstrat_app.services.notifications.delivery import (
    MAX_EMAIL_TRIES,
    deliver_email,
    enqueue_email,
)
from exstrat_app.services.notifications.sweep import sweep_pending_emails
from exstrat_app.services.portfolio.prices import Quote
from exstrat_app.services.strategies import step_count
from exstrat_app.services.strategies.watcher import _fire_in_transaction, after_commit
from exstrat_app.settings import get_settings
from jobs.schedule import Periodic, ensure_periodic_jobs, periodic_jobs
from tests.alerts.conftest import SmtpServer, create_seed_strategy, free_port, run_worker

OLD = timedelta(minutes=3)  # older than the sweep's 2-minute grace period


def job_id(note_id: str) -> str:
    return f"notify-email-{note_id}"


def job_exists(redis: Redis, note_id: str) -> bool:
    return Job.exists(job_id(note_id), connection=redis)


def stored(engine: Any, note_id: str) -> Notification:
    with Session(engine) as s:
        note = s.get(Notification, note_id)
        assert note is not None
        return note


def pending_note(db: Any, user_id: str, *, age: timedelta = OLD, attempts: int = 0) -> str:
    """A pending notification as the watcher writes it (`age` old), with no email job."""
    note = Notification(
        user_id=user_id,
        title="ETH reached step 1 of 2",
        body="ETH/USDT is at 2250 USDT.",
        email_status="pending",
        email_attempts=attempts,
        created_at=utcnow() - age,
    )
    db.add(note)
    db.commit()
    return note.id


def dead_redis() -> Redis:
    """A Redis client pointed at a port nothing listens on: every command fails (at once:
    redis-py's default of 3 retries with backoff would only make the test slower)."""
    return Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )


def test_an_alert_whose_email_could_not_be_enqueued_is_emailed_by_the_sweep(
    engine: Any, db: Any, redis: Redis, alice: Any, seed_position: Any, smtp: SmtpServer
) -> None:
    strategy = create_seed_strategy(db, alice.id)
    with Session(engine) as s:
        step = s.exec(
            select(StrategyStep)
            .where(StrategyStep.strategy_id == strategy.id)
            .order_by(col(StrategyStep.position))
        ).first()
        assert step is not None
    # The watcher's own commit, then its after-commit step with Redis unreachable.
    quote = Quote(Decimal("2250.5"), utcnow())
    fired = _fire_in_transaction(engine, step.id, quote, public_url=get_settings().public_url)
    assert fired is not None
    after_commit(dead_redis(), fired)
    note_id = fired.notification_id
    assert stored(engine, note_id).email_status == "pending"
    assert not job_exists(redis, note_id)

    assert (
        sweep_pending_emails(sessions=session_factory(engine), redis=redis).requeued == 0
    )  # too young yet
    with freeze_time(utcnow() + timedelta(minutes=2, seconds=1)):
        report = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    assert (report.requeued, report.still_in_flight, report.given_up) == (1, 0, 0)
    run_worker(redis, ("notify",))

    [(recipients, mail)] = smtp.inbox.mails
    assert recipients == ["alice@example.com"]
    assert mail["Subject"] == "ETH reached step 1 of 2: sell 0.8 ETH"
    note = stored(engine, note_id)
    assert (note.email_status, note.email_attempts) == ("sent", 1)


def test_a_pending_email_younger_than_two_minutes_is_left_to_its_job(
    engine: Any, db: Any, redis: Redis, alice: Any
) -> None:
    note_id = pending_note(db, alice.id, age=timedelta(0))
    with freeze_time(utcnow() + timedelta(minutes=1, seconds=59)):
        report = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    assert (report.pending, report.requeued) == (0, 0)
    assert not job_exists(redis, note_id)
    assert get_queue("notify", connection=redis).count == 0
    assert stored(engine, note_id).email_status == "pending"


def test_sweeping_twice_enqueues_one_job_and_sends_one_email(
    engine: Any, db: Any, redis: Redis, alice: Any, smtp: SmtpServer
) -> None:
    note_id = pending_note(db, alice.id)
    first = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    second = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    assert (first.requeued, first.still_in_flight) == (1, 0)
    assert (second.requeued, second.still_in_flight) == (0, 1)  # the queued job is left alone
    assert get_queue("notify", connection=redis).job_ids == [job_id(note_id)]

    run_worker(redis, ("notify",))
    third = sweep_pending_emails(
        sessions=session_factory(engine), redis=redis
    )  # sent: nothing left to sweep
    assert (third.pending, third.requeued) == (0, 0)
    run_worker(redis, ("notify",))
    assert [r for r, _ in smtp.inbox.mails] == [["alice@example.com"]]
    assert (stored(engine, note_id).email_status, stored(engine, note_id).email_attempts) == (
        "sent",
        1,
    )


def test_a_pending_email_whose_job_failed_for_good_is_requeued_once(
    engine: Any, db: Any, redis: Redis, alice: Any, smtp: SmtpServer
) -> None:
    note_id = pending_note(db, alice.id, attempts=2)
    # Its job, moved to `failed` by RQ's abandoned-job cleanup (worker SIGKILLed mid-send):
    # the row was never marked, and the job's id blocks a plain unique enqueue for a week.
    assert enqueue_email(redis, note_id)
    notify = get_queue("notify", connection=redis)
    job = Job.fetch(job_id(note_id), connection=redis)
    notify.remove(job.id)
    job.set_status(JobStatus.FAILED)
    FailedJobRegistry(queue=notify).add(job, exc_string="AbandonedJobError")
    assert enqueue_email(redis, note_id) and notify.count == 0  # the no-op the sweep avoids

    first = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    second = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    assert (first.requeued, second.requeued, second.still_in_flight) == (1, 0, 1)
    assert notify.job_ids == [job_id(note_id)]
    assert job_id(note_id) not in FailedJobRegistry(queue=notify).get_job_ids()

    run_worker(redis, ("notify",))
    assert len(smtp.inbox.mails) == 1
    note = stored(engine, note_id)
    assert (note.email_status, note.email_attempts) == ("sent", 3)


def test_an_email_that_used_every_try_is_marked_failed_and_not_enqueued(
    engine: Any, db: Any, redis: Redis, alice: Any
) -> None:
    assert MAX_EMAIL_TRIES == 6  # 1 + the watcher's five retry intervals
    spent = pending_note(db, alice.id, attempts=6)
    one_left = pending_note(db, alice.id, attempts=5)
    report = sweep_pending_emails(sessions=session_factory(engine), redis=redis)
    assert (report.given_up, report.requeued) == (1, 1)
    note = stored(engine, spent)
    assert (note.email_status, note.email_attempts) == ("failed", 6)
    assert not job_exists(redis, spent)
    assert job_exists(redis, one_left)
    assert stored(engine, one_left).email_status == "pending"


def test_redis_down_during_the_sweep_raises_nothing_and_changes_nothing(
    engine: Any, db: Any, redis: Redis, alice: Any, caplog: pytest.LogCaptureFixture
) -> None:
    first = pending_note(db, alice.id)
    second = pending_note(db, alice.id, attempts=1)
    with caplog.at_level(logging.WARNING, logger="exstrat_app.services.notifications.sweep"):
        report = sweep_pending_emails(sessions=session_factory(engine), redis=dead_redis())
    assert report.stopped and (report.requeued, report.given_up) == (0, 0)
    assert "Redis unavailable" in caplog.text
    # Stopped at the first row: one warning, not one per row.
    assert caplog.text.count("email sweep stopped") == 1
    for note_id, attempts in ((first, 0), (second, 1)):
        note = stored(engine, note_id)
        assert (note.email_status, note.email_attempts) == ("pending", attempts)
        assert not job_exists(redis, note_id)
    # Redis is back: the next sweep picks both up.
    assert sweep_pending_emails(sessions=session_factory(engine), redis=redis).requeued == 2


def test_sweep_emails_is_a_periodic_job_and_its_job_delivers(
    engine: Any, db: Any, redis: Redis, alice: Any, smtp: SmtpServer
) -> None:
    settings = get_settings()
    sweep = Periodic("sweep-emails", "jobs.notify.sweep_pending_emails", "notify", 300)
    assert sweep in periodic_jobs(settings)
    scheduler = Scheduler(queue_name="watch", connection=redis)
    assert "sweep-emails" in ensure_periodic_jobs(scheduler, settings)
    assert "sweep-emails" in scheduler
    [scheduled] = [j for j in scheduler.get_jobs() if j.id == "sweep-emails"]
    assert (scheduled.origin, scheduled.meta["interval"]) == ("notify", 300)

    # The job itself, as the scheduler enqueues it, run by a real worker: it sweeps, and the
    # email job it enqueues runs in the same burst.
    note_id = pending_note(db, alice.id)
    get_queue("notify", connection=redis).enqueue("jobs.notify.sweep_pending_emails")
    run_worker(redis, ("notify",))
    assert [r for r, _ in smtp.inbox.mails] == [["alice@example.com"]]
    assert stored(engine, note_id).email_status == "sent"


def test_a_requeued_job_never_exceeds_the_emails_own_try_budget(
    engine: Any, db: Any, alice: Any, smtp: SmtpServer
) -> None:
    # A job enqueued again starts a fresh RQ retry budget; the row's count is what limits.
    note_id = pending_note(db, alice.id, attempts=MAX_EMAIL_TRIES)
    deliver = {
        "sessions": session_factory(engine),
        "settings": get_settings(),
        "step_count": step_count,
    }
    assert deliver_email(note_id, final_attempt=False, **deliver) == "failed"
    assert smtp.inbox.mails == []
    assert (stored(engine, note_id).email_status, stored(engine, note_id).email_attempts) == (
        "failed",
        MAX_EMAIL_TRIES,
    )
    # Once failed, a late retry does not send either.
    assert deliver_email(note_id, final_attempt=True, **deliver) == "failed"
    assert smtp.inbox.mails == []

"""Alert emails through a real SMTP server (aiosmtpd) and a real RQ worker, with retries."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from rq import Retry
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlmodel import Session, select

from exstrat_app.bootstrap import session_factory
from exstrat_app.infra.mail import parse_smtp_url, send_email
from exstrat_app.infra.queue import get_queue
from exstrat_app.models import Notification
from exstrat_app.services.notifications import inbox as notes
from exstrat_app.services.notifications.delivery import deliver_email
from exstrat_app.services.strategies import step_count
from exstrat_app.settings import get_settings
from simexchange import SimExchange
from tests.alerts.conftest import (
    SmtpServer,
    create_seed_strategy,
    enqueue_watch,
    expire_price_cache,
    free_port,
    run_worker,
)


def one_notification(engine: Any) -> Notification:
    with Session(engine) as s:
        return s.exec(select(Notification)).one()


def test_the_alert_email_reaches_the_user(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    smtp: SmtpServer,
) -> None:
    strategy = create_seed_strategy(db, alice.id)
    binance.set_price("ETH/USDT", "2250.5")
    enqueue_watch(redis)
    run_worker(redis)

    [(recipients, mail)] = smtp.inbox.mails
    assert recipients == ["alice@example.com"]
    assert mail["To"] == "alice@example.com"
    assert mail["From"] == "exstrat <alerts@example.org>"
    assert mail["Subject"] == "ETH reached step 1 of 2: sell 0.8 ETH"
    body = mail.get_payload(decode=True).decode()
    for line in (
        "Asset:            ETH",
        "Step:             1 of 2 (+10%)",
        "Target price:     $2,200.00",
        "Last price:       $2,250.50",
        "Quantity to sell: 0.8 ETH",
        f"http://localhost:3000/strategies/{strategy.id}",
    ):
        assert line in body
    note = one_notification(engine)
    assert (note.email_status, note.email_attempts) == ("sent", 1)


def test_an_smtp_outage_is_retried_and_the_in_app_alert_stays(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    settings_env: Any,
) -> None:
    port = free_port()  # nothing listens there yet: the SMTP server is "down"
    settings_env(SMTP_URL=f"smtp://127.0.0.1:{port}")
    create_seed_strategy(db, alice.id)
    binance.set_price("ETH/USDT", "2200")
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis)

    note = one_notification(engine)
    assert (note.email_status, note.email_attempts) == ("pending", 1)
    with Session(engine) as s:  # the in-app alert is there, unread, whatever the email does
        [listed] = notes.list_notifications(s, user_id=alice.id)
        assert listed.id == note.id and listed.read_at is None
        assert notes.unread_count(s, user_id=alice.id) == 1
    job = Job.fetch(f"notify-email-{note.id}", connection=redis)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == 4
    notify = get_queue("notify", connection=redis)
    registry = ScheduledJobRegistry(queue=notify)
    retry_at = registry.get_scheduled_time(job)
    assert 0 < (retry_at - job.ended_at).total_seconds() <= 6  # first interval: 5 s

    with SmtpServer(port) as server:  # the server is back; the retry (made due now) sends
        registry.remove(job)
        notify.enqueue_job(job)
        run_worker(redis, ("notify",))
        assert [r for r, _ in server.inbox.mails] == [["alice@example.com"]]
    note = one_notification(engine)
    assert (note.email_status, note.email_attempts) == ("sent", 2)


def test_the_last_failed_attempt_marks_the_email_failed(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any, settings_env: Any
) -> None:
    settings_env(SMTP_URL=f"smtp://127.0.0.1:{free_port()}")
    strategy = create_seed_strategy(db, alice.id)
    note = Notification(
        user_id=alice.id, strategy_id=strategy.id, title="t", body="b", email_status="pending"
    )
    db.add(note)
    db.commit()
    # Retries without intervals are requeued at once: the burst worker runs all three tries.
    get_queue("notify", connection=redis).enqueue(
        "jobs.notify.send_notification_email", note.id, retry=Retry(max=2)
    )
    run_worker(redis, ("notify",))
    db.expire_all()
    stored = db.get(Notification, note.id)
    assert (stored.email_status, stored.email_attempts) == ("failed", 3)


def test_a_sent_email_is_never_sent_again(engine: Any, db: Any, alice: Any) -> None:
    note = Notification(user_id=alice.id, title="t", body="b", email_status="sent")
    db.add(note)
    db.commit()
    calls: list[Any] = []
    status = deliver_email(
        note.id,
        final_attempt=True,
        sessions=session_factory(engine),
        settings=get_settings(),
        step_count=step_count,
        sender=lambda **kw: calls.append(kw),
    )
    assert status == "sent" and calls == []


def test_without_smtp_url_the_email_lands_in_the_outbox(outbox: Path) -> None:
    path = Path(send_email(to="bob@example.com", subject="Hello", text="Body text\n"))
    assert path.parent == outbox and path.suffix == ".eml"
    mail = message_from_bytes(path.read_bytes())
    assert (mail["To"], mail["Subject"]) == ("bob@example.com", "Hello")
    assert mail.get_payload(decode=True).decode() == "Body text\n"
    assert [p.name for p in outbox.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_smtp_url_forms() -> None:
    plain = parse_smtp_url("smtp://user%40x.org:p%3Ass@mail.example.org")
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.example.org",
        25,
        "user@x.org",
        "p:ss",
    )
    assert not plain.implicit_tls and not plain.starttls
    tls = parse_smtp_url("smtps://u:p@mail.example.org")
    assert (tls.port, tls.implicit_tls) == (465, True)
    upgrade = parse_smtp_url("smtp://mail.example.org?starttls=1")
    assert (upgrade.port, upgrade.starttls) == (587, True)
    assert parse_smtp_url("smtp://h:2525?starttls=true").port == 2525
    with pytest.raises(ValueError):
        parse_smtp_url("http://mail.example.org")

"""`DELETE /api/me`: the password (and a code with two-factor on) deletes every row of the
person in one transaction and nobody else's; the session dies with the account, a goodbye
email goes out, and the person's queued jobs do nothing (docs/account-data.md)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from exstrat_app.infra.queue import (
    CHANNEL_TEST_JOB,
    FAN_OUT_CHANNELS_JOB,
    HISTORY_JOB,
    INGEST_QUEUE,
    INGEST_STEP_JOB,
    ORDER_JOB,
    SEND_CHANNEL_DELIVERY_JOB,
    SEND_NOTIFICATION_EMAIL_JOB,
    enqueue_unique,
    get_queue,
)
from exstrat_app.models import (
    Channel,
    ChannelDelivery,
    ExchangeAccount,
    Notification,
    StrategyStep,
    User,
)
from exstrat_app.services.exchanges import scheduling
from exstrat_app.services.execution import placement
from exstrat_app.services.notifications import channel_delivery, channel_tests, delivery
from exstrat_app.services.portfolio.history import request_history_build
from tests.account.seed import add_shared_price, fill, row_counts, shared_counts, totp_code
from tests.alerts.conftest import run_worker
from tests.api.conftest import PASSWORD, sign_in

QUEUES = (INGEST_QUEUE, "watch", "notify")


def _delete(client: Any, body: dict[str, str] | None) -> Any:
    return client.request("DELETE", "/api/me", json=body)


def _goodbyes(outbox: Path, email: str) -> list[Any]:
    parsed = [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
              for p in sorted(outbox.glob("*.eml"))]  # fmt: skip
    return [m for m in parsed if m["To"] == email]


def test_deleting_removes_every_row_of_the_person_and_nobody_elses(
    db: Any, box: Any, client: Any, person: Any, outbox: Path
) -> None:
    ann, bob = person("ann"), person("bob")
    ann_id, bob_id = ann.id, bob.id
    seeded = fill(db, box, ann)
    fill(db, box, bob)
    add_shared_price(db)
    before = row_counts(db, ann_id)
    assert all(before.values()), f"the seed misses: {[t for t, n in before.items() if not n]}"
    bob_before, shared_before = row_counts(db, bob_id), shared_counts(db)
    token = sign_in(client, ann.id)

    answer = _delete(client, {"password": PASSWORD, "totpCode": totp_code(seeded)})

    assert answer.status_code == 204, answer.text
    assert set(row_counts(db, ann_id).values()) == {0}
    assert row_counts(db, bob_id) == bob_before
    assert shared_counts(db) == shared_before
    # The cookie is cleared, and the old one is dead anyway (its user is gone).
    assert 'exstrat_session=""' in answer.headers["set-cookie"]
    client.cookies.set("exstrat_session", token)
    assert client.get("/api/me").status_code == 401
    mails = _goodbyes(outbox, seeded.email)
    assert [m["Subject"] for m in mails] == ["Your exstrat account was deleted"]
    text = mails[0].get_content()
    assert "revoke" in text.lower() and seeded.secrets["api key"] not in text


def test_a_wrong_password_is_refused_and_nothing_is_deleted(
    db: Any, box: Any, client: Any, person: Any
) -> None:
    ann = person("ann")
    ann_id = ann.id
    seeded = fill(db, box, ann)
    before = row_counts(db, ann_id)
    sign_in(client, ann.id)

    wrong = _delete(client, {"password": "not my password", "totpCode": totp_code(seeded)})
    missing = _delete(client, {})
    no_body = _delete(client, None)

    assert wrong.status_code == 401
    assert set(wrong.json()["error"]["fields"]) == {"password"}
    assert missing.status_code == 422 and set(missing.json()["error"]["fields"]) == {"password"}
    assert no_body.status_code == 422 and "password" in no_body.json()["error"]["fields"]
    assert row_counts(db, ann_id) == before
    assert client.get("/api/me").status_code == 200


def test_with_two_factor_on_the_code_is_needed_too(
    db: Any, box: Any, client: Any, person: Any
) -> None:
    ann = person("ann")
    ann_id = ann.id
    seeded = fill(db, box, ann)
    before = row_counts(db, ann_id)
    sign_in(client, ann.id)

    no_code = _delete(client, {"password": PASSWORD})
    wrong_code = _delete(client, {"password": PASSWORD, "totpCode": "000000"})

    for refused in (no_code, wrong_code):
        assert refused.status_code == 401
        assert set(refused.json()["error"]["fields"]) == {"totpCode"}
    assert row_counts(db, ann_id) == before
    recovery = _delete(client, {"password": PASSWORD, "totpCode": seeded.recovery_codes[0]})
    assert recovery.status_code == 204, recovery.text
    assert set(row_counts(db, ann_id).values()) == {0}


def test_without_two_factor_the_password_is_enough(client: Any, person: Any, db: Any) -> None:
    ann = person("ann")
    ann_id = ann.id
    sign_in(client, ann.id)

    assert _delete(client, {"password": PASSWORD}).status_code == 204

    db.expire_all()
    assert db.get(User, ann_id) is None


def test_wrong_passwords_are_throttled_like_every_change_that_needs_it(
    client: Any, person: Any, db: Any
) -> None:
    ann = person("ann")
    ann_id = ann.id
    sign_in(client, ann.id)

    for _ in range(5):
        assert _delete(client, {"password": "guess"}).status_code == 401
    locked = _delete(client, {"password": PASSWORD})

    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    db.expire_all()
    assert db.get(User, ann_id) is not None


def test_the_shared_demo_account_cannot_be_deleted(client: Any, person: Any, db: Any) -> None:
    demo = person("demo")
    demo_id = demo.id
    demo.is_demo = True
    db.add(demo)
    db.commit()
    sign_in(client, demo.id)

    answer = _delete(client, {"password": PASSWORD})

    assert answer.status_code == 409
    db.expire_all()
    assert db.get(User, demo_id) is not None


def test_deleting_needs_a_session(client: Any) -> None:
    assert _delete(client, {"password": PASSWORD}).status_code == 401


def test_the_persons_queued_jobs_are_dropped(
    db: Any, box: Any, client: Any, person: Any, redis: Any
) -> None:
    ann = person("ann")
    ann_id = ann.id
    seeded = fill(db, box, ann, two_factor=False)
    account = db.get(ExchangeAccount, seeded.account_id)
    queued = scheduling.enqueue_step(redis, account, "balances")
    request_history_build(ann_id, redis=redis)
    history = f"history-{ann_id}"
    assert queued and Job.exists(queued, connection=redis) and Job.exists(history, redis)
    sign_in(client, ann_id)

    assert _delete(client, {"password": PASSWORD}).status_code == 204

    # Dropped once the deletion was committed (the ids name the account and the user).
    assert not Job.exists(queued, connection=redis)
    assert not Job.exists(history, connection=redis)
    run_worker(redis, QUEUES)
    assert set(row_counts(db, ann_id).values()) == {0}


def test_a_job_queued_after_the_deletion_finds_nothing_and_does_nothing(
    db: Any, box: Any, client: Any, person: Any, redis: Any, outbox: Path
) -> None:
    """A race: jobs about the person queued once the rows are gone (ids the deletion never
    saw) run, end without error, write nothing and send nothing."""
    ann = person("ann")
    ann_id = ann.id
    seeded = fill(db, box, ann, two_factor=False)
    step_id = db.execute(select(StrategyStep.id).where(
        StrategyStep.strategy_id == seeded.strategy_id)).scalars().first()  # fmt: skip
    notification_id = db.execute(select(Notification.id).where(
        Notification.user_id == ann_id)).scalar_one()  # fmt: skip
    delivery_id = db.execute(select(ChannelDelivery.id)).scalars().first()
    sign_in(client, ann_id)
    assert _delete(client, {"password": PASSWORD}).status_code == 204
    sent = len(list(outbox.glob("*.eml")))  # the goodbye

    late = [
        (INGEST_QUEUE, INGEST_STEP_JOB, (seeded.account_id, "balances")),
        (INGEST_QUEUE, HISTORY_JOB, (ann_id,)),
        ("watch", ORDER_JOB, (step_id,)),
        ("notify", SEND_NOTIFICATION_EMAIL_JOB, (notification_id,)),
        ("notify", FAN_OUT_CHANNELS_JOB, (notification_id,)),
        ("notify", SEND_CHANNEL_DELIVERY_JOB, (delivery_id,)),
    ]
    jobs = [enqueue_unique(queue, func, *args, job_id=f"late-{i}", connection=redis)
            for i, (queue, func, args) in enumerate(late)]  # fmt: skip
    run_worker(redis, QUEUES)

    assert [job.get_status(refresh=True).value for job in jobs] == ["finished"] * len(late)
    assert jobs[0].return_value() is False  # the sync step: no such account
    for queue in QUEUES:
        assert FailedJobRegistry(queue=get_queue(queue, connection=redis)).get_job_ids() == []
    assert set(row_counts(db, ann_id).values()) == {0}
    assert len(list(outbox.glob("*.eml"))) == sent


def test_every_kind_of_job_about_the_person_is_dropped(
    db: Any, box: Any, client: Any, person: Any, redis: Any
) -> None:
    """Orders (both phases), alert emails, channel fan-outs and deliveries, channel tests:
    enqueued by the services themselves, so a changed job id fails here."""
    ann = person("ann")
    ann_id = ann.id
    seeded = fill(db, box, ann, two_factor=False)
    step_id = db.execute(select(StrategyStep.id).where(
        StrategyStep.strategy_id == seeded.strategy_id)).scalars().first()  # fmt: skip
    notification_id = db.execute(select(Notification.id).where(
        Notification.user_id == ann_id)).scalar_one()  # fmt: skip
    delivery_id = db.execute(select(ChannelDelivery.id)).scalars().first()
    channel = db.execute(select(Channel).where(Channel.user_id == ann_id)).scalar_one()
    placement.enqueue_step_order(redis, step_id)
    placement.enqueue_step_order(redis, step_id, confirmed=True)
    delivery.enqueue_email(redis, notification_id)
    channel_delivery.enqueue_fan_out(redis, notification_id)
    channel_delivery.enqueue_delivery(redis, delivery_id)
    enqueue_unique("notify", CHANNEL_TEST_JOB, channel.id, channel.test_token, connection=redis,
                   job_id=channel_tests.test_job_id(channel.id, channel.test_token))  # fmt: skip
    queued = [job.id for name in ("watch", "notify")
              for job in get_queue(name, connection=redis).get_jobs()]  # fmt: skip
    assert len(queued) == 6
    sign_in(client, ann_id)

    assert _delete(client, {"password": PASSWORD}).status_code == 204

    assert [jid for jid in queued if Job.exists(jid, connection=redis)] == []

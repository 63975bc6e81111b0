"""The channel sweep: an alert whose fan-out was lost, or a delivery whose job was lost, still
reaches the channel, once; a delivery that used every try is given up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from exstrat_app.bootstrap import session_factory
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Channel, ChannelDelivery, Notification
from exstrat_app.services.notifications.channel_delivery import MAX_CHANNEL_TRIES
from exstrat_app.services.notifications.channel_sweep import sweep_channel_deliveries
from tests.alerts.channel_servers import LocalServer
from tests.alerts.conftest import create_seed_strategy, run_worker, sign_in


def old_alert(db: Any, user_id: str, strategy_id: str, *, minutes: int = 5) -> Notification:
    note = Notification(
        user_id=user_id,
        strategy_id=strategy_id,
        title="ETH reached step 1 of 2: sell 0.8 ETH",
        body="body",
        created_at=utcnow() - timedelta(minutes=minutes),
    )
    db.add(note)
    db.commit()
    return note


def test_a_lost_fan_out_and_a_lost_delivery_job_are_sent_once(
    engine: Any,
    db: Any,
    redis: Any,
    client: Any,
    alice: Any,
    seed_position: Any,
    allow_loopback: None,
) -> None:
    sign_in(client, alice.id)
    with LocalServer() as hook:
        channel = client.post("/api/channels", json={"url": f"json://127.0.0.1:{hook.port}/"})
        channel_id = channel.json()["id"]
        strategy = create_seed_strategy(db, alice.id)
        # The channel must predate the alert: backdate it (the alert fired 5 minutes ago).
        row = db.get(Channel, channel_id)
        row.created_at = utcnow() - timedelta(minutes=10)
        db.add(row)
        db.commit()
        lost = old_alert(db, alice.id, strategy.id)  # Redis was down: no fan-out ever ran
        too_young = old_alert(db, alice.id, strategy.id, minutes=0)  # still the watcher's

        sessions = session_factory(engine)
        report = sweep_channel_deliveries(sessions=sessions, redis=redis)
        assert (report.fanned_out, report.stopped) == (1, False)
        run_worker(redis, ("notify",))
        assert [r.json()["title"] for r in hook.received] == [lost.title]

        # A delivery left pending with no job (lost with Redis' data), old enough.
        second = old_alert(db, alice.id, strategy.id, minutes=4)
        stuck = ChannelDelivery(
            notification_id=second.id,
            channel_id=channel_id,
            attempts=1,
            created_at=utcnow() - timedelta(minutes=4),
        )
        spent = ChannelDelivery(
            notification_id=too_young.id,
            channel_id=channel_id,
            attempts=MAX_CHANNEL_TRIES,
            created_at=utcnow() - timedelta(minutes=3),
        )
        db.add(stuck)
        db.add(spent)
        db.commit()
        report = sweep_channel_deliveries(sessions=sessions, redis=redis)
        assert (report.fanned_out, report.requeued, report.given_up) == (0, 1, 1)
        run_worker(redis, ("notify",))
        assert len(hook.received) == 2

        # Nothing left to do: a third sweep sends nothing more.
        report = sweep_channel_deliveries(sessions=sessions, redis=redis)
        assert (report.fanned_out, report.requeued, report.given_up) == (0, 0, 0)
        run_worker(redis, ("notify",))
        assert len(hook.received) == 2
    with Session(engine) as s:
        rows = {d.notification_id: (d.status, d.attempts) for d in s.exec(select(ChannelDelivery))}
    assert rows == {
        lost.id: ("sent", 1),
        second.id: ("sent", 2),
        too_young.id: ("failed", MAX_CHANNEL_TRIES),
    }

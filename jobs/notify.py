"""Notification delivery jobs (queue `notify`): thin, their dependencies from the bootstrap."""

from __future__ import annotations

from typing import Any

from rq import get_current_job

from exstrat_app import bootstrap
from exstrat_app.services.notifications import channel_delivery, channel_sweep, channel_tests
from exstrat_app.services.notifications.channels import SendConfig
from exstrat_app.services.notifications.delivery import deliver_email
from exstrat_app.services.notifications.sweep import sweep_pending_emails as sweep
from exstrat_app.services.strategies import step_count


def send_notification_email(notification_id: str) -> str:
    """Email one alert. Enqueued with `Retry(max=5, interval=[5, 15, 60, 300, 900])`:
    an exception lets RQ retry; the last attempt marks the notification `failed`."""
    job = get_current_job()
    # RQ stores retries_left 0 as "no retries" (None): either way, no try comes after this one.
    final_attempt = job is None or not job.retries_left
    return deliver_email(
        notification_id,
        final_attempt=final_attempt,
        sessions=bootstrap.session_factory(),
        settings=bootstrap.settings(),
        step_count=step_count,
    )


def sweep_pending_emails() -> dict[str, Any]:
    """The periodic `sweep-emails`: enqueue again the email of every pending notification
    whose job was never enqueued or was lost. Redis and database errors are logged, not
    raised (the next sweep retries); returns a small report."""
    return sweep(sessions=bootstrap.session_factory(), redis=bootstrap.redis()).as_dict()


def fan_out_channels(notification_id: str) -> int:
    """One delivery row per channel of the alert's user, then one job each (web push, Apprise)."""
    return channel_delivery.fan_out(bootstrap.session_factory(), bootstrap.redis(), notification_id)


def send_channel_delivery(delivery_id: str) -> str:
    """Send one alert on one channel. Enqueued with `Retry` (channel_delivery's intervals):
    an exception lets RQ retry; the last attempt marks the delivery `failed`."""
    job = get_current_job()
    final_attempt = job is None or not job.retries_left
    return channel_delivery.deliver(
        delivery_id,
        final_attempt=final_attempt,
        sessions=bootstrap.session_factory(),
        box=bootstrap.secret_box(),
        config=SendConfig.from_settings(bootstrap.settings()),
    )


def sweep_channel_deliveries() -> dict[str, Any]:
    """The periodic `sweep-channels`: run again the channel fan-out of every recent alert that
    never reached a channel, and requeue lost deliveries; returns a small report."""
    return channel_sweep.sweep_channel_deliveries(
        sessions=bootstrap.session_factory(), redis=bootstrap.redis()
    ).as_dict()


def test_channel(channel_id: str, token: str) -> str:
    """A test send asked for on the Channels page or `POST /api/channels/{id}/test`."""
    return channel_tests.run_test(
        channel_id,
        token,
        sessions=bootstrap.session_factory(),
        box=bootstrap.secret_box(),
        config=SendConfig.from_settings(bootstrap.settings()),
    )

"""The exactly-once firing of a trailing step or a stop-loss, the watcher's pattern:
the Redis lock, then the conditional UPDATE and its rows in one transaction, commit, unlock,
then `watcher.after_commit` (live push, email, channels, order job)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.models import Notification, Strategy
from exstrat_app.services.strategies.watcher import STEP_LOCK_SECONDS, Fired, after_commit

log = logging.getLogger(__name__)

# Writes the claim and its rows; the notification, or None when the claim lost.
Write = Callable[[Session], Notification | None]


def fire_once(
    engine: Engine, redis: Redis, key: str, write: Write, *, step_id: str, stop: bool = False
) -> Fired | None:
    """The watcher's exactly-once pattern: Redis lock, `write` (the conditional UPDATE and
    its rows, None if it lost) in one transaction, commit, unlock, then `after_commit`."""
    token = acquire_lock(redis, key, STEP_LOCK_SECONDS)
    if token is None:
        return None
    try:
        with Session(engine, expire_on_commit=False) as session:
            notification = write(session)
            if notification is None:
                session.rollback()
                return None
            strategy = session.get(Strategy, notification.strategy_id)
            assert strategy is not None
            session.commit()
    finally:
        try:
            release_lock(redis, key, token)
        except RedisError:  # it expires anyway; the DB condition still guards the row
            log.warning("could not release %s", key)
    fired = Fired(
        step_id=step_id,
        strategy_id=strategy.id,
        user_id=strategy.user_id,
        notification_id=notification.id,
        notify_email=strategy.notify_email,
        notify_in_app=strategy.notify_in_app,
        notification=notification,
        execution_mode="alert" if stop else strategy.execution_mode,
    )
    after_commit(redis, fired)
    return fired

"""The composition root: builds the dependencies once per process for the three entry points
(Reflex states, the `/api` routes, the RQ jobs) and hands them to the services.

Services never reach for a global: they take a session (the caller owns the unit of work), a
session factory (the use cases that commit per page), a Redis connection, a secret box, a
price provider. This module is the one place that decides which real ones those are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.db.engine import get_engine
from exstrat_app.infra.redis import get_redis
from exstrat_app.settings import Settings, get_settings

SessionFactory = Callable[[], Session]


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    return get_engine()


def redis() -> Redis:
    return get_redis()


@lru_cache
def secret_box() -> SecretBox:
    return SecretBox(tuple(get_settings().encryption_keys()))


def session_factory(bind: Engine | None = None) -> SessionFactory:
    """New sessions on the app's engine, for use cases that commit per page (sync, rotation)."""
    target = bind or get_engine()
    return lambda: Session(target, expire_on_commit=False)


@contextmanager
def unit_of_work(bind: Engine | None = None) -> Iterator[Session]:
    """The caller's unit of work: the use cases inside only add and flush; this commits once
    at the end, or rolls everything back if anything raised."""
    with session_factory(bind)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

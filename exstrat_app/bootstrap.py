"""The composition root: builds the dependencies once per process for the three entry points
(Reflex states, the `/api` routes, the RQ jobs) and hands them to the services.

Services never reach for a global: they take a session (the caller owns the unit of work), a
session factory (the use cases that commit per page), a Redis connection, a secret box, a
price provider. This module is the one place that decides which real ones those are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from limits.storage import Storage, storage_from_string
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exstrat_app.infra import redis as redis_conn
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.db import engine as db_engine
from exstrat_app.services.auth import AuthThrottle, limits_storage_uri
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle
from exstrat_app.services.portfolio.prices import PriceProvider, default_provider
from exstrat_app.settings import Settings, get_settings

SessionFactory = Callable[[], Session]

log = logging.getLogger(__name__)


def settings() -> Settings:
    return get_settings()


# Through the modules, not names imported from them: a test that swaps the adapter's engine
# (a database outage) or Redis swaps it for every entry point at once.
def engine() -> Engine:
    return db_engine.get_engine()


def redis() -> Redis:
    return redis_conn.get_redis()


def probe_redis() -> Redis:
    """Redis for the readiness probe: it gives up within a second instead of hanging."""
    return redis_conn.get_probe_redis()


def redis_address() -> str:
    """Where Redis is, for the clients that open their own connection (the async push relay)."""
    return redis_conn.redis_url()


def price_provider() -> PriceProvider:
    """Last prices as `PRICE_PROVIDER` configures them, cached in the app's Redis. Built per
    call (no I/O) so a test that changes the settings gets a provider that follows them."""
    return default_provider(redis(), get_settings())


def secret_box() -> SecretBox:
    """Built per call (cheap): follows the settings, so a key rotation test sees its new keys."""
    return SecretBox.from_settings()


@lru_cache
def limits_storage() -> Storage:
    """The rate limits' shared storage (Redis), for the auth throttle and the API's limit."""
    return storage_from_string(limits_storage_uri(redis_conn.redis_url()))  # type: ignore[return-value]


@lru_cache
def auth_throttle() -> AuthThrottle:
    try:
        return AuthThrottle(limits_storage(), per_ip=settings().auth_per_ip)
    except ValueError:  # an unreadable EXSTRAT_AUTH_PER_IP: the safe default, said once
        log.error("EXSTRAT_AUTH_PER_IP is not a rate such as 20/5minute: using the default")
        return AuthThrottle(limits_storage())


@lru_cache
def password_throttle() -> SensitivePasswordThrottle:
    """Wrong passwords at the changes that ask for it again, in the same storage."""
    return SensitivePasswordThrottle(limits_storage())


def session_factory(bind: Engine | None = None) -> SessionFactory:
    """New sessions on the app's engine, for use cases that commit per page (sync, rotation)."""
    target = bind or engine()
    return lambda: Session(target, expire_on_commit=False)


@contextmanager
def unit_of_work(bind: Engine | None = None) -> Iterator[Session]:
    """The caller's unit of work: the use cases inside only add and flush; this commits once
    at the end, or rolls everything back if anything raised."""
    with db_engine.session_scope(bind or engine()) as session:
        yield session

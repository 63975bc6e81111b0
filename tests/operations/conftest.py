"""Fixtures for the load balancer's probes: the alert tests' API client and settings, and
ways to put a dead or silent dependency behind /api/ready."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.alerts.conftest import client, settings_env  # noqa: F401


@pytest.fixture
def fresh_ready(client: Any) -> Any:  # noqa: F811
    """The client, with /api/ready checking again on every call (no one-second reuse)."""
    from exstrat_app.api.operations import readiness_memo
    from exstrat_app.services.operations.health import RecentReadiness

    memo = RecentReadiness(ttl=0)
    client.app.dependency_overrides[readiness_memo] = lambda: memo
    return client


@pytest.fixture
def use_parts(client: Any) -> Callable[..., None]:  # noqa: F811
    """Put another engine and/or Redis behind /api/ready (the route's own dependencies)."""
    from exstrat_app.api.operations import probe_engine, probe_redis

    def _use(*, engine: Any = None, redis: Any = None) -> None:
        if engine is not None:
            client.app.dependency_overrides[probe_engine] = lambda: engine
        if redis is not None:
            client.app.dependency_overrides[probe_redis] = lambda: redis

    return _use


@pytest.fixture
def closed_port() -> int:
    """A local TCP port nothing listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A local TCP port that takes connections (the kernel's backlog) but never answers: a
    hung server. Closing it at the end resets the waiting connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])

"""Liveness, and the doors every probe passes: any Host, no rate limit, no credentials read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from exstrat_app.api.request_guard import HEALTH_PATH, READY_PATH


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("liveness must not touch the database or Redis")


def test_health_answers_with_neither_database_nor_redis(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exstrat_app import bootstrap
    from exstrat_app.infra import redis as redis_conn
    from exstrat_app.infra.db import engine as db_engine

    for module, name in [
        (bootstrap, "engine"),
        (bootstrap, "redis"),
        (bootstrap, "probe_redis"),
        (bootstrap, "unit_of_work"),
        (db_engine, "get_engine"),
        (redis_conn, "get_redis"),
        (redis_conn, "get_probe_redis"),
    ]:
        monkeypatch.setattr(module, name, _refuse)
    answer = client.get(HEALTH_PATH)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer.headers["cache-control"] == "no-store"


@pytest.fixture
def balancer(settings_env: Callable[..., None]) -> Iterator[Any]:
    """The API as a load balancer reaches it: by the instance's IP, with a tight limit."""
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api

    settings_env(EXSTRAT_API_RATE_LIMIT="2/minute")  # read by create_api
    with TestClient(create_api(), base_url="http://10.20.30.40:3000") as c:
        yield c


def test_probes_answer_any_host_and_are_not_rate_limited(
    balancer: Any, redis: Any, db: Any
) -> None:
    for _ in range(5):
        assert balancer.get(HEALTH_PATH).status_code == 200
        assert balancer.get(READY_PATH).status_code == 200
    # The rest of /api still refuses this Host (DNS rebinding), and ready says nothing of it.
    refused = balancer.get("/api/me")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_host"
    assert "10.20.30.40" not in balancer.get(READY_PATH).text
    # ...and the limit is on for the rest of /api from this same address.
    answers = [balancer.get("/api/me", headers={"Host": "testserver"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]


def test_a_probe_reads_no_credentials(client: Any, redis: Any) -> None:
    from exstrat_app.api.operations import ProbeCredentialsMiddleware

    bogus = {"Authorization": "Bearer exs_not-a-token", "Cookie": "exstrat_session=forged"}
    assert client.get(HEALTH_PATH, headers=bogus).status_code == 200
    assert client.get(READY_PATH, headers=bogus).status_code == 200
    # Elsewhere the same token is looked up and refused.
    assert client.get("/api/portfolio", headers=bogus).status_code == 401
    assert any(m.cls is ProbeCredentialsMiddleware for m in client.app.user_middleware)


def test_the_probes_are_documented_in_openapi(client: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths[HEALTH_PATH]) == {"get"}
    assert {"200", "503"} <= set(paths[READY_PATH]["get"]["responses"])

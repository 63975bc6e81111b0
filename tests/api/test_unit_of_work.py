"""The API's session dependency is the request's unit of work (api.deps.SessionDep).

Use cases only add and flush; the dependency commits once when the route has returned and
rolls back when it raised. The commit runs before the response is sent, so a commit that
fails is the request's 500, never a 200 for data that was not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from exstrat_app.api.deps import SessionDep
from exstrat_app.api.errors import install_error_handlers
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken
from exstrat_app.services.errors import InvalidInput


def _row(jti: str) -> RevokedToken:
    return RevokedToken(jti=jti, expires_at=utcnow() + timedelta(hours=1))


@pytest.fixture
def app_client(db: Any) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/api/rows/{jti}")
    def add_row(jti: str, session: SessionDep) -> dict[str, str]:
        session.add(_row(jti))
        return {"jti": jti}

    @app.post("/api/rows/{jti}/then-fail")
    def add_row_then_fail(jti: str, session: SessionDep) -> dict[str, str]:
        session.add(_row(jti))
        session.flush()
        raise InvalidInput("refused after the write", fields={"jti": "refused"})

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _stored(db: Any, jti: str) -> bool:
    db.expire_all()
    return db.get(RevokedToken, jti) is not None


def test_a_route_that_returns_is_committed(app_client, db):
    resp = app_client.post("/api/rows/kept")
    assert resp.status_code == 200
    assert _stored(db, "kept")


def test_a_route_that_raises_is_rolled_back(app_client, db):
    resp = app_client.post("/api/rows/dropped/then-fail")
    assert resp.status_code == 422
    assert resp.json()["error"]["fields"] == {"jti": "refused"}
    assert not _stored(db, "dropped")


def test_a_failed_commit_is_a_500_not_a_200(app_client, db):
    db.add(_row("taken"))
    db.commit()
    # The duplicate key only surfaces at the commit, after the route has returned.
    resp = app_client.post("/api/rows/taken")
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "internal"

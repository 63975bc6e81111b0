"""When Redis or the database cannot be reached, /api answers 503 in words (the request was
fine, the server is not), never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from limits.storage import storage_from_string

from exstrat_app import bootstrap
from exstrat_app.api.errors import UNAVAILABLE
from exstrat_app.services.auth import AuthThrottle


def test_a_sign_up_while_redis_is_down_is_a_503_with_words(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = storage_from_string("redis://127.0.0.1:1/0?socket_connect_timeout=0.2")
    monkeypatch.setattr(bootstrap, "auth_throttle", lambda: AuthThrottle(dead))  # type: ignore[arg-type]
    answer = client.post(
        "/api/auth/signup", json={"email": "down@example.com", "password": "x" * 20}
    )
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == {"code": "unavailable", "message": UNAVAILABLE, "fields": {}}
    assert answer.headers["Retry-After"] == "5"

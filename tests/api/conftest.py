"""HTTP tests of the /api: a TestClient on a clean database and Redis per test.

bcrypt at cost 12 takes ~0.25 s per hash or check, so users are inserted with a hash
computed once per password (`make_user`), and most tests sign in by minting a session
token (`sign_in`) instead of going through /api/auth/login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import pytest
from fastapi.testclient import TestClient

BASE_URL = "http://testserver"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def set_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str | None], None]]:
    """`set_env(name, value)`: set (None: remove) a variable and have `Settings` read it.

    The settings are built once per process, so the cache is emptied on every change and
    once more at the end; monkeypatch then puts the environment back.
    """
    from exstrat_app.settings import get_settings

    def _set(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield _set
    get_settings.cache_clear()


@lru_cache
def password_hash(password: str) -> str:
    from exstrat_app.services.auth import hash_password

    return hash_password(password)


@pytest.fixture
def client(db: Any, redis: Any) -> Iterator[TestClient]:
    """A same-origin browser-like client (sends `Origin: http://testserver`)."""
    from exstrat_app.api import create_api

    with TestClient(create_api(), base_url=BASE_URL, headers={"Origin": BASE_URL}) as c:
        yield c


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from exstrat_app.models import User

    def _make(email: str = "alice@example.com", password: str = PASSWORD) -> User:
        user = User(email=email, password_hash=password_hash(password))
        db.add(user)
        db.commit()
        return user

    return _make


def sign_in(client: TestClient, user_id: str) -> str:
    """Give the client a valid session cookie without spending a bcrypt check."""
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.settings import get_settings

    token = issue_session_token(get_settings(), user_id=user_id)
    client.cookies.set("exstrat_session", token)
    return token


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def signup_and_login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """The full path a user takes: sign up, then log in (the client keeps the cookie)."""
    created = client.post("/api/auth/signup", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    logged_in = login(client, email, password)
    assert logged_in.status_code == 200, logged_in.text
    return logged_in.json()


def set_cookie_attrs(response: Any, name: str = "exstrat_session") -> dict[str, str]:
    """The attributes of the Set-Cookie header for `name` (lower-cased keys; value under '')."""
    for header in response.headers.get_list("set-cookie"):
        first, *attrs = [part.strip() for part in header.split(";")]
        key, _, value = first.partition("=")
        if key != name:
            continue
        parsed = {"": value}
        for attr in attrs:
            k, _, v = attr.partition("=")
            parsed[k.lower()] = v
        return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers}")

"""The account data tests share the alerts' fixtures (API client, Redis, the email outbox):
one definition, re-exported here so pytest finds them beside these tests. A person here has
a real password (bcrypt, hashed once per run: tests/api/conftest.py `password_hash`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.alerts.conftest import client, outbox, settings_env  # noqa: F401
from tests.api.conftest import PASSWORD, password_hash


@pytest.fixture
def box() -> Any:
    from exstrat_app import bootstrap

    return bootstrap.secret_box()


@pytest.fixture
def person(db: Any) -> Callable[[str], Any]:
    """`person("ann")`: a confirmed user with an address of their own and `PASSWORD`."""
    from exstrat_app.models import User

    def _make(name: str) -> Any:
        user = User(email=f"{name}-{uuid.uuid4().hex[:8]}@example.com",
                    password_hash=password_hash(PASSWORD))  # fmt: skip
        db.add(user)
        db.commit()
        return user

    return _make

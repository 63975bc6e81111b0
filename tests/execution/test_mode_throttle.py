"""Changing the execution mode asks for the password again, and wrong passwords there are
throttled like sign-in: 5 wrong tries in 15 minutes -> 429 with a clear message, even for the
right password, until the window frees up; a right password before that clears the count.
(The same window covers every change that asks for the password: test_sensitive_password.)"""

from __future__ import annotations

from typing import Any

import pytest

from exstrat_app.models import Strategy
from simexchange import SimExchange
from tests.alerts.conftest import client, sign_in  # noqa: F401 (fixture)
from tests.execution.conftest import seed_strategy
from tests.execution.test_confirm import PASSWORD, with_password

WRONG = {"mode": "confirm", "password": "nope"}
RIGHT = {"mode": "confirm", "password": PASSWORD}


@pytest.fixture
def mode_url(
    db: Any, sim: SimExchange, alice: Any, account: Any, trading_key: Any,
    client: Any,  # noqa: F811
) -> str:  # fmt: skip
    """Alice signed in, with a password and an alert-mode strategy: its mode route."""
    with_password(db, alice)
    strategy = seed_strategy(db, alice.id, account.id, "alert")
    sign_in(client, alice.id)
    return f"/api/strategies/{strategy.id}/execution"


def test_five_wrong_passwords_lock_the_mode_change_with_a_429(
    db: Any, client: Any, mode_url: str,  # noqa: F811
) -> None:  # fmt: skip
    url = mode_url

    for _ in range(5):
        assert client.put(url, json=WRONG).status_code == 401
    locked = client.put(url, json=RIGHT)  # even the right one, until the window frees up

    assert locked.status_code == 429
    assert locked.json()["error"]["message"] == (
        "Too many wrong passwords: changes that need your password are locked for 15 minutes. "
        "Nothing was changed; try again later."
    )
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    db.expire_all()
    assert db.get(Strategy, url.split("/")[3]).execution_mode == "alert"


def test_a_right_password_clears_the_count(
    db: Any, client: Any, mode_url: str,  # noqa: F811
) -> None:  # fmt: skip
    url = mode_url

    for _ in range(4):
        assert client.put(url, json=WRONG).status_code == 401
    assert client.put(url, json=RIGHT).status_code == 200
    for _ in range(4):
        assert client.put(url, json=WRONG).status_code == 401
    assert client.put(url, json={**RIGHT, "mode": "auto"}).status_code == 200

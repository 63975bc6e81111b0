"""The changes that can move money or lock the owner out ask for the password again, over
the API: adding or replacing a trading key, removing it (the password in a JSON body on the
DELETE), the guardrails, setting up two-factor sign-in. None given -> 422 on the password
field, wrong -> 401; and the wrong ones count in ONE window per user with the mode change:
5 of them, spread over the routes, lock every route (429 with Retry-After), even for the
right password. The right password works."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from exstrat_app.models import ExecutionSettings, TradingKey, User
from exstrat_app.services.auth.reauth import PASSWORD_REQUIRED, WRONG_PASSWORD
from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, SimExchange
from tests.alerts.conftest import client, sign_in  # noqa: F401 (fixture)
from tests.execution.conftest import seed_strategy
from tests.execution.test_confirm import PASSWORD, with_password

KEY = {"apiKey": BINANCE_TRADING_KEY, "apiSecret": BINANCE_TRADING_SECRET}
LOCKED = (
    "Too many wrong passwords: changes that need your password are locked for 15 minutes. "
    "Nothing was changed; try again later."
)


def routes(account_id: str, strategy_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body without the password) of every change that asks for it."""
    return [
        ("PUT", f"/api/exchanges/{account_id}/trading-key", KEY),
        ("DELETE", f"/api/exchanges/{account_id}/trading-key", {}),
        ("PUT", "/api/execution/settings", {"killSwitch": True}),
        ("POST", "/api/auth/totp/enrol", {}),
        ("PUT", f"/api/strategies/{strategy_id}/execution", {"mode": "confirm"}),
    ]


@pytest.fixture
def signed_in(
    db: Any, sim: SimExchange, alice: Any, account: Any, trading_key: Any,
    client: Any,  # noqa: F811
) -> list[tuple[str, str, dict[str, Any]]]:  # fmt: skip
    """Alice signed in, with a password, a trading key and an alert-mode strategy: the
    routes to try."""
    with_password(db, alice)
    strategy = seed_strategy(db, alice.id, account.id, "alert")
    sign_in(client, alice.id)
    return routes(account.id, strategy.id)


def nothing_changed(db: Any, user_id: str) -> bool:
    db.expire_all()
    user = db.get(User, user_id)
    settings = db.get(ExecutionSettings, user_id)
    return (
        len(db.exec(select(TradingKey)).all()) == 1  # the fixture's key, neither gone nor new
        and (settings is None or not settings.kill_switch)
        and user.totp_secret_enc is None
    )


def test_every_route_refuses_without_the_password_and_with_a_wrong_one(
    db: Any, alice: Any, signed_in: list[Any], client: Any,  # noqa: F811
) -> None:  # fmt: skip
    for method, path, body in signed_in:
        missing = client.request(method, path, json=body)
        assert missing.status_code == 422, (path, missing.text)
        assert missing.json()["error"]["fields"] == {"password": PASSWORD_REQUIRED}

        wrong = client.request(method, path, json={**body, "password": "not it"})
        assert wrong.status_code == 401, (path, wrong.text)
        assert wrong.json()["error"]["message"] == WRONG_PASSWORD
        assert wrong.json()["error"]["fields"] == {"password": WRONG_PASSWORD}
    assert nothing_changed(db, alice.id)


def test_five_wrong_passwords_across_the_routes_lock_them_all(
    db: Any, alice: Any, signed_in: list[Any], client: Any,  # noqa: F811
) -> None:  # fmt: skip
    for method, path, body in signed_in:  # one wrong try on each of the five
        wrong = client.request(method, path, json={**body, "password": "not it"})
        assert wrong.status_code == 401, (path, wrong.text)

    for method, path, body in signed_in:  # now even the right one waits
        locked = client.request(method, path, json={**body, "password": PASSWORD})
        assert locked.status_code == 429, (path, locked.text)
        assert locked.json()["error"]["message"] == LOCKED
        assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert nothing_changed(db, alice.id)


def test_the_right_password_makes_each_change(
    db: Any, alice: Any, account: Any, signed_in: list[Any], client: Any,  # noqa: F811
) -> None:  # fmt: skip
    key_url = f"/api/exchanges/{account.id}/trading-key"
    removed = client.request("DELETE", key_url, json={"password": PASSWORD})
    assert removed.status_code == 204, removed.text
    assert db.exec(select(TradingKey)).all() == []

    added = client.put(key_url, json={**KEY, "password": PASSWORD})
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "ok"

    guarded = client.put(
        "/api/execution/settings",
        json={"killSwitch": True, "dailyCap": "1000", "password": PASSWORD},
    )
    assert guarded.status_code == 200, guarded.text
    assert (guarded.json()["killSwitch"], guarded.json()["dailyCap"]) == (True, "1000")

    enrolled = client.post("/api/auth/totp/enrol", json={"password": PASSWORD})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["otpauthUri"].startswith("otpauth://totp/exstrat:")
    assert client.get("/api/me").status_code == 200  # the session that asked stays


def test_another_users_account_is_not_found_before_the_password_is_counted(
    db: Any, sim: SimExchange, alice: Any, account: Any, trading_key: Any,
    client: Any,  # noqa: F811
) -> None:  # fmt: skip
    mallory = User(email="mallory@example.com", password_hash="x" * 60)
    db.add(mallory)
    db.commit()
    sign_in(client, mallory.id)
    for _ in range(6):  # more than the lock's five: none of them is counted
        for method in ("PUT", "DELETE"):
            response = client.request(
                method, f"/api/exchanges/{account.id}/trading-key", json={"password": "guess"}
            )
            assert response.status_code == 404, response.text
    assert len(db.exec(select(TradingKey)).all()) == 1

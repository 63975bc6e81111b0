"""Setting up two-factor sign-in (with the password) ends every other session of the user:
their cookies get 401, the socket's door check refuses their claims, while the session that
asked stays, as do other users' sessions and any session signed in afterwards. A wrong
password ends nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from exstrat_app.services.auth import decode_session_token, verify_session_claims
from exstrat_app.settings import get_settings
from tests.api.conftest import PASSWORD, login, sign_in

ENROL = "/api/auth/totp/enrol"


def me_status(client: TestClient, token: str) -> int:
    """/api/me's status for this session cookie alone."""
    client.cookies.clear()
    client.cookies.set("exstrat_session", token)
    return client.get("/api/me").status_code


def socket_still_signed_in(db: Any, token: str) -> bool:
    """The check a socket's door makes on the claims it kept (never the cookie)."""
    claims = decode_session_token(get_settings(), token)
    db.expire_all()
    return verify_session_claims(
        db, user_id=claims["sub"], jti=claims["jti"], expires_at=claims["exp"]
    )


def test_enrolment_ends_the_other_sessions_and_keeps_this_one(
    db: Any, client: TestClient, make_user: Any
) -> None:
    alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
    assert login(client, "alice@example.com").status_code == 200
    signed_in_with_password = client.cookies["exstrat_session"]
    other_tab = sign_in(client, alice.id)
    bobs = sign_in(client, bob.id)
    current = sign_in(client, alice.id)

    enrolled = client.post(ENROL, json={"password": PASSWORD})

    assert enrolled.status_code == 200, enrolled.text
    assert me_status(client, current) == 200
    assert me_status(client, other_tab) == 401
    assert me_status(client, signed_in_with_password) == 401
    assert me_status(client, bobs) == 200
    assert socket_still_signed_in(db, current)
    assert not socket_still_signed_in(db, other_tab)
    assert socket_still_signed_in(db, bobs)
    client.cookies.clear()
    assert login(client, "alice@example.com").status_code == 200  # before the 2FA is on
    assert client.get("/api/me").status_code == 200  # a session after the cut is good


def test_a_wrong_password_ends_nothing(db: Any, client: TestClient, make_user: Any) -> None:
    alice = make_user("alice@example.com")
    other_tab = sign_in(client, alice.id)
    current = sign_in(client, alice.id)

    refused = client.post(ENROL, json={"password": "not the password"})

    assert refused.status_code == 401
    assert me_status(client, current) == 200
    assert me_status(client, other_tab) == 200
    assert socket_still_signed_in(db, other_tab)

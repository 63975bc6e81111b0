"""Accounts and sessions over HTTP (SPEC §5, §7)."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from freezegun import freeze_time
from sqlmodel import select

from exstrat_app import bootstrap
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken, User
from exstrat_app.services import auth as auth_service
from exstrat_app.settings import get_settings
from tests.api.conftest import PASSWORD, login, set_cookie_attrs, sign_in, signup_and_login

# ------------------------------------------------------------------ signup


def test_signup_creates_the_account_with_bcrypt_cost_12(client, db):
    resp = client.post(
        "/api/auth/signup", json={"email": " Alice@Example.COM ", "password": PASSWORD}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body == {"id": body["id"], "email": "alice@example.com"}

    user = db.exec(select(User).where(User.id == body["id"])).one()
    assert user.email == "alice@example.com"
    prefix, cost = user.password_hash.split("$")[1:3]
    assert prefix == "2b" and int(cost) >= 12
    assert PASSWORD not in user.password_hash

    # Normalised: the mixed-case, padded address and the plain one are the same account.
    assert login(client, "alice@example.com").json()["id"] == body["id"]
    assert login(client, "  ALICE@example.com").json()["id"] == body["id"]


def test_signup_then_login_full_flow(client):
    me = signup_and_login(client, "flow@example.com")
    resp = client.get("/api/me")
    assert resp.status_code == 200
    assert resp.json() == {**me, "locale": None, "currency": "USD"}


def test_duplicate_email_answers_like_a_new_one(client, make_user, db, tmp_path, monkeypatch):
    # Issue 12 overrides SPEC §5's 409: a taken email is not revealed (no enumeration); the
    # answer has the new-account shape, nothing is stored and the owner is emailed.
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    monkeypatch.setattr(get_settings(), "smtp_url", None)
    alice = make_user("alice@example.com")
    resp = client.post(
        "/api/auth/signup", json={"email": "ALICE@example.com", "password": PASSWORD}
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body == {"id": body["id"], "email": "alice@example.com"}
    assert body["id"] != alice.id and len(body["id"]) == len(alice.id)
    assert len(db.exec(select(User).where(User.email == "alice@example.com")).all()) == 1
    assert login(client, "alice@example.com").json()["id"] == alice.id  # unchanged

    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "To: alice@example.com" in text and "tried to create" in text


@pytest.mark.parametrize(
    ("password", "needle"),
    [("short", "at least 10"), ("", "at least 10"), ("x" * 257, "at most 256")],
)
def test_weak_password_is_422_with_field(client, password, needle):
    resp = client.post("/api/auth/signup", json={"email": "bob@example.com", "password": password})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "invalid"
    assert needle in error["fields"]["password"]
    assert needle in error["message"]


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a@b", "a b@example.com", "alice@@example.com", "x" * 250 + "@example.com"],
)
def test_invalid_email_is_422_with_field(client, email):
    resp = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 422
    assert "email" in resp.json()["error"]["fields"]


def test_signup_reports_every_bad_field(client):
    resp = client.post("/api/auth/signup", json={})
    assert resp.status_code == 422
    assert set(resp.json()["error"]["fields"]) == {"email", "password"}

    resp = client.post("/api/auth/signup", json={"email": 12, "password": PASSWORD})
    assert resp.status_code == 422
    assert "email" in resp.json()["error"]["fields"]


# ------------------------------------------------------------------ login / me / logout


def test_login_sets_an_httponly_lax_cookie(client, make_user):
    user = make_user("carol@example.com")
    resp = login(client, "carol@example.com")
    assert resp.status_code == 200
    assert resp.json() == {"id": user.id, "email": "carol@example.com"}

    attrs = set_cookie_attrs(resp)
    assert attrs[""]  # the JWT
    assert "httponly" in attrs
    assert attrs["samesite"].lower() == "lax"
    assert attrs["path"] == "/"
    assert int(attrs["max-age"]) == get_settings().jwt_ttl_seconds
    assert "secure" not in attrs  # EXSTRAT_SECURE_COOKIES is off by default

    claims = jwt.decode(attrs[""], options={"verify_signature": False})
    assert claims["sub"] == user.id
    assert {"jti", "iat", "exp"} <= set(claims)
    assert claims["exp"] - claims["iat"] == get_settings().jwt_ttl_seconds

    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {
        "id": user.id,
        "email": "carol@example.com",
        "locale": None,
        "currency": "USD",
    }


def test_me_without_cookie_is_401(client):
    resp = client.get("/api/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


def test_unknown_email_and_wrong_password_look_the_same(client, make_user):
    make_user("dave@example.com")
    unknown = login(client, "nobody@example.com")
    wrong = login(client, "dave@example.com", "wrong password!!")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["error"]["message"] == "Email or password is incorrect."
    assert "set-cookie" not in unknown.headers and "set-cookie" not in wrong.headers


def test_login_with_missing_fields_is_422(client):
    resp = client.post("/api/auth/login", json={"email": "x@example.com"})
    assert resp.status_code == 422
    assert "password" in resp.json()["error"]["fields"]


def test_logout_revokes_the_token_not_just_the_cookie(client, db, make_user):
    user = make_user("erin@example.com")
    token = sign_in(client, user.id)
    assert client.get("/api/me").status_code == 200

    resp = client.post("/api/auth/logout")
    assert resp.status_code == 204
    assert int(set_cookie_attrs(resp)["max-age"]) == 0

    client.cookies.clear()
    old = client.get("/api/me", headers={"Cookie": f"exstrat_session={token}"})
    assert old.status_code == 401
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert db.get(RevokedToken, jti) is not None

    # Logging out twice, or without a session, is harmless.
    again = client.post("/api/auth/logout", headers={"Cookie": f"exstrat_session={token}"})
    assert again.status_code == 204
    assert client.post("/api/auth/logout").status_code == 204


def test_logout_purges_expired_revocations(client, db, make_user):
    db.add(RevokedToken(jti="old-one", expires_at=utcnow() - timedelta(minutes=1)))
    db.add(RevokedToken(jti="live-one", expires_at=utcnow() + timedelta(hours=1)))
    db.commit()
    sign_in(client, make_user("frank@example.com").id)
    assert client.post("/api/auth/logout").status_code == 204
    db.expire_all()
    jtis = set(db.exec(select(RevokedToken.jti)).all())
    assert "old-one" not in jtis
    assert "live-one" in jtis
    assert len(jtis) == 2


def test_forged_token_is_401(client, make_user):
    user = make_user("gina@example.com")
    now = int(time.time())
    claims = {"sub": user.id, "jti": "j1", "iat": now, "exp": now + 3600}
    for forged in (
        jwt.encode(claims, "not-the-secret-" + "y" * 32, algorithm="HS256"),
        jwt.encode(claims, None, algorithm="none"),
        auth_service.issue_session_token(get_settings(), user_id=user.id)[:-3] + "abc",
        "garbage",
    ):
        resp = client.get("/api/me", headers={"Cookie": f"exstrat_session={forged}"})
        assert resp.status_code == 401, forged


def test_token_without_jti_or_of_a_deleted_user_is_401(client, db, make_user):
    user = make_user("hank@example.com")
    now = int(time.time())
    secret = get_settings().jwt_signing_secret()
    no_jti = jwt.encode({"sub": user.id, "iat": now, "exp": now + 60}, secret, algorithm="HS256")
    resp = client.get("/api/me", headers={"Cookie": f"exstrat_session={no_jti}"})
    assert resp.status_code == 401

    ghost = auth_service.issue_session_token(get_settings(), user_id="0" * 32)
    resp = client.get("/api/me", headers={"Cookie": f"exstrat_session={ghost}"})
    assert resp.status_code == 401


def test_expired_token_is_401(client, make_user):
    user = make_user("iris@example.com")
    sign_in(client, user.id)
    assert client.get("/api/me").status_code == 200
    ttl = get_settings().jwt_ttl_seconds
    with freeze_time(utcnow() + timedelta(seconds=ttl + 5)):
        resp = client.get("/api/me")
    assert resp.status_code == 401


# ------------------------------------------------------------------ ticket hand-over


def test_ticket_signs_the_browser_in_once(client, redis, make_user):
    user = make_user("jane@example.com")
    ticket = auth_service.create_login_ticket(user_id=user.id, redis=redis)

    resp = client.get(
        "/api/auth/complete",
        params={"ticket": ticket, "next": "/strategies?x=1"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/strategies?x=1"
    attrs = set_cookie_attrs(resp)
    assert "httponly" in attrs and attrs["samesite"].lower() == "lax" and attrs["path"] == "/"
    assert client.get("/api/me").json()["id"] == user.id

    client.cookies.clear()
    again = client.get("/api/auth/complete", params={"ticket": ticket}, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in again.headers


def test_ticket_lives_60_seconds(client, redis, make_user):
    user = make_user("kate@example.com")
    ticket = auth_service.create_login_ticket(user_id=user.id, redis=redis)
    key = auth_service.LOGIN_TICKET_PREFIX + ticket
    assert 55 <= redis.ttl(key) <= 60

    redis.pexpire(key, 1)  # let it run out
    time.sleep(0.05)
    resp = client.get("/api/auth/complete", params={"ticket": ticket}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in resp.headers


@pytest.mark.parametrize("ticket", ["", "nope", "x" * 300, "../../etc"])
def test_bad_ticket_redirects_to_login(client, ticket):
    resp = client.get("/api/auth/complete", params={"ticket": ticket}, follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?error=expired"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/portfolio",
        "https://evil.com/",
        "/\\evil.com",
        "evil.com",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_complete_refuses_open_redirects(client, redis, make_user, target):
    user = make_user("leo@example.com")
    ticket = auth_service.create_login_ticket(user_id=user.id, redis=redis)
    resp = client.get(
        "/api/auth/complete", params={"ticket": ticket, "next": target}, follow_redirects=False
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/portfolio"


def test_complete_refuses_a_cross_site_navigation(client, redis, make_user):
    user = make_user("mia@example.com")
    ticket = auth_service.create_login_ticket(user_id=user.id, redis=redis)
    resp = client.get(
        "/api/auth/complete",
        params={"ticket": ticket},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in resp.headers
    assert redis.exists(auth_service.LOGIN_TICKET_PREFIX + ticket)


def test_secure_flag_follows_settings(client, redis, make_user, monkeypatch):
    monkeypatch.setattr(get_settings(), "secure_cookies", True)
    user = make_user("nina@example.com")
    ticket = auth_service.create_login_ticket(user_id=user.id, redis=redis)
    resp = client.get("/api/auth/complete", params={"ticket": ticket}, follow_redirects=False)
    assert "secure" in set_cookie_attrs(resp)


# ------------------------------------------------------------------ throttling


def test_failed_logins_per_email_are_throttled(client, make_user):
    make_user("olga@example.com")
    make_user("paul@example.com")
    for _ in range(5):
        assert login(client, "olga@example.com", "wrong password!!").status_code == 401

    blocked = login(client, "OLGA@example.com")  # the right password no longer helps
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 15 * 60

    # Another account from the same client is not affected.
    assert login(client, "paul@example.com").status_code == 200


def test_auth_attempts_per_ip_are_throttled(client, redis, monkeypatch):
    throttle = auth_service.AuthThrottle(bootstrap.limits_storage(), per_ip="3/minute")
    monkeypatch.setattr(bootstrap, "auth_throttle", lambda: throttle)
    for _ in range(3):
        resp = client.post("/api/auth/signup", json={"email": "bad", "password": PASSWORD})
        assert resp.status_code == 422
    resp = client.post("/api/auth/signup", json={"email": "bad", "password": PASSWORD})
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["retry-after"]) <= 60
    # Login has its own per-IP budget.
    assert login(client, "nobody@example.com").status_code == 401


def test_limits_storage_accepts_the_embedded_unix_socket():
    assert auth_service.limits_storage_uri("unix:///tmp/r.sock") == "redis+unix:///tmp/r.sock"
    assert auth_service.limits_storage_uri("redis://h:6379/0") == "redis://h:6379/0"
    assert bootstrap.limits_storage().check()

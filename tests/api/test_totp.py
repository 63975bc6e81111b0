"""Two-factor sign-in over HTTP: enrol, confirm, the login's second step, disable."""

from __future__ import annotations

import time

import pyotp

from tests.api.conftest import PASSWORD, login, set_cookie_attrs, sign_in


def enrol(client) -> tuple[str, list[str]]:
    started = client.post("/api/auth/totp/enrol", json={"password": PASSWORD})
    assert started.status_code == 200, started.text
    body = started.json()
    assert set(body) == {"secret", "otpauthUri", "qrSvg"}
    assert body["otpauthUri"].startswith("otpauth://totp/exstrat:")
    assert body["qrSvg"].startswith("data:image/svg+xml")
    secret = body["secret"]
    assert client.get("/api/auth/totp").json()["enabled"] is False  # not on until confirmed
    code = pyotp.TOTP(secret).at(time.time())
    confirmed = client.post("/api/auth/totp/confirm", json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["enabled"] is True
    codes = confirmed.json()["recoveryCodes"]
    assert len(codes) == 10
    return secret, codes


def next_code(secret: str) -> str:
    """The next step's code: inside the ±1 window, and later than the one just used."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_enrol_needs_a_session(client):
    assert client.post("/api/auth/totp/enrol").status_code == 401
    assert client.get("/api/auth/totp").status_code == 401
    assert client.post("/api/auth/totp/confirm", json={"code": "123456"}).status_code == 401


def test_login_with_totp_is_two_steps_and_the_cookie_comes_only_after_the_code(client, make_user):
    user = make_user("two@example.com")
    sign_in(client, user.id)
    secret, _ = enrol(client)
    status = client.get("/api/auth/totp").json()
    assert status["enabled"] is True and status["recoveryCodesLeft"] == 10
    client.cookies.clear()

    first = login(client, "two@example.com")
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["totpRequired"] is True and body["expiresIn"] == 300
    assert "exstrat_session" not in first.headers.get("set-cookie", "")
    assert client.get("/api/me").status_code == 401  # no session yet

    wrong = client.post("/api/auth/login/totp", json={"ticket": body["ticket"], "code": "12"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["fields"]["code"]
    code = next_code(secret)
    done = client.post("/api/auth/login/totp", json={"ticket": body["ticket"], "code": code})
    assert done.status_code == 200, done.text
    assert done.json() == {"id": user.id, "email": "two@example.com"}
    assert set_cookie_attrs(done)["httponly"] == ""
    assert client.get("/api/me").status_code == 200

    # The ticket is spent, and the same code is refused on a new ticket (replay).
    again = client.post("/api/auth/login/totp", json={"ticket": body["ticket"], "code": code})
    assert again.status_code == 401
    client.cookies.clear()
    ticket = login(client, "two@example.com").json()["ticket"]
    replay = client.post("/api/auth/login/totp", json={"ticket": ticket, "code": code})
    assert replay.status_code == 401


def test_a_recovery_code_signs_in_once(client, make_user):
    user = make_user("rec@example.com")
    sign_in(client, user.id)
    _, codes = enrol(client)
    client.cookies.clear()
    ticket = login(client, "rec@example.com").json()["ticket"]
    ok = client.post("/api/auth/login/totp", json={"ticket": ticket, "code": codes[0]})
    assert ok.status_code == 200
    client.cookies.clear()
    ticket = login(client, "rec@example.com").json()["ticket"]
    spent = client.post("/api/auth/login/totp", json={"ticket": ticket, "code": codes[0]})
    assert spent.status_code == 401


def test_the_pending_ticket_dies_after_five_wrong_codes(client, make_user):
    user = make_user("five@example.com")
    sign_in(client, user.id)
    secret, _ = enrol(client)
    client.cookies.clear()
    ticket = login(client, "five@example.com").json()["ticket"]
    for _ in range(5):
        bad = client.post(
            "/api/auth/login/totp", json={"ticket": ticket, "code": "zzzz-zzzz-zzzz-zzzz"}
        )
        assert bad.status_code == 401
    late = client.post("/api/auth/login/totp", json={"ticket": ticket, "code": next_code(secret)})
    assert late.status_code == 401
    assert "sign in again" in late.json()["error"]["message"]
    assert client.get("/api/me").status_code == 401


def test_disable_needs_password_and_code_then_login_is_one_step_again(client, make_user):
    user = make_user("off@example.com")
    sign_in(client, user.id)
    _, codes = enrol(client)
    on_already = client.post("/api/auth/totp/enrol", json={"password": PASSWORD})
    assert on_already.status_code == 409
    bad = client.post(
        "/api/auth/totp/disable", json={"password": "not the password", "code": codes[1]}
    )
    assert bad.status_code == 401
    assert client.get("/api/auth/totp").json()["enabled"] is True
    off = client.post("/api/auth/totp/disable", json={"password": PASSWORD, "code": codes[1]})
    assert off.status_code == 200, off.text
    assert off.json() == {"enabled": False, "enabledAt": None, "recoveryCodesLeft": 0}
    client.cookies.clear()
    assert login(client, "off@example.com").status_code == 200


def test_login_without_totp_is_unchanged(client, make_user):
    make_user("plain@example.com")
    resp = login(client, "plain@example.com")
    assert resp.status_code == 200
    assert set(resp.json()) == {"id", "email"}


def test_new_recovery_codes_need_password_and_app_code_and_the_old_die(client, make_user):
    user = make_user("regen@example.com")
    sign_in(client, user.id)
    secret, old_codes = enrol(client)
    url = "/api/auth/totp/recovery-codes"
    wrong_pw = client.post(url, json={"password": "not the password", "code": next_code(secret)})
    assert wrong_pw.status_code == 401
    assert wrong_pw.json()["error"]["fields"] == {"password": "The password is not right."}
    # A recovery code is no way to mint ten more.
    with_recovery = client.post(url, json={"password": PASSWORD, "code": old_codes[0]})
    assert with_recovery.status_code == 422
    assert "authenticator app" in with_recovery.json()["error"]["fields"]["code"]
    assert client.post(url, json={"password": PASSWORD, "code": "000000"}).status_code == 401

    fresh = client.post(url, json={"password": PASSWORD, "code": next_code(secret)})
    assert fresh.status_code == 200, fresh.text
    new_codes = fresh.json()["recoveryCodes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert client.get("/api/auth/totp").json()["recoveryCodesLeft"] == 10

    client.cookies.clear()
    for code, status in ((old_codes[1], 401), (new_codes[0], 200)):
        ticket = login(client, "regen@example.com").json()["ticket"]
        done = client.post("/api/auth/login/totp", json={"ticket": ticket, "code": code})
        assert done.status_code == status, done.text


def test_new_recovery_codes_refused_when_two_factor_is_off(client, make_user):
    user = make_user("never@example.com")
    sign_in(client, user.id)
    resp = client.post(
        "/api/auth/totp/recovery-codes", json={"password": PASSWORD, "code": "123456"}
    )
    assert resp.status_code == 409
    client.cookies.clear()
    assert client.post("/api/auth/totp/recovery-codes", json={}).status_code == 401

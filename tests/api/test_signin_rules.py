"""Sign-in rules of issue 12: the password rule (zxcvbn + the common-password list), the
failed-login throttle per email *and* IP (a stranger cannot lock the owner out; a known
device passes the per-email lockout), and the ticket hand-over's same-origin rule."""

from __future__ import annotations

import pytest

from exstrat_app import bootstrap
from exstrat_app.services import auth as auth_service
from exstrat_app.services.auth.passwords import TOO_COMMON, password_problem
from exstrat_app.services.errors import TooManyRequests
from tests.api.conftest import PASSWORD, login

# ------------------------------------------------------------------ password rule


@pytest.mark.parametrize(
    "password",
    ["1234567890", "qwertyuiop", "password123", "P@ssw0rd1234", "iloveyou12", "1q2w3e4r5t"],
)
def test_common_passwords_are_refused(password):
    assert password_problem(password) == TOO_COMMON


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaa", "abcdefghij", "Password2024!", "🔐" * 12, "exstrat1234"]
)
def test_guessable_passwords_are_refused(password):
    problem = password_problem(password)
    assert problem is not None
    assert "easy to guess" in problem or problem == TOO_COMMON


def test_the_email_counts_as_a_known_word():
    assert password_problem("alice.smith2024") is None  # strong for a stranger's account...
    assert password_problem("alice.smith2024", user_inputs=["alice.smith@example.com"])


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "long enough pw",
        "mot de passe sûr 🔐 ключ",
        "Tr0ub4dor&3-vXq",
        "x7$Lq!9z_Wm2" + "a" * 200,  # > 72 characters: judged by its first 72
    ],
)
def test_strong_passwords_pass(password):
    assert password_problem(password) is None


def test_lengths_still_come_first():
    assert "at least 10" in (password_problem("short") or "")
    assert "at most 256" in (password_problem("x" * 257) or "")


def test_signup_refuses_a_common_password_with_the_field(client):
    resp = client.post(
        "/api/auth/signup", json={"email": "bob@example.com", "password": "1234567890"}
    )
    assert resp.status_code == 422
    assert resp.json()["error"]["fields"]["password"] == TOO_COMMON


# ------------------------------------------------------------------ lockout rules


@pytest.fixture
def throttle(redis):
    return auth_service.AuthThrottle(
        bootstrap.limits_storage(), failures_per_email_ip="3/minute", failures_per_email="5/minute"
    )


def test_failures_lock_only_that_ip_for_that_email(throttle):
    for _ in range(3):
        throttle.check("olga@example.com", "6.6.6.6")
        throttle.record_failure("olga@example.com", "6.6.6.6")
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("olga@example.com", "6.6.6.6")
    assert 1 <= refused.value.retry_after <= 60
    throttle.check("olga@example.com", "1.2.3.4")  # the owner elsewhere: not locked out
    throttle.check("paul@example.com", "6.6.6.6")  # another email from that IP: fine


def test_a_distributed_guess_closes_the_email_to_new_devices_only(throttle):
    throttle.record_success("olga@example.com", "1.2.3.4")  # the owner's own device
    for i in range(5):  # five IPs, one failure each: under the per-IP-and-email limit
        throttle.record_failure("olga@example.com", f"6.6.6.{i}")
    with pytest.raises(TooManyRequests):
        throttle.check("olga@example.com", "7.7.7.7")  # a new device: refused
    throttle.check("olga@example.com", "1.2.3.4")  # the known device still passes
    assert throttle.is_known_device("olga@example.com", "1.2.3.4")
    assert not throttle.is_known_device("olga@example.com", "7.7.7.7")


def test_success_clears_that_ip_failures(throttle):
    for _ in range(2):
        throttle.record_failure("olga@example.com", "1.2.3.4")
    throttle.record_success("olga@example.com", "1.2.3.4")
    for _ in range(2):
        throttle.record_failure("olga@example.com", "1.2.3.4")
    throttle.check("olga@example.com", "1.2.3.4")  # 2 since the success, not 4


def test_a_stranger_cannot_lock_the_owner_out_over_http(client, make_user, set_env):
    set_env("EXSTRAT_PROXY_HOPS", "1")
    make_user("olga@example.com")
    stranger = {"X-Forwarded-For": "6.6.6.6"}
    for _ in range(5):
        resp = client.post(
            "/api/auth/login",
            json={"email": "olga@example.com", "password": "wrong password!!"},
            headers=stranger,
        )
        assert resp.status_code == 401
    blocked = client.post(
        "/api/auth/login",
        json={"email": "olga@example.com", "password": PASSWORD},
        headers=stranger,
    )
    assert blocked.status_code == 429
    owner = client.post(
        "/api/auth/login",
        json={"email": "olga@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert owner.status_code == 200


# ------------------------------------------------------------------ sign-up: no enumeration


def test_taken_and_new_email_answers_have_the_same_shape(client, make_user, tmp_path, monkeypatch):
    from exstrat_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    make_user("taken@example.com")
    new = client.post("/api/auth/signup", json={"email": "new@example.com", "password": PASSWORD})
    taken = client.post(
        "/api/auth/signup", json={"email": "taken@example.com", "password": PASSWORD}
    )
    assert new.status_code == taken.status_code == 201
    assert set(new.json()) == set(taken.json()) == {"id", "email"}
    assert len(new.json()["id"]) == len(taken.json()["id"])
    assert new.headers.get("content-type") == taken.headers.get("content-type")
    # The owner of the taken address is told; the new one gets its confirmation link (and
    # signs in once it is confirmed: tests/api/test_confirmation.py).
    mails = [m.read_text() for m in (tmp_path / "outbox").glob("*.eml")]
    taken_mails = [m for m in mails if "To: taken@example.com" in m]
    new_mails = [m for m in mails if "To: new@example.com" in m]
    assert len(mails) == 2 and len(taken_mails) == len(new_mails) == 1
    assert "tried to create" in taken_mails[0] and "/confirm?token=" in new_mails[0]
    assert login(client, "new@example.com").status_code == 403  # not confirmed yet


# ------------------------------------------------------------------ ticket hand-over


def _complete(client, redis, user_id, headers):
    ticket = auth_service.create_login_ticket(user_id=user_id, redis=redis)
    client.headers.pop("origin", None)
    client.cookies.clear()
    return client.get(
        "/api/auth/complete", params={"ticket": ticket}, headers=headers, follow_redirects=False
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "none"},  # typed or pasted into the address bar
        {},  # no Sec-Fetch-Site and no Origin/Referer of ours
        {"Referer": "https://evil.example/x"},
        {"Origin": "http://sub.testserver"},
    ],
)
def test_complete_needs_a_navigation_from_our_own_pages(client, redis, make_user, headers):
    user = make_user("mia@example.com")
    resp = _complete(client, redis, user.id, headers)
    assert resp.headers["location"] == "/login?error=expired"
    assert "set-cookie" not in resp.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Referer": "http://testserver/login"},  # an older browser: no Sec-Fetch-Site
    ],
)
def test_complete_signs_in_from_our_own_pages(client, redis, make_user, headers):
    user = make_user("mia@example.com")
    resp = _complete(client, redis, user.id, headers)
    assert resp.headers["location"] == "/portfolio"
    assert "set-cookie" in resp.headers

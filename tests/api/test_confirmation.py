"""Email confirmation at sign-up (issue 12): same answer for a new and a taken email, the link
by email, confirming with the password signs in, links are single-use, hashed and expiring."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import EmailConfirmation, User
from exstrat_app.services.auth import confirmation, signup_notices
from exstrat_app.settings import get_settings
from tests.api.conftest import PASSWORD, login, set_cookie_attrs

OTHER_PASSWORD = "another horse battery staple"
LINK = re.compile(r"/confirm\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    monkeypatch.setattr(get_settings(), "smtp_url", None)
    monkeypatch.setattr(get_settings(), "require_email_confirmation", True)
    return tmp_path / "outbox"


def mails_to(outbox: Path, email: str) -> list[str]:
    """The decoded bodies of the mails sent to `email`, oldest first."""
    paths = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    found = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in paths]
    return [m.get_content() for m in found if m["To"] == email]  # type: ignore[union-attr]


def link_token(outbox: Path, email: str) -> str:
    """The token of the newest confirmation link sent to `email`."""
    tokens = [m.group(1) for text in mails_to(outbox, email) if (m := LINK.search(text))]
    assert tokens, f"no confirmation link for {email}"
    return tokens[-1]


def signup(client, email: str, password: str = PASSWORD):
    return client.post("/api/auth/signup", json={"email": email, "password": password})


def test_the_first_account_signs_in_at_once_the_next_one_confirms(client, db, outbox):
    assert signup(client, "owner@example.com").status_code == 201
    assert mails_to(outbox, "owner@example.com") == []  # nothing to confirm
    assert login(client, "owner@example.com").status_code == 200
    client.cookies.clear()

    assert signup(client, "bob@example.com").status_code == 201
    bob = db.exec(select(User).where(User.email == "bob@example.com")).one()
    assert bob.email_confirmed_at is None
    early = login(client, "bob@example.com")
    assert early.status_code == 403
    assert early.json()["error"] == {
        "code": "email_unconfirmed", "message": confirmation.CONFIRM_FIRST, "fields": {}
    }  # fmt: skip
    assert "set-cookie" not in early.headers
    # A wrong password for an unconfirmed account says what it says for anyone.
    wrong = login(client, "bob@example.com", "not the password at all")
    assert wrong.status_code == 401 and "incorrect" in wrong.json()["error"]["message"]

    token = link_token(outbox, "bob@example.com")
    typo = client.post("/api/auth/confirm", json={"token": token, "password": "not it"})
    assert typo.status_code == 401
    assert typo.json()["error"]["fields"] == {"password": confirmation.WRONG_PASSWORD}
    done = client.post("/api/auth/confirm", json={"token": token, "password": PASSWORD})
    assert done.status_code == 200, done.text  # the typo did not cost the link
    assert done.json() == {"id": bob.id, "email": "bob@example.com"}
    assert set_cookie_attrs(done)["httponly"] == ""
    assert client.get("/api/me").json()["id"] == bob.id
    again = client.post("/api/auth/confirm", json={"token": token, "password": PASSWORD})
    assert again.status_code == 401  # single-use
    assert again.json()["error"]["message"] == confirmation.LINK_INVALID
    client.cookies.clear()
    assert login(client, "bob@example.com").status_code == 200


def test_new_taken_and_waiting_emails_get_the_same_answer(client, make_user, db, outbox):
    make_user("taken@example.com")
    assert signup(client, "waiting@example.com").status_code == 201
    answers = {
        email: signup(client, email)
        for email in ("new@example.com", "taken@example.com", "waiting@example.com")
    }
    shapes = {
        (r.status_code, tuple(sorted(r.json())), len(r.json()["id"])) for r in answers.values()
    }
    assert shapes == {(201, ("email", "id"), 32)}
    # What differs is the email, which only the address's owner reads.
    taken = mails_to(outbox, "taken@example.com")
    assert len(taken) == 1 and "tried to create" in taken[0] and not LINK.search(taken[0])
    assert len(mails_to(outbox, "new@example.com")) == 1
    # Signed up again within RESEND_AFTER_SECONDS: the link already in the inbox is the one.
    assert len(mails_to(outbox, "waiting@example.com")) == 1
    assert len(db.exec(select(User).where(User.email == "taken@example.com")).all()) == 1


def test_a_squatters_password_dies_when_the_owner_signs_up(client, make_user, outbox):
    make_user("owner@example.com")  # not the first account any more
    assert signup(client, "victim@example.com", OTHER_PASSWORD).status_code == 201  # squatter
    link = link_token(outbox, "victim@example.com")  # in the owner's inbox, not the squatter's
    assert signup(client, "victim@example.com", PASSWORD).status_code == 201  # the owner
    assert len(mails_to(outbox, "victim@example.com")) == 1  # a link went out moments ago
    # The link confirms only with the password of the latest sign-up: the owner's.
    squat = client.post("/api/auth/confirm", json={"token": link, "password": OTHER_PASSWORD})
    assert squat.status_code == 401
    ok = client.post("/api/auth/confirm", json={"token": link, "password": PASSWORD})
    assert ok.status_code == 200
    client.cookies.clear()
    assert login(client, "victim@example.com", OTHER_PASSWORD).status_code == 401


def test_a_sign_up_again_after_the_window_sends_a_new_link_and_kills_the_old(
    client, make_user, outbox
):
    make_user("owner@example.com")
    assert signup(client, "again@example.com", OTHER_PASSWORD).status_code == 201
    first = link_token(outbox, "again@example.com")
    with freeze_time(utcnow() + timedelta(seconds=confirmation.RESEND_AFTER_SECONDS + 1)):
        assert signup(client, "again@example.com", PASSWORD).status_code == 201
    assert len(mails_to(outbox, "again@example.com")) == 2
    fresh = link_token(outbox, "again@example.com")
    old = client.post("/api/auth/confirm", json={"token": first, "password": PASSWORD})
    assert old.status_code == 401  # one live link per account: the newest
    ok = client.post("/api/auth/confirm", json={"token": fresh, "password": PASSWORD})
    assert ok.status_code == 200


def test_links_are_hashed_and_expire(client, make_user, db, outbox):
    make_user("owner@example.com")
    signup(client, "late@example.com")
    token = link_token(outbox, "late@example.com")
    row = db.exec(select(EmailConfirmation)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert timedelta(hours=47) < row.expires_at - utcnow() <= timedelta(hours=48)
    with freeze_time(utcnow() + timedelta(hours=48, seconds=1)):
        late = client.post("/api/auth/confirm", json={"token": token, "password": PASSWORD})
    assert late.status_code == 401
    assert late.json()["error"]["message"] == confirmation.LINK_INVALID
    bad = [{"token": "made-up", "password": PASSWORD}, {"password": PASSWORD}, {"token": "x" * 201}]
    assert [client.post("/api/auth/confirm", json=b).status_code for b in bad] == [401, 401, 422]


def test_sign_in_sends_a_new_link_at_most_once_per_window(client, make_user, outbox):
    make_user("owner@example.com")
    signup(client, "slow@example.com")
    first = link_token(outbox, "slow@example.com")
    assert login(client, "slow@example.com").status_code == 403  # a link went out just now
    assert len(mails_to(outbox, "slow@example.com")) == 1
    with freeze_time(utcnow() + timedelta(seconds=confirmation.RESEND_AFTER_SECONDS + 1)):
        assert login(client, "slow@example.com").status_code == 403
    assert len(mails_to(outbox, "slow@example.com")) == 2
    fresh = link_token(outbox, "slow@example.com")
    assert (
        client.post("/api/auth/confirm", json={"token": first, "password": PASSWORD}).status_code
        == 401
    )
    assert (
        client.post("/api/auth/confirm", json={"token": fresh, "password": PASSWORD}).status_code
        == 200
    )


def test_with_confirmation_off_every_account_signs_in_at_once(
    client, make_user, outbox, monkeypatch
):
    monkeypatch.setattr(get_settings(), "require_email_confirmation", False)
    make_user("owner@example.com")
    assert signup(client, "quick@example.com").status_code == 201
    assert login(client, "quick@example.com").status_code == 200
    assert mails_to(outbox, "quick@example.com") == []


def test_the_demo_user_and_factories_are_confirmed(db, make_user):
    assert make_user("made@example.com").email_confirmed_at is not None
    assert User(email="x@example.com", password_hash="x").email_confirmed_at is not None


def _notices(outbox: Path, email: str) -> list[str]:
    return [m for m in mails_to(outbox, email) if "tried to create" in m]


def test_a_taken_address_gets_one_notice_a_day_however_many_sign_ups(
    client, make_user, outbox, redis
):
    make_user("owner@example.com")
    taken = make_user("notice-daily@example.com").email
    answers = [signup(client, " Notice-Daily@Example.com ") for _ in range(5)]
    assert {(a.status_code, tuple(sorted(a.json())), len(a.json()["id"])) for a in answers} == {
        (201, ("email", "id"), 32)
    }
    assert len({a.json()["id"] for a in answers}) == 5  # made up each time, as for a new one
    assert len(_notices(outbox, taken)) == 1
    # Redis holds the address's digest only, for a day.
    [key] = [k.decode() for k in redis.scan_iter("exstrat:signup-notice:*")]
    assert key == signup_notices.notice_key(taken) and "notice-daily" not in key
    assert 24 * 3600 - 60 < redis.ttl(key) <= 24 * 3600

    redis.delete(key)  # the day is over (what the key's expiry does by itself)
    assert signup(client, taken).status_code == 201
    assert len(_notices(outbox, taken)) == 2


def test_without_redis_the_sign_up_answers_alike_and_sends_no_notice(
    client, make_user, outbox, caplog
):
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from exstrat_app.api.deps import redis_client

    make_user("owner@example.com")
    taken = make_user("notice-down@example.com").email
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    client.app.dependency_overrides[redis_client] = lambda: dead
    try:
        answer = signup(client, taken)
    finally:
        client.app.dependency_overrides.pop(redis_client)
    assert answer.status_code == 201 and sorted(answer.json()) == ["email", "id"]
    assert _notices(outbox, taken) == []  # rather none than one per sign-up
    assert "sign-up notice not sent: Redis unavailable" in caplog.text
    assert taken not in caplog.text


def test_the_sign_up_page_shares_the_daily_turn(make_user, outbox, redis):
    from exstrat_app.state.auth_forms import CHECK_INBOX, _signup

    make_user("owner@example.com")
    taken = make_user("notice-page@example.com").email
    assert [_signup(taken, PASSWORD, "203.0.113.9") for _ in range(3)] == [CHECK_INBOX] * 3
    assert len(_notices(outbox, taken)) == 1

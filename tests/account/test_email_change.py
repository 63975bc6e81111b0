"""Changing the sign-in email (docs/account.md): asked with the password, nothing changes until
the link sent to the new address is used by the signed-in owner; the old address is told;
an address already taken gets the same answer and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time
from sqlmodel import select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import EmailChange, User
from exstrat_app.services.auth import account_mail, email_change
from tests.account.credentials_helpers import EMAIL_LINK, mails_to, texts_to, tokens_in
from tests.api.conftest import PASSWORD, login, sign_in

CHANGE = "/api/auth/email/change"
CONFIRM = "/api/auth/email/confirm"


def new_address(name: str = "new") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.org"


def ask(client: Any, new_email: str, password: str = PASSWORD) -> Any:
    return client.post(CHANGE, json={"newEmail": new_email, "password": password})


def open_link(client: Any, token: str) -> str:
    """Follow the emailed link with the client's cookie: where it lands."""
    answer = client.get(CONFIRM, params={"token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def address_of(db: Any, user_id: str) -> str:
    db.expire_all()
    return str(db.get(User, user_id).email)


def test_nothing_changes_until_the_link_then_the_new_address_signs_in(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user = person("mover")
    old, new = user.email, new_address()
    sign_in(client, user.id)

    asked = ask(client, new.upper())
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"message": email_change.sent_message(new)}
    assert address_of(db, user.id) == old
    assert client.get("/api/me").json()["email"] == old
    (notice,) = mails_to(outbox, old)
    assert notice["Subject"] == account_mail.EMAIL_NOTICE_SUBJECT
    assert new in str(notice.get_content()) and "change your password" in str(notice.get_content())
    (token,) = tokens_in(outbox, new, EMAIL_LINK)
    assert f"http://localhost:3000{CONFIRM}?token={token}" in texts_to(outbox, new)[0]

    assert open_link(client, token) == "/account?email_change=changed"
    assert address_of(db, user.id) == new
    assert client.get("/api/me").json()["email"] == new  # the session stays
    assert open_link(client, token) == "/account?email_change=invalid"  # single use
    client.cookies.clear()
    assert login(client, new).status_code == 200
    client.cookies.clear()
    assert login(client, old).status_code == 401


def test_a_taken_address_gets_the_same_answer_and_nothing_changes(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user, owner = person("taker"), person("owner")
    free = new_address("free")
    sign_in(client, user.id)

    taken_answer = ask(client, owner.email)
    free_answer = ask(client, free)

    assert taken_answer.status_code == free_answer.status_code == 202
    assert taken_answer.json() == {"message": email_change.sent_message(owner.email)}
    (in_use,) = mails_to(outbox, owner.email)
    assert in_use["Subject"] == account_mail.EMAIL_TAKEN_SUBJECT
    assert not EMAIL_LINK.search(str(in_use.get_content()))
    assert len(mails_to(outbox, user.email)) == 2  # told of both requests
    rows = db.exec(select(EmailChange).where(EmailChange.user_id == user.id)).all()
    assert [r.new_email for r in rows] == [free]  # the newest request, the free address
    assert address_of(db, user.id) == user.email
    assert address_of(db, owner.id) == owner.email


def test_only_the_newest_link_works_and_links_expire_after_a_day(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user = person("twice")
    first_new, second_new = new_address("first"), new_address("second")
    sign_in(client, user.id)
    start = utcnow()
    with freeze_time(start):
        ask(client, first_new)
        ask(client, second_new)
    (older,) = tokens_in(outbox, first_new, EMAIL_LINK)
    (newer,) = tokens_in(outbox, second_new, EMAIL_LINK)
    with freeze_time(start + timedelta(hours=23)):
        assert open_link(client, older) == "/account?email_change=invalid"
    with freeze_time(start + timedelta(hours=24, minutes=1)):
        assert open_link(client, newer) == "/account?email_change=invalid"
    assert address_of(db, user.id) == user.email


def test_the_link_needs_the_accounts_own_session(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user, stranger = person("owner"), person("stranger")
    new = new_address()
    sign_in(client, user.id)
    ask(client, new)
    (token,) = tokens_in(outbox, new, EMAIL_LINK)

    client.cookies.clear()
    to_login = urlsplit(open_link(client, token))
    assert to_login.path == "/login"
    assert parse_qs(to_login.query)["next"] == [f"{CONFIRM}?token={token}"]
    sign_in(client, stranger.id)
    assert open_link(client, token) == "/account?email_change=invalid"
    assert address_of(db, user.id) == user.email

    sign_in(client, user.id)  # the owner, still in time: the link was not spent
    assert open_link(client, token) == "/account?email_change=changed"
    assert address_of(db, user.id) == new


def test_an_address_taken_after_the_request_is_not_moved(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user = person("slow")
    new = new_address()
    sign_in(client, user.id)
    ask(client, new)
    (token,) = tokens_in(outbox, new, EMAIL_LINK)
    db.add(User(email=new, password_hash="x" * 60))
    db.commit()
    assert open_link(client, token) == "/account?email_change=taken"
    assert address_of(db, user.id) == user.email
    assert open_link(client, token) == "/account?email_change=invalid"


def test_refusals_change_nothing_and_send_nothing(client: Any, person: Any, outbox: Path) -> None:
    user = person("refused")
    sign_in(client, user.id)
    wrong = ask(client, new_address(), "not my password")
    assert wrong.status_code == 401 and set(wrong.json()["error"]["fields"]) == {"password"}
    bad = ask(client, "not an address")
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"newEmail"}
    same = ask(client, user.email)
    assert same.json()["error"]["fields"] == {"newEmail": email_change.SAME_EMAIL}
    assert mails_to(outbox, user.email) == []
    client.cookies.clear()
    assert ask(client, new_address()).status_code == 401


def test_requests_are_limited_per_user(client: Any, person: Any) -> None:
    user = person("flood")
    sign_in(client, user.id)
    limit = int(email_change.EMAIL_CHANGES_PER_USER.split("/")[0])
    assert [ask(client, new_address()).status_code for _ in range(limit)] == [202] * limit
    over = ask(client, new_address())
    assert over.status_code == 429 and over.json()["error"]["message"] == email_change.TOO_MANY


def test_a_password_change_cancels_a_pending_email_change(
    client: Any, person: Any, outbox: Path, db: Any
) -> None:
    user = person("cancel")
    new = new_address()
    sign_in(client, user.id)
    ask(client, new)
    (token,) = tokens_in(outbox, new, EMAIL_LINK)
    body = {"currentPassword": PASSWORD, "newPassword": "quartz meadow lantern pilot"}
    assert client.post("/api/auth/password/change", json=body).status_code == 204
    assert open_link(client, token) == "/account?email_change=invalid"
    assert address_of(db, user.id) == user.email

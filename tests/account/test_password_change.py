"""Changing the password while signed in (docs/account.md): the current one is asked (wrong
ones count in the lock shared by every change that asks for the password), the new one
follows the rule, this session stays and every other one ends, and an email says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exstrat_app.services.auth import account_mail, password_change, reauth
from tests.account.credentials_helpers import mails_to, me_status
from tests.api.conftest import PASSWORD, login, sign_in

CHANGE = "/api/auth/password/change"
EMAIL_CHANGE = "/api/auth/email/change"
NEW_PASSWORD = "marble falcon ginger harbor"


def change(client: Any, current: str, new: str = NEW_PASSWORD) -> Any:
    return client.post(CHANGE, json={"currentPassword": current, "newPassword": new})


def test_this_session_stays_and_every_other_one_ends(
    client: Any, person: Any, outbox: Path
) -> None:
    user, other = person("keep"), person("bystander")
    other_tab = sign_in(client, user.id)
    bystander = sign_in(client, other.id)
    current = sign_in(client, user.id)

    done = change(client, PASSWORD)

    assert done.status_code == 204, done.text
    assert me_status(client, current) == 200
    assert me_status(client, other_tab) == 401
    assert me_status(client, bystander) == 200
    client.cookies.clear()
    assert login(client, user.email, PASSWORD).status_code == 401
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    (mail,) = mails_to(outbox, user.email)
    assert mail["Subject"] == account_mail.PASSWORD_CHANGED_SUBJECT
    text = str(mail.get_content())
    assert "Every other signed-in browser was signed out" in text
    assert PASSWORD not in text and NEW_PASSWORD not in text


def test_a_wrong_current_password_is_refused_and_counts_in_the_shared_lock(
    client: Any, person: Any, outbox: Path
) -> None:
    user = person("wrong")
    token = sign_in(client, user.id)
    wrong = change(client, "not my password at all")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["fields"] == {"currentPassword": reauth.WRONG_PASSWORD}
    assert change(client, "").json()["error"]["fields"] == {
        "currentPassword": reauth.PASSWORD_REQUIRED
    }
    # Four more wrong ones, on another change that asks for the password: the lock is one.
    for _ in range(4):
        body = {"newEmail": "elsewhere@example.com", "password": "still not it"}
        assert client.post(EMAIL_CHANGE, json=body).status_code == 401
    locked = change(client, PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert me_status(client, token) == 200  # nothing changed, nothing ended
    client.cookies.clear()
    assert login(client, user.email, PASSWORD).status_code == 200
    assert mails_to(outbox, user.email) == []


def test_a_weak_or_unchanged_new_password_is_refused_with_its_field(
    client: Any, person: Any
) -> None:
    user = person("weaknew")
    sign_in(client, user.id)
    weak = change(client, PASSWORD, "password123")
    assert weak.status_code == 422
    assert set(weak.json()["error"]["fields"]) == {"newPassword"}
    same = change(client, PASSWORD, PASSWORD)
    assert same.status_code == 422
    assert same.json()["error"]["fields"] == {"newPassword": password_change.SAME_PASSWORD}
    client.cookies.clear()
    assert login(client, user.email, PASSWORD).status_code == 200


def test_a_session_is_needed(client: Any) -> None:
    assert change(client, PASSWORD).status_code == 401

"""The owner's own door, run as the owner would: `python -m exstrat_app users ...` in a fresh
process on this test run's database and Redis (docs/account.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from exstrat_app.models import RecoveryCode, User
from exstrat_app.services.auth import totp
from exstrat_app.services.auth.owner_door import UNKNOWN
from tests.account.credentials_helpers import RESET_LINK, me_status, two_factor_on
from tests.api.conftest import PASSWORD, login, sign_in

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://exstrat.example.org"
NEW_PASSWORD = "copper willow anchor tundra"


def users(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EXSTRAT_PUBLIC_URL=PUBLIC_URL)
    return subprocess.run(
        [sys.executable, "-m", "exstrat_app", "users", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_list_shows_every_account_on_a_line(person: Any, db: Any, box: Any) -> None:
    plain, guarded = person("plain"), person("guarded")
    two_factor_on(db, box, guarded)
    waiting = User(email=f"waiting-{uuid.uuid4().hex[:8]}@example.com", password_hash="x" * 60)
    db.add(waiting)
    db.commit()
    waiting.email_confirmed_at = None
    db.add(waiting)
    db.commit()

    done = users("list")

    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert "confirmed yes" in lines[plain.email] and "2FA off" in lines[plain.email]
    assert "2FA on" in lines[guarded.email]
    assert "confirmed no" in lines[waiting.email]
    assert f"created {plain.created_at:%Y-%m-%d}" in lines[plain.email]
    assert users().stdout == done.stdout  # no action: the list


def test_reset_password_prints_a_working_link(client: Any, person: Any) -> None:
    user = person("locked-out")
    session = sign_in(client, user.id)

    done = users("reset-password", user.email.upper())

    assert done.returncode == 0, done.stderr
    found = RESET_LINK.search(done.stdout)
    assert found and found.group(1) == PUBLIC_URL, done.stdout
    assert PUBLIC_URL not in done.stderr and found.group(2) not in done.stderr  # never logged
    client.cookies.clear()
    body = {"token": found.group(2), "password": NEW_PASSWORD}
    assert client.post("/api/auth/password/reset", json=body).status_code == 204
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    assert me_status(client, session) == 401


def test_disable_totp_turns_it_off_and_ends_the_sessions(
    client: Any, person: Any, db: Any, box: Any
) -> None:
    user = person("lost-phone")
    two_factor_on(db, box, user)
    session = sign_in(client, user.id)

    done = users("disable-totp", user.email)

    assert done.returncode == 0, done.stderr
    assert "now off" in done.stdout
    db.expire_all()
    row = db.get(User, user.id)
    assert not totp.is_enabled(row) and row.totp_secret_enc is None and row.totp_key_id is None
    codes = db.exec(select(func.count()).where(RecoveryCode.user_id == user.id)).one()
    assert codes == 0
    assert me_status(client, session) == 401
    client.cookies.clear()
    assert login(client, user.email, PASSWORD).status_code == 200  # no code asked


def test_an_unknown_email_is_exit_code_1(person: Any) -> None:
    person("someone")
    for action in ("reset-password", "disable-totp"):
        done = users(action, "nobody-here@example.com")
        assert done.returncode == 1
        assert UNKNOWN in done.stderr
        assert done.stdout == ""

"""Rotating ENCRYPTION_KEY with the real command, `python -m exstrat_app rotate-keys`.

Accounts are added through the real service (keys checked against the simulated exchange)
while ENCRYPTION_KEY is the old key; then the command runs as a subprocess against the test
database (DATABASE_URL, EXSTRAT_DATA_DIR... from this process) with ENCRYPTION_KEY=new and
ENCRYPTION_OLD_KEYS=old, as an operator would run it.

Promises: every row is re-sealed (key id = the new key's fingerprint, new ciphertexts), the
secrets open with the new key alone, a ciphertext moved to another row or column does not
open, and a second run has nothing to do. If the old key was dropped before rotating, the
command does not crash and the account's sync ends in `error` with a reason a user can act on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from exstrat_app.infra.crypto import SecretBox, SecretUnreadable, key_fingerprint
from exstrat_app.models import ExchangeAccount, User
from exstrat_app.services.exchanges import accounts, sealing
from exstrat_app.settings import get_settings, parse_key
from simexchange import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_SECRET,
    COINBASE_READONLY_KEY,
    COINBASE_READONLY_SECRET,
)

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY = "a1" * 32  # hex
NEW_KEY = "b2" * 32
OLD_ID = key_fingerprint(parse_key(OLD_KEY))
NEW_ID = key_fingerprint(parse_key(NEW_KEY))
SEALED = ("api_key_enc", "api_secret_enc", "api_pass_enc")
PLAIN = {
    "binance": (BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET),
    "coinbase": (COINBASE_READONLY_KEY, COINBASE_READONLY_SECRET),
}


@pytest.fixture
def use_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Configure this process's ENCRYPTION_KEY (and ENCRYPTION_OLD_KEYS) and reload settings."""

    def _use(current: str, *old: str) -> None:
        monkeypatch.setenv("ENCRYPTION_KEY", current)
        if old:
            monkeypatch.setenv("ENCRYPTION_OLD_KEYS", ",".join(old))
        else:
            monkeypatch.delenv("ENCRYPTION_OLD_KEYS", raising=False)
        get_settings.cache_clear()

    yield _use
    get_settings.cache_clear()


@pytest.fixture
def exchange_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from simexchange import SimExchange, small_dataset

    server = SimExchange(small_dataset())
    url = server.start()
    monkeypatch.setenv("EXSTRAT_BINANCE_URL", url)
    monkeypatch.setenv("EXSTRAT_COINBASE_URL", url)
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def _user(db: Any, email: str) -> User:
    user = User(email=email, password_hash="x")
    db.add(user)
    db.commit()
    return user


def _add(db: Any, redis: Any, user: User, exchange: str) -> accounts.AccountView:
    key, secret = PLAIN[exchange]
    added = accounts.add_account(
        db,
        SecretBox.from_settings(),  # sealed with the key configured now
        user_id=user.id,
        exchange=exchange,
        api_key=key,
        api_secret=secret,
    )
    db.commit()  # the caller owns the unit of work
    return added


def _open(row: ExchangeAccount) -> Any:
    """The row's credentials, opened with the keys configured now."""
    return sealing.credentials_for(row, SecretBox.from_settings())


def _rotate_keys(**keys: str) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh process: this test run's environment (database, data dir,
    Redis) with the given ENCRYPTION_KEY / ENCRYPTION_OLD_KEYS."""
    env = dict(os.environ)
    env.pop("ENCRYPTION_OLD_KEYS", None)
    env.update(keys)
    return subprocess.run(
        [sys.executable, "-m", "exstrat_app", "rotate-keys"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _snapshot(db: Any) -> dict[str, dict[str, Any]]:
    db.expire_all()
    rows = db.exec(select(ExchangeAccount)).all()
    return {
        r.id: {"key_id": r.key_id, "exchange": r.exchange, **{c: getattr(r, c) for c in SEALED}}
        for r in rows
    }


def test_rotate_keys_reseals_every_row_with_the_new_key(db, redis, exchange_sim, use_keys) -> None:
    use_keys(OLD_KEY)
    alice, bob = _user(db, "alice@example.com"), _user(db, "bob@example.com")
    for user in (alice, bob):
        for exchange in ("binance", "coinbase"):
            _add(db, redis, user, exchange)
    before = _snapshot(db)
    assert len(before) == 4 and {r["key_id"] for r in before.values()} == {OLD_ID}

    done = _rotate_keys(ENCRYPTION_KEY=NEW_KEY, ENCRYPTION_OLD_KEYS=OLD_KEY)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "re-encrypted 4 account(s)" in output, output
    for secret in (BINANCE_READONLY_SECRET, COINBASE_READONLY_SECRET.splitlines()[1]):
        assert secret not in output  # the command logs ids, never secrets

    after = _snapshot(db)
    assert after.keys() == before.keys()
    for account_id, row in after.items():
        assert row["key_id"] == NEW_ID, account_id
        for column in ("api_key_enc", "api_secret_enc"):
            assert row[column] and row[column] != before[account_id][column], (account_id, column)
        assert row["api_pass_enc"] is None  # nothing to seal stays nothing

    # With the new key alone (the old one retired) every secret opens, unchanged.
    use_keys(NEW_KEY)
    rows = {r.id: r for r in db.exec(select(ExchangeAccount)).all()}
    for row in rows.values():
        creds = _open(row)
        key, secret = PLAIN[row.exchange]
        assert (creds.api_key, creds.secret) == (key, secret.strip()), row.id  # ends trimmed
    # The old key alone no longer opens anything.
    use_keys(OLD_KEY)
    for row in rows.values():
        with pytest.raises(SecretUnreadable):
            _open(row)

    # A ciphertext copied onto another row (same exchange, same key) does not open there,
    # nor in another column of its own row: the account id and column are its associated data.
    use_keys(NEW_KEY)
    binance = [r for r in rows.values() if r.exchange == "binance"]
    thief, victim = binance
    db.expunge(thief)
    thief.api_secret_enc = victim.api_secret_enc
    with pytest.raises(SecretUnreadable):
        _open(thief)
    moved = rows[next(i for i in rows if rows[i].exchange == "coinbase")]
    db.expunge(moved)
    moved.api_key_enc, moved.api_secret_enc = moved.api_secret_enc, moved.api_key_enc
    with pytest.raises(SecretUnreadable):
        _open(moved)

    # Nothing is left to do: a second run changes no row.
    again = _rotate_keys(ENCRYPTION_KEY=NEW_KEY, ENCRYPTION_OLD_KEYS=OLD_KEY)
    assert again.returncode == 0 and "re-encrypted 0 account(s)" in again.stderr + again.stdout
    assert _snapshot(db) == after


def test_rows_already_on_the_new_key_are_left_alone(db, redis, exchange_sim, use_keys) -> None:
    use_keys(OLD_KEY)
    old_row = _add(db, redis, _user(db, "alice@example.com"), "binance")
    use_keys(NEW_KEY, OLD_KEY)
    new_row = _add(db, redis, _user(db, "bob@example.com"), "binance")
    before = _snapshot(db)
    assert before[new_row.id]["key_id"] == NEW_ID and before[old_row.id]["key_id"] == OLD_ID

    done = _rotate_keys(ENCRYPTION_KEY=NEW_KEY, ENCRYPTION_OLD_KEYS=OLD_KEY)
    assert done.returncode == 0 and "re-encrypted 1 account(s)" in done.stderr + done.stdout
    after = _snapshot(db)
    assert after[new_row.id] == before[new_row.id]  # not re-sealed
    assert after[old_row.id]["key_id"] == NEW_ID


def test_old_key_removed_before_rotation_sync_ends_in_error_with_a_reason(
    db, redis, exchange_sim, use_keys
) -> None:
    from fastapi.testclient import TestClient
    from rq import SimpleWorker
    from rq.job import Job

    from exstrat_app.api import create_api
    from exstrat_app.infra.queue import get_queue
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.services.exchanges.runner import UNREADABLE_KEY
    from exstrat_app.settings import get_settings

    use_keys(OLD_KEY)
    alice = _user(db, "alice@example.com")
    account = _add(db, redis, alice, "binance")
    before = _snapshot(db)

    # The operator replaced ENCRYPTION_KEY and forgot ENCRYPTION_OLD_KEYS.
    done = _rotate_keys(ENCRYPTION_KEY=NEW_KEY)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output  # no crash, no traceback...
    assert "Traceback" not in output
    assert f"account {account.id}: no configured key opens its secrets; skipped" in output
    assert "re-encrypted 0 account(s)" in output
    assert _snapshot(db) == before  # ...and the row is left as it was (recoverable)

    # The app now runs with the new key only; the user asks for a sync from the API.
    use_keys(NEW_KEY)
    origin = "http://testserver"
    with TestClient(create_api(), base_url=origin, headers={"Origin": origin}) as client:
        client.cookies.set("exstrat_session", issue_session_token(get_settings(), user_id=alice.id))
        started = client.post(f"/api/exchanges/{account.id}/sync")
        assert started.status_code == 202, started.text
        job_ids = started.json()["jobIds"]
        queue = get_queue("ingest", connection=redis)
        SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")
        shown = client.get(f"/api/exchanges/{account.id}")
    assert shown.status_code == 200, shown.text
    detail = shown.json()
    assert detail["status"] == "error"
    assert detail["lastError"] == UNREADABLE_KEY
    assert "ENCRYPTION_KEY" in detail["lastError"] and "add the key again" in detail["lastError"]
    for internal in ("Traceback", "SecretUnreadable", "InvalidTag", BINANCE_READONLY_SECRET):
        assert internal not in shown.text
    # Handled, not crashed: the first step's job finished (RQ's failed registry stays empty),
    # and the run stopped there (no request reached the exchange with a key it lacks).
    first = Job.fetch(job_ids[0], connection=redis)
    assert first.get_status(refresh=True) == "finished"
    assert queue.failed_job_registry.count == 0


def test_rotate_keys_reseals_the_trading_keys_too(db, redis, exchange_sim, use_keys) -> None:
    from exstrat_app.models import TradingKey
    from exstrat_app.services.execution import trading_keys
    from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET

    use_keys(OLD_KEY)
    account = _add(db, redis, _user(db, "alice@example.com"), "binance")
    trading_keys.set_trading_key(
        db, SecretBox.from_settings(), user_id=account.user_id, account_id=account.id,
        api_key=BINANCE_TRADING_KEY, api_secret=BINANCE_TRADING_SECRET,
    )  # fmt: skip
    db.commit()
    db.expire_all()
    before = db.exec(select(TradingKey)).one()
    assert before.key_id == OLD_ID
    sealed_before = (before.api_key_enc, before.api_secret_enc)

    done = _rotate_keys(ENCRYPTION_KEY=NEW_KEY, ENCRYPTION_OLD_KEYS=OLD_KEY)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "re-encrypted 1 account(s)" in output and "re-encrypted 1 trading key(s)" in output
    assert BINANCE_TRADING_SECRET not in output

    db.expire_all()
    after = db.exec(select(TradingKey)).one()
    assert after.key_id == NEW_ID
    assert after.api_key_enc != sealed_before[0] and after.api_secret_enc != sealed_before[1]
    assert after.api_pass_enc is None
    use_keys(NEW_KEY)  # the new key alone opens it, unchanged
    opened = trading_keys.trading_credentials(after, SecretBox.from_settings())
    assert (opened.api_key, opened.secret) == (BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET)
    use_keys(OLD_KEY)  # the old key alone no longer does
    with pytest.raises(SecretUnreadable):
        trading_keys.trading_credentials(after, SecretBox.from_settings())

    again = _rotate_keys(ENCRYPTION_KEY=NEW_KEY, ENCRYPTION_OLD_KEYS=OLD_KEY)
    assert "re-encrypted 0 trading key(s)" in again.stdout + again.stderr

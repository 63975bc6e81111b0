"""A worker process SIGKILLed mid-sync, restarted; key rotation; account deletion."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, func, select

from exstrat_app import bootstrap
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import Balance, ExchangeAccount, Position, SyncCursor, Trade, Transfer
from exstrat_app.services.exchanges import accounts, key_rotation, runner, scheduling, sealing
from tests.ingest.conftest import sync_env

ROOT = Path(__file__).resolve().parents[2]


def _from_ids(sim, market_id):  # type: ignore[no-untyped-def]
    """The fromId of every myTrades request for one market, in order."""
    ids = []
    for line in sim.requests_log("/api/v3/myTrades"):
        query = parse_qs(urlsplit(line.split(" ", 1)[1]).query)
        if query.get("symbol") == [market_id]:
            ids.append(int(query["fromId"][0]))
    return ids


def _cursor_of(db, account_id, symbol):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(
        select(SyncCursor).where(
            SyncCursor.exchange_account_id == account_id,
            SyncCursor.kind == "trades",
            SyncCursor.key == symbol,
        )
    ).first()


def _count_trades(db, account_id):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(
        select(func.count()).select_from(Trade).where(Trade.exchange_account_id == account_id)
    ).one()


def test_a_worker_killed_mid_sync_resumes_and_ends_with_the_same_rows(
    db, redis, make_sim, make_user, add_account, run_worker, rows_of
):
    from rq.registry import StartedJobRegistry

    from exstrat_app.infra.queue import get_queue
    from simexchange import large_dataset

    # 3 symbols x ~4000 trades: ASSET1/USDT's ids start at 2,000,000, so its second page is
    # asked with fromId=2001000. That request hangs (the worker waits on it) and the worker
    # is killed there: ASSET0 is complete, ASSET1 has one page, ASSET2 nothing.
    sim = make_sim(large_dataset(n_trades=12_000, n_symbols=3, seed=11))
    sim.inject_fault("timeout", count=1, path_contains="fromId=2001000", delay=60)
    user, other = make_user(), make_user("bob@example.com")
    killed, clean = add_account(user), add_account(other)

    scheduling.request_sync(db, user_id=user.id, account_id=killed.id, redis=redis)
    worker = subprocess.Popen(
        [sys.executable, "-m", "exstrat_app", "worker", "--burst", "--queues", "ingest"],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,  # its own group: the forked work-horse dies with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not sim.requests_log("fromId=2001000") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sim.requests_log("fromId=2001000"), "the worker never reached the hanging page"
        # The fetching thread asks for page 2 while the writer stores page 1 (issue 17's
        # pipeline): kill once page 1 is committed with its cursor, the request still hanging.
        while not _cursor_of(db, killed.id, "ASSET1/USDT") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _cursor_of(db, killed.id, "ASSET1/USDT"), "ASSET1's first page never stored"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    partial = _count_trades(db, killed.id)
    assert 1000 < partial < 12_000  # ASSET0 done + ASSET1's first page, committed
    db.expire_all()
    assert db.get(ExchangeAccount, killed.id).status == "syncing"  # as the dead run left it

    # While the dead job still looks "started", a new request does not start a second run...
    assert scheduling.request_sync(db, user_id=user.id, account_id=killed.id, redis=redis)
    assert get_queue("ingest", connection=redis).count == 0
    # ...RQ gives an abandoned job up once its heartbeat expires (~90 s): jump ahead.
    StartedJobRegistry(queue=get_queue("ingest", connection=redis)).cleanup(
        timestamp=time.time() + 3600
    )
    sim.clear_faults()
    sim.reset_counts()
    scheduling.request_sync(db, user_id=user.id, account_id=killed.id, redis=redis)
    run_worker()

    db.expire_all()
    assert db.get(ExchangeAccount, killed.id).status == "connected"
    # Resumed: ASSET0 was not walked again from the start, ASSET1 went on after its page.
    assert min(_from_ids(sim, "ASSET0USDT")) > 1_000_000
    assert _from_ids(sim, "ASSET1USDT")[0] == 2_001_000
    assert _from_ids(sim, "ASSET2USDT")[0] == 0

    assert runner.sync_account(clean.id, env=sync_env(redis, rate_limit=False))
    assert rows_of(killed.id) == rows_of(clean.id)
    assert _count_trades(db, killed.id) == 12_000


def test_rotate_all_keys_reseals_rows_sealed_with_an_old_key(
    db, sim, make_user, add_account, monkeypatch
):
    from exstrat_app.infra.crypto import SecretBox
    from exstrat_app.settings import get_settings

    user = make_user()
    account = add_account(user)
    old_key_id = SecretBox.from_settings().current_key_id
    old_key = os.environ["ENCRYPTION_KEY"]

    monkeypatch.setenv("ENCRYPTION_KEY", "22" * 32)
    monkeypatch.setenv("ENCRYPTION_OLD_KEYS", old_key)
    get_settings.cache_clear()
    try:
        sessions, box = bootstrap.session_factory(db.get_bind()), SecretBox.from_settings()
        assert key_rotation.rotate_all_keys(sessions, box) == 1
        assert key_rotation.rotate_all_keys(sessions, box) == 0  # nothing left to do
        db.expire_all()
        row = db.get(ExchangeAccount, account.id)
        assert row.key_id == SecretBox.from_settings().current_key_id != old_key_id
        # Readable with the new key alone.
        monkeypatch.delenv("ENCRYPTION_OLD_KEYS")
        get_settings.cache_clear()
        creds = sealing.credentials_for(row, SecretBox.from_settings())
        assert (creds.api_key, creds.secret) == ("sim-binance-readonly", "sim-binance-secret")
    finally:
        get_settings.cache_clear()


def test_sealed_secrets_are_bound_to_their_row(db, sim, make_user, add_account):
    import pytest

    from exstrat_app.infra.crypto import SecretUnreadable

    first = add_account(make_user())
    second = add_account(make_user("bob@example.com"))
    # A ciphertext copied onto another account does not open there.
    second.api_secret_enc = first.api_secret_enc
    with pytest.raises(SecretUnreadable):
        sealing.credentials_for(second, SecretBox.from_settings())


def test_deleting_an_account_removes_its_data_and_rebuilds_positions(
    db, redis, sim, make_user, add_account
):
    from exstrat_app.services.errors import NotFound

    user = make_user()
    binance, coinbase = add_account(user, "binance"), add_account(user, "coinbase")
    assert runner.sync_account(binance.id, env=sync_env(redis, rate_limit=False))
    assert runner.sync_account(coinbase.id, env=sync_env(redis, rate_limit=False))
    db.expire_all()
    eth = db.exec(select(Position).where(Position.asset == "ETH")).one()
    assert eth.quantity == Decimal("4.7985")  # 3.999 on Binance + 0.7995 on Coinbase
    other = make_user("mallory@example.com")

    try:
        accounts.delete_account(db, user_id=other.id, account_id=binance.id)
        raise AssertionError("another user deleted the account")
    except NotFound:
        pass
    accounts.delete_account(db, user_id=user.id, account_id=binance.id)
    db.commit()  # the caller owns the unit of work

    db.expire_all()
    for model in (Balance, Trade, Transfer, SyncCursor):
        left = db.exec(select(model).where(model.exchange_account_id == binance.id)).all()
        assert left == [], model
    positions = {p.asset: p for p in db.exec(select(Position)).all()}
    # Only Coinbase remains: ETH 0.7995, BTC 0.08, USD; no BNB or USDT any more.
    assert set(positions) == {"ETH", "BTC", "USD"}
    assert positions["ETH"].quantity == positions["ETH"].computed_qty


def test_a_demo_account_never_reaches_a_real_exchange(db: Any, monkeypatch: Any) -> None:
    """A demo account with the exchange URL pointing anywhere but this machine ends in
    `error` before any request is made."""
    from exstrat_app.infra.crypto import SecretBox
    from exstrat_app.models import ExchangeAccount, User
    from exstrat_app.settings import get_settings

    user = User(email="demo-guard@example.com", password_hash="x")
    db.add(user)
    db.commit()
    box = SecretBox.from_settings()
    account = ExchangeAccount(
        user_id=user.id, exchange="binance", key_id=box.current_key_id, is_demo=True,
        api_key_enc=b"", api_secret_enc=b"",
    )  # fmt: skip
    account.api_key_enc = box.seal("sim-binance-readonly", row_id=account.id, column="api_key")
    account.api_secret_enc = box.seal("sim-binance-secret", row_id=account.id, column="api_secret")
    db.add(account)
    db.commit()
    monkeypatch.setattr(get_settings(), "binance_url", "https://api.binance.com")
    assert runner.sync_account(account.id, env=sync_env()) is False
    db.expire_all()
    stored = db.get(ExchangeAccount, account.id)
    assert stored.status == "error"
    assert "simulated exchange" in stored.last_error


def test_a_failed_rebuild_after_a_deletion_leaves_the_deletion_standing(
    db, sim, make_user, add_account, monkeypatch
):
    """The rebuild runs in a savepoint: what it wrote before failing is undone, the deletion
    is committed by the caller all the same (the next sync rebuilds the positions)."""
    user = make_user()
    account = add_account(user)

    def failing_rebuild(session: Any, user_id: str, **_: Any) -> None:
        session.add(Position(user_id=user_id, asset="HALF", quantity=1, computed_qty=1,
                             cost_basis=0, realized_pnl=0, unknown_cost_qty=0))  # fmt: skip
        session.flush()
        raise RuntimeError("the price history is unreachable")

    monkeypatch.setattr(accounts, "recompute_for_user", failing_rebuild)
    accounts.delete_account(db, user_id=user.id, account_id=account.id)
    db.commit()

    with Session(db.get_bind()) as other:  # what another connection sees: committed
        assert other.get(ExchangeAccount, account.id) is None
        assert other.exec(select(Position).where(Position.asset == "HALF")).all() == []

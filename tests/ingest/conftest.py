"""Fixtures for the ingestion tests: the simulated exchange (real HTTP, real ccxt), users,
accounts added through the service, and a real RQ worker run in burst mode in this process.

Environment changes go through `monkeypatch` plus `get_settings.cache_clear()`, so a test's
EXSTRAT_BINANCE_URL / EXSTRAT_COINBASE_URL never leak into other packages; subprocess
workers inherit them from os.environ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Deposits/withdrawals are walked from here (small_dataset starts 2024-01-05): fewer windows.
HISTORY_START = "2024-01-01"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff of a few milliseconds (Retry-After is still honoured): the retry budget is
    spent quickly in tests that exhaust it."""
    from tenacity import wait_fixed

    from exstrat_app.infra.exchanges import retry

    monkeypatch.setattr(retry, "_backoff", wait_fixed(0.01))


def _start_sim(dataset: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from exstrat_app.settings import get_settings
    from simexchange import SimExchange

    sim = SimExchange(dataset)
    url = sim.start()
    monkeypatch.setenv("EXSTRAT_BINANCE_URL", url)
    monkeypatch.setenv("EXSTRAT_COINBASE_URL", url)
    monkeypatch.setenv("EXSTRAT_HISTORY_START", HISTORY_START)
    get_settings.cache_clear()
    return sim


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, redis: Any) -> Iterator[Any]:
    """small_dataset served over HTTP; both exchanges' URLs point at it."""
    from exstrat_app.settings import get_settings
    from simexchange import small_dataset

    server = _start_sim(small_dataset(), monkeypatch)
    yield server
    server.stop()
    get_settings.cache_clear()


@pytest.fixture
def make_sim(monkeypatch: pytest.MonkeyPatch, redis: Any) -> Iterator[Callable[[Any], Any]]:
    """Start a simulator on any dataset (one per test)."""
    from exstrat_app.settings import get_settings

    started: list[Any] = []

    def _make(dataset: Any) -> Any:
        server = _start_sim(dataset, monkeypatch)
        started.append(server)
        return server

    yield _make
    for server in started:
        server.stop()
    get_settings.cache_clear()


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    from exstrat_app.models import User

    def _make(email: str = "alice@example.com") -> Any:
        user = User(email=email, password_hash="not-a-real-hash")
        db.add(user)
        db.commit()
        return user

    return _make


@pytest.fixture
def add_account(db: Any, redis: Any) -> Callable[..., Any]:
    """Add an account through the real service (key checked against the simulator), commit
    it (the service leaves that to its caller) and return its row."""
    from exstrat_app.infra.crypto import SecretBox
    from exstrat_app.models import ExchangeAccount
    from exstrat_app.services.exchanges import accounts
    from simexchange import (
        BINANCE_READONLY_KEY,
        BINANCE_READONLY_SECRET,
        COINBASE_READONLY_KEY,
        COINBASE_READONLY_SECRET,
    )

    keys = {
        "binance": (BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET),
        "coinbase": (COINBASE_READONLY_KEY, COINBASE_READONLY_SECRET),
    }

    def _add(user: Any, exchange: str = "binance", **overrides: Any) -> Any:
        key, secret = keys[exchange]
        added = accounts.add_account(
            db,
            SecretBox.from_settings(),
            user_id=user.id,
            exchange=exchange,
            api_key=overrides.pop("api_key", key),
            api_secret=overrides.pop("api_secret", secret),
            **overrides,
        )
        db.commit()
        return db.get(ExchangeAccount, added.id)

    return _add


def sync_env(redis: Any = None, *, rate_limit: bool = True, engine: Any = None) -> Any:
    """A sync's dependencies as the ingest job builds them (this test's database, Redis and
    settings as they are now); `engine` puts its sessions on another database engine."""
    from dataclasses import replace

    from exstrat_app import bootstrap
    from exstrat_app.infra.crypto import SecretBox
    from jobs.ingest import sync_env as job_sync_env

    env = job_sync_env(redis=redis, rate_limit=rate_limit)
    # The box as the settings are now (a test may have just changed ENCRYPTION_KEY).
    env = replace(env, box=SecretBox.from_settings(), redis=redis)
    return replace(env, sessions=bootstrap.session_factory(engine)) if engine is not None else env


@pytest.fixture
def run_worker(redis: Any) -> Callable[[], None]:
    """Run a real RQ worker on the ingest queue until it is empty (the chained steps
    included: each step enqueues the next one before it ends)."""
    from rq import SimpleWorker

    from exstrat_app.infra.queue import get_queue

    def _run() -> None:
        queue = get_queue("ingest", connection=redis)
        SimpleWorker([queue], connection=redis).work(burst=True, logging_level="WARNING")

    return _run


@pytest.fixture
def rows_of(db: Any) -> Callable[[str], dict[str, Any]]:
    """Everything ingested for an account, as comparable sets (ids and fetch times left out)."""
    from sqlmodel import select

    from exstrat_app.models import Balance, Trade, Transfer

    def _rows(account_id: str) -> dict[str, Any]:
        db.expire_all()
        trades = db.exec(select(Trade).where(Trade.exchange_account_id == account_id)).all()
        transfers = db.exec(
            select(Transfer).where(Transfer.exchange_account_id == account_id)
        ).all()
        balances = db.exec(select(Balance).where(Balance.exchange_account_id == account_id)).all()
        return {
            "trades": {_trade_key(t) for t in trades},
            "transfers": {
                (t.type, t.exchange_transfer_id, t.asset, t.amount, t.fee_cost, t.status, t.ts)
                for t in transfers
            },
            "balances": {(b.asset, b.free, b.locked) for b in balances},
        }

    return _rows


def _trade_key(t: Any) -> tuple[Any, ...]:
    return (
        t.symbol,
        t.exchange_trade_id,
        t.side,
        t.price,
        t.amount,
        t.cost,
        t.fee_asset,
        t.fee_cost,
        t.ts,
    )


@pytest.fixture
def client(db: Any, redis: Any) -> Iterator[Any]:
    """A same-origin API client (sends `Origin`, as a browser does on POST/DELETE)."""
    from fastapi.testclient import TestClient

    from exstrat_app.api import create_api

    base = "http://testserver"
    with TestClient(create_api(), base_url=base, headers={"Origin": base}) as c:
        yield c


def sign_in(client: Any, user_id: str) -> None:
    """A valid session cookie for the user (no password check needed here)."""
    from exstrat_app.services.auth import issue_session_token
    from exstrat_app.settings import get_settings

    client.cookies.set("exstrat_session", issue_session_token(get_settings(), user_id=user_id))

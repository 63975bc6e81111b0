"""The Exchanges page's handlers, driven directly (Reflex states can be built under pytest),
with the real services behind them: the simulated exchange checks the key, the test database
stores it. What is checked here is what the person sees when the job queue is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis import Redis
from rq.job import Job
from sqlmodel import select

from exstrat_app import bootstrap
from exstrat_app.models import ExchangeAccount
from exstrat_app.state import base as state_base
from exstrat_app.state import exchanges as exchanges_state
from exstrat_app.state.exchanges import ExchangesState
from simexchange import BINANCE_READONLY_KEY, BINANCE_READONLY_SECRET
from tests.asyncrun import run as run_coroutine

FORM = {
    "api_key": BINANCE_READONLY_KEY,
    "api_secret": BINANCE_READONLY_SECRET,
    "api_pass": "",
    "nickname": "main",
}


def new_state() -> ExchangesState:
    return ExchangesState(_reflex_internal_init=True)  # type: ignore[call-arg]


async def drain(handler: AsyncIterator[Any]) -> list[Any]:
    """Run an event handler that yields to its end; what it yielded, in order."""
    return [event async for event in handler]


@pytest.fixture
def signed_in(make_user: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A user the handlers take as signed in (the cookie check is the session state's)."""
    user = make_user()

    async def current_user_id(_state: Any) -> str:
        return user.id

    monkeypatch.setattr(exchanges_state, "current_user_id", current_user_id)
    monkeypatch.setattr(state_base, "current_user_id", current_user_id)  # load_for_user's
    return user


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The handlers' Redis is unreachable (nothing listens on port 1)."""
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(bootstrap, "redis", lambda: down)


def stored_accounts(db: Any) -> list[ExchangeAccount]:
    db.expire_all()
    return list(db.exec(select(ExchangeAccount)).all())


def test_connecting_starts_the_first_sync(db, redis, sim, signed_in) -> None:
    state = new_state()
    run_coroutine(drain(ExchangesState.add.fn(state, dict(FORM))))

    assert (state.add_error, state.add_fields, state.adding) == ("", {}, False)
    assert state.add_result == "main: the read-only key works. The first sync has started."
    [account] = stored_accounts(db)
    assert account.user_id == signed_in.id and account.nickname == "main"
    assert Job.exists(f"ingest-binance-{account.id}-balances-0", connection=redis)
    assert account.id in state._requested  # shown as queued until a worker takes it


def test_connecting_with_the_queue_down_keeps_the_account_and_says_so(
    db, sim, signed_in, redis_down
) -> None:
    """The key was checked and is valid: it is stored (committed before the sync is asked
    for) and the page says the sync did not start, instead of failing with an exception."""
    state = new_state()
    events = run_coroutine(drain(ExchangesState.add.fn(state, dict(FORM))))

    assert state.adding is False
    assert (state.add_error, state.add_fields) == ("", {})
    assert state.add_result == exchanges_state.SYNC_NOT_STARTED.format(name="main")
    assert "saved" in state.add_result and "could not start" in state.add_result
    [account] = stored_accounts(db)
    assert account.user_id == signed_in.id and account.status == "connected"
    assert state._requested == {}  # no run claimed to be queued
    assert events[-1] is ExchangesState.load  # the list is read again, with the new account


def test_sync_now_with_the_queue_down_shows_a_message(db, sim, signed_in, add_account) -> None:
    account = add_account(signed_in)
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    state = new_state()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bootstrap, "redis", lambda: down)
        toast = run_coroutine(ExchangesState.sync_now.fn(state, account.id))
    assert exchanges_state.QUEUE_DOWN in str(toast)
    assert state._requested == {}


def test_load_shows_the_accounts_as_rows(db, sim, signed_in, add_account) -> None:
    account = add_account(signed_in, nickname="main")
    state = new_state()
    assert run_coroutine(ExchangesState.load.fn(state)) is None  # nothing syncing: no watch

    assert (state.loaded, state.loading, state.error) == (True, False, "")
    [row] = state.accounts
    assert row["id"] == account.id and row["nickname"] == "main"
    assert (row["exchange"], row["status"], row["status_text"]) == (
        "Binance (spot)",
        "connected",
        "Connected",
    )
    assert (row["last_sync"], row["progress_text"], row["demo"]) == ("never", "starting…", "")


def test_a_syncing_row_shows_the_time_left_beside_the_progress(
    db, sim, signed_in, add_account
) -> None:
    account = add_account(signed_in, nickname="main")
    account.status, account.progress_done, account.progress_total = "syncing", 3, 10
    account.progress_eta_s = 75
    db.add(account)
    db.commit()
    state = new_state()
    run_coroutine(ExchangesState.load.fn(state))
    [row] = state.accounts
    assert row["progress"] == "30"
    assert row["progress_text"] == "3 of 10 parts done · about 1 min 15 s left"

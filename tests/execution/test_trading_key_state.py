"""The Exchanges page's trading-key handlers, driven directly (Reflex states can be built
under pytest) with the real service behind them: the simulated Binance answers the key's
apiRestrictions, the test database stores it sealed. Adding and removing it need the
password. Neither the secret nor the password is kept in a state var."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from exstrat_app.models import TradingKey
from exstrat_app.state import base as state_base
from exstrat_app.state import trading_key as trading_key_state
from exstrat_app.state.trading_key import TradingKeyState
from simexchange import BINANCE_TRADING_KEY, BINANCE_TRADING_SECRET, SimExchange
from tests.asyncrun import run as run_coroutine
from tests.execution.test_confirm import PASSWORD, with_password


def new_state() -> TradingKeyState:
    return TradingKeyState(_reflex_internal_init=True)  # type: ignore[call-arg]


async def drain(handler: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in handler]


@pytest.fixture
def signed_in(db: Any, alice: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    with_password(db, alice)

    async def current_user_id(_state: Any) -> str:
        return alice.id

    monkeypatch.setattr(trading_key_state, "current_user_id", current_user_id)
    monkeypatch.setattr(state_base, "current_user_id", current_user_id)
    return alice


def form(account_id: str) -> dict[str, str]:
    return {
        "account_id": account_id,
        "tk_api_key": BINANCE_TRADING_KEY,
        "tk_api_secret": BINANCE_TRADING_SECRET,
        "tk_password": PASSWORD,
    }


def stored(db: Any) -> list[TradingKey]:
    db.expire_all()
    return list(db.exec(select(TradingKey)).all())


def no_secret_in(state: TradingKeyState) -> bool:
    seen = repr(state.dict()) + repr(vars(state))
    return BINANCE_TRADING_SECRET not in seen and PASSWORD not in seen


def test_a_key_that_can_withdraw_is_refused_with_the_box_named(
    db: Any, sim: SimExchange, account: Any, signed_in: Any
) -> None:
    sim.dataset.accounts[BINANCE_TRADING_KEY].permissions["enableWithdrawals"] = True
    state, submitted = new_state(), form(account.id)

    run_coroutine(drain(TradingKeyState.save.fn(state, submitted)))

    assert "can withdraw or transfer funds" in state.errors[account.id]
    assert "untick 'Enable Withdrawals'" in state.errors[account.id]
    assert state.saving == "" and account.id not in state.keys
    assert submitted == {}  # the form's values are dropped after the call
    assert stored(db) == [] and no_secret_in(state)


def test_a_trade_only_key_is_saved_shown_ok_then_removed(
    db: Any, sim: SimExchange, account: Any, signed_in: Any
) -> None:
    state = new_state()
    run_coroutine(drain(TradingKeyState.save.fn(state, form(account.id))))

    assert state.errors[account.id] == ""
    assert state.keys[account.id]["status"] == "ok"
    assert state.keys[account.id]["detail"].startswith("checked at ")
    [row] = stored(db)
    assert row.status == "ok" and BINANCE_TRADING_SECRET.encode() not in row.api_secret_enc
    assert no_secret_in(state)

    fresh = new_state()
    run_coroutine(TradingKeyState.load.fn(fresh))
    assert fresh.keys == {account.id: state.keys[account.id]}

    wrong = {"account_id": account.id, "password": "not my password"}
    run_coroutine(TradingKeyState.remove.fn(state, wrong))
    assert state.errors[account.id].startswith("That is not your password")
    assert wrong == {} and len(stored(db)) == 1  # still there; the form's values dropped

    right = {"account_id": account.id, "password": PASSWORD}
    run_coroutine(TradingKeyState.remove.fn(state, right))
    assert state.keys[account.id]["status"] == "none" and state.errors[account.id] == ""
    assert stored(db) == [] and no_secret_in(state)


def test_a_key_without_the_right_password_is_not_sent_to_the_exchange(
    db: Any, sim: SimExchange, account: Any, signed_in: Any
) -> None:
    sim.reset_counts()
    state = new_state()
    for password, words in (("", "Enter your password"), ("nope", "That is not your password")):
        submitted = {**form(account.id), "tk_password": password}
        run_coroutine(drain(TradingKeyState.save.fn(state, submitted)))
        assert state.errors[account.id].startswith(words)
        assert submitted == {} and no_secret_in(state)
    assert sim.request_count("/sapi/v1/account/apiRestrictions") == 0
    assert stored(db) == []


def test_too_long_a_secret_is_refused_before_the_exchange(
    db: Any, sim: SimExchange, account: Any, signed_in: Any
) -> None:
    sim.reset_counts()
    state = new_state()
    long_form = {**form(account.id), "tk_api_secret": "x" * 100_000}

    run_coroutine(drain(TradingKeyState.save.fn(state, long_form)))

    assert state.errors[account.id].startswith("Some fields are invalid: api secret must be")
    assert sim.request_count("/sapi/v1/account/apiRestrictions") == 0
    assert stored(db) == []


def test_another_users_account_is_not_found(db: Any, sim: SimExchange, signed_in: Any) -> None:
    state = new_state()
    run_coroutine(drain(TradingKeyState.save.fn(state, form("not-an-account"))))
    assert state.errors["not-an-account"] == "No such exchange account."
    assert stored(db) == []

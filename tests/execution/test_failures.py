"""Failures leave the step triggered with the reason in words: balance, market filters, a key
that can withdraw (refused at entry, and before the next order when its rights change)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from exstrat_app.models import TradingKey
from exstrat_app.services.errors import ExchangeRejected
from exstrat_app.services.execution.placement import execute_step
from exstrat_app.services.execution.trading_keys import set_trading_key
from simexchange import (
    BINANCE_READONLY_KEY,
    BINANCE_READONLY_SECRET,
    BINANCE_TRADING_KEY,
    BINANCE_WITHDRAW_KEY,
    BINANCE_WITHDRAW_SECRET,
    SimExchange,
)
from tests.execution.conftest import order_of, seed_strategy, steps_of, trigger

D = Decimal


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [
        (
            BINANCE_WITHDRAW_KEY,
            BINANCE_WITHDRAW_SECRET,
            "This trading key can withdraw or transfer funds. Edit it on Binance (API "
            "Management) and untick 'Enable Withdrawals' and 'Enable Internal Transfer' and "
            "'Permits Universal Transfer': exstrat never holds such a key.",
        ),
        (
            BINANCE_READONLY_KEY,
            BINANCE_READONLY_SECRET,
            "This key cannot trade spot. Edit it on Binance (API Management) and tick "
            "'Enable Spot & Margin Trading'.",
        ),
    ],
)
def test_a_key_that_can_withdraw_or_cannot_trade_is_refused_at_entry(
    db: Any, box: Any, alice: Any, account: Any, key: str, secret: str, message: str
) -> None:
    with pytest.raises(ExchangeRejected) as refused:
        set_trading_key(
            db, box, user_id=alice.id, account_id=account.id, api_key=key, api_secret=secret
        )
    assert refused.value.message == message
    assert db.exec(select(TradingKey)).all() == []


@dataclass
class Fired:
    """The seed strategy on alice's account in auto mode, its first step fired at 2200."""

    db: Any
    sim: SimExchange
    strategy: Any
    first: Any
    engine: Any
    redis: Any
    box: Any

    def execute(self) -> Any:
        return execute_step(self.engine, self.redis, self.box, self.first.id)

    def state(self) -> str:
        return str(steps_of(self.db, self.strategy.id)[0].state)


@pytest.fixture
def fired(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> Fired:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    return Fired(db, sim, strategy, first, engine, redis, box)


def test_rights_added_later_are_refused_before_the_next_order(fired: Fired) -> None:
    sim, db = fired.sim, fired.db
    # The person ticks "Enable Withdrawals" on the exchange after adding the key.
    sim.dataset.accounts[BINANCE_TRADING_KEY].permissions["enableWithdrawals"] = True
    sim.reset_counts()

    outcome = fired.execute()

    assert outcome.status == "failed"
    assert "can withdraw or transfer funds" in (outcome.reason or "")
    assert sim.request_count("/api/v3/order") == 0  # checked, then nothing sent
    db.expire_all()
    key = db.exec(select(TradingKey)).one()
    assert key.status == "refused" and "Enable Withdrawals" in key.problem
    assert fired.state() == "triggered"


def test_a_revoked_key_is_explained(fired: Fired) -> None:
    del fired.sim.dataset.accounts[BINANCE_TRADING_KEY]  # deleted on the exchange

    outcome = fired.execute()

    assert outcome.status == "failed"
    assert outcome.reason == (
        "The trading key was refused: Binance rejected the API key or secret (wrong key, "
        "wrong secret, or IP not allowed)."
    )


def test_an_empty_balance_is_explained(fired: Fired) -> None:
    fired.sim.set_balance(BINANCE_TRADING_KEY, "ETH", "0.00003")  # below one lot step

    outcome = fired.execute()

    assert outcome.status == "failed"
    assert outcome.reason == "Not enough ETH on the account: 0.00003 free, the step sells 0.8."
    assert fired.sim.request_count("/api/v3/order") == 0
    assert fired.state() == "triggered"


def test_a_sale_under_the_minimum_order_value_is_explained_before_sending(fired: Fired) -> None:
    fired.sim.set_balance(BINANCE_TRADING_KEY, "ETH", "0.002")

    outcome = fired.execute()

    # 0.002 x 2200 = 4.4 USDT < the NOTIONAL filter's 5 USDT
    assert outcome.reason == (
        "0.002 ETH at 2200 is worth 4.4 USDT, below the market's minimum order value of 5 USDT."
    )
    assert fired.sim.request_count("/api/v3/order") == 0


def test_a_refusal_by_the_exchange_itself_is_explained(fired: Fired) -> None:
    """The balance moved between our check and the order: Binance's -2010 in words."""
    sim = fired.sim
    original = sim.binance.orders.new_order

    def drained(req: Any) -> Any:
        sim.set_balance(BINANCE_TRADING_KEY, "ETH", "0.1")
        return original(req)

    sim.binance.orders.new_order = drained  # type: ignore[method-assign]
    outcome = fired.execute()

    assert outcome.status == "failed"
    assert outcome.reason == "Binance says the balance is too small for this sale."
    assert order_of(fired.db, fired.first.id).exchange_order_id is None


def test_deleting_the_account_removes_its_trading_key_and_keeps_its_orders(
    fired: Fired, alice: Any, account: Any
) -> None:
    from exstrat_app.services.exchanges.accounts import delete_account

    db = fired.db
    assert fired.execute().status == "open"
    delete_account(db, user_id=alice.id, account_id=account.id)
    db.commit()
    assert db.exec(select(TradingKey)).all() == []
    order = order_of(db, fired.first.id)
    assert order.status == "open" and order.exchange_account_id is None

"""Coinbase orders through real ccxt against the simulated Advanced Trade API: the auto flow
ends in a filled order and a done step, a key that can transfer is refused (at entry and
before the next order), a lost answer is never placed twice, a refusal is explained, and a
partially filled order keeps its step triggered until the rest fills (or records what filled
when it is cancelled)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from exstrat_app.infra import exchanges as xa
from exstrat_app.models import Strategy, StrategyExecution, TradingKey
from exstrat_app.services.errors import ExchangeRejected
from exstrat_app.services.execution.exchange_side import default_instance, instance_for
from exstrat_app.services.execution.lifecycle import track_orders
from exstrat_app.services.execution.placement import execute_step
from exstrat_app.services.execution.trading_keys import set_trading_key
from simexchange import (
    COINBASE_READONLY_KEY,
    COINBASE_READONLY_SECRET,
    COINBASE_TRADING_KEY,
    COINBASE_TRADING_SECRET,
    COINBASE_TRANSFER_KEY,
    COINBASE_TRANSFER_SECRET,
    SimExchange,
)
from tests.execution.conftest import audit_of, order_of, seed_strategy, steps_of, trigger

D = Decimal
TRANSFER_REFUSAL = (
    "This trading key can transfer funds. Edit it in the Coinbase Developer Platform (API "
    "keys) and untick 'Transfer': exstrat never holds such a key."
)


@pytest.fixture
def cb(sim: SimExchange, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimExchange]:
    """The same sim as Coinbase: ETH/USD at 2000, 0.7995 ETH available on the account."""
    from exstrat_app.settings import get_settings

    sim.set_price("ETH/USD", "2000")
    monkeypatch.setenv("EXSTRAT_COINBASE_URL", sim.url)
    get_settings.cache_clear()
    yield sim
    get_settings.cache_clear()


@pytest.fixture
def cb_account(db: Any, box: Any, alice: Any, cb: SimExchange) -> Any:
    from exstrat_app.models import ExchangeAccount, new_id
    from exstrat_app.services.exchanges.sealing import sealed_columns

    account_id = new_id()
    creds = xa.Credentials(api_key=COINBASE_READONLY_KEY, secret=COINBASE_READONLY_SECRET)
    row = ExchangeAccount(
        id=account_id, user_id=alice.id, exchange="coinbase", key_id=box.current_key_id,
        **sealed_columns(box, account_id=account_id, credentials=creds),
    )  # fmt: skip
    db.add(row)
    db.commit()
    return row


@pytest.fixture
def cb_key(db: Any, box: Any, alice: Any, cb_account: Any) -> Any:
    view = set_trading_key(
        db, box, user_id=alice.id, account_id=cb_account.id,
        api_key=COINBASE_TRADING_KEY, api_secret=COINBASE_TRADING_SECRET,
    )  # fmt: skip
    db.commit()
    return view


def cb_strategy(db: Any, user_id: str, account_id: str) -> Any:
    strategy = seed_strategy(db, user_id, account_id, "auto")
    db.execute(update(Strategy).where(col(Strategy.id) == strategy.id).values(quote="USD"))
    db.commit()
    return strategy


def cb_orders(sim: SimExchange) -> list[Any]:
    return sim.coinbase.orders.orders_of(sim.dataset.accounts[COINBASE_TRADING_KEY])


def test_auto_flow_on_coinbase_ends_filled_and_the_step_done(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    strategy = cb_strategy(db, alice.id, cb_account.id)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "open"
    order = order_of(db, first.id)
    # 0.8 clipped to the 0.7995 ETH available (base_increment 0.00000001), at the 2200 target
    assert (order.symbol, order.qty, order.price) == ("ETH/USD", D("0.7995"), D("2200"))
    [placed] = cb_orders(cb)
    assert placed.client_order_id == order.client_order_id == f"xs-{first.id}"
    assert order.exchange_order_id == placed.order_id

    cb.set_price("ETH/USD", "2250")
    report = track_orders(engine, redis, box)

    assert report.filled == [order.id]
    order = order_of(db, first.id)
    assert (order.status, order.filled_qty, order.avg_fill_price) == (
        "filled", D("0.7995"), D("2200"),
    )  # fmt: skip
    assert steps_of(db, strategy.id)[0].state == "done"
    assert [a.action for a in audit_of(db, order.id)] == ["check_key", "place", "status"]
    for row in audit_of(db, order.id):
        assert COINBASE_TRADING_KEY not in row.request + row.response
        assert "BEGIN EC PRIVATE KEY" not in row.request + row.response


def test_a_key_that_can_transfer_is_refused_at_entry(
    db: Any, box: Any, alice: Any, cb_account: Any
) -> None:
    with pytest.raises(ExchangeRejected) as refused:
        set_trading_key(
            db, box, user_id=alice.id, account_id=cb_account.id,
            api_key=COINBASE_TRANSFER_KEY, api_secret=COINBASE_TRANSFER_SECRET,
        )  # fmt: skip
    assert refused.value.message == TRANSFER_REFUSAL
    assert db.exec(select(TradingKey)).all() == []


def test_transfer_rights_added_later_are_refused_before_the_next_order(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    strategy = cb_strategy(db, alice.id, cb_account.id)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    cb.dataset.accounts[COINBASE_TRADING_KEY].permissions["can_transfer"] = True
    cb.reset_counts()

    outcome = execute_step(engine, redis, box, first.id)

    assert (outcome.status, outcome.reason) == ("failed", TRANSFER_REFUSAL)
    assert cb.request_count("/api/v3/brokerage/orders") == 0
    db.expire_all()
    assert db.exec(select(TradingKey)).one().status == "refused"
    assert steps_of(db, strategy.id)[0].state == "triggered"


def test_a_lost_answer_on_coinbase_is_looked_up_not_placed_twice(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    strategy = cb_strategy(db, alice.id, cb_account.id)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    cb.coinbase.orders.drop_responses(1)

    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "open"
    assert len(cb_orders(cb)) == 1
    posts = [r for r in cb.requests_log("/api/v3/brokerage/orders") if r.startswith("POST")]
    assert len(posts) == 1
    order = order_of(db, first.id)
    assert order.exchange_order_id == cb_orders(cb)[0].order_id
    assert [a.action for a in audit_of(db, order.id)] == ["check_key", "place", "lookup"]
    assert execute_step(engine, redis, box, first.id).status == "open"
    assert len(cb_orders(cb)) == 1


def test_insufficient_balance_on_coinbase_is_explained(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    """The balance moved between our check and the order: INSUFFICIENT_FUND in words."""
    strategy = cb_strategy(db, alice.id, cb_account.id)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    original = cb.coinbase.orders.create

    def drained(req: Any) -> Any:
        cb.set_balance(COINBASE_TRADING_KEY, "ETH", "0.1")
        return original(req)

    cb.coinbase.exact["/api/v3/brokerage/orders"] = drained
    outcome = execute_step(engine, redis, box, first.id)

    assert outcome.status == "failed"
    assert outcome.reason == "Coinbase says the balance is too small for this sale."
    assert cb_orders(cb) == []
    assert steps_of(db, strategy.id)[0].state == "triggered"


def _place_resting(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, user_id: str, account_id: str
) -> tuple[Any, Any, Any, Any]:
    """Alice's first step triggered at 2,200 and its limit sell resting on the simulated
    Coinbase: (strategy, step, the sim's account, the sim's order)."""
    strategy = cb_strategy(db, user_id, account_id)
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    assert execute_step(engine, redis, box, first.id).status == "open"
    [placed] = cb_orders(cb)
    return strategy, first, cb.dataset.accounts[COINBASE_TRADING_KEY], placed


def test_a_partial_fill_keeps_the_step_triggered_until_the_rest_fills(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    strategy, first, acct, placed = _place_resting(
        db, engine, redis, box, cb, alice.id, cb_account.id
    )

    cb.coinbase.orders.fill(acct, placed.order_id, "0.3")  # first part, at the 2200 limit
    track_orders(engine, redis, box)

    order = order_of(db, first.id)
    assert (order.status, order.filled_qty, order.avg_fill_price) == (
        "partially_filled", D("0.3"), D("2200"),
    )  # fmt: skip
    assert steps_of(db, strategy.id)[0].state == "triggered"

    cb.coinbase.orders.fill(acct, placed.order_id, "0.4995", price=D("2210"))  # the rest
    report = track_orders(engine, redis, box)

    assert report.filled == [order.id]
    order = order_of(db, first.id)
    # (0.3 x 2200 + 0.4995 x 2210) / 0.7995 = 2206.2476547842...
    assert order.status == "filled" and order.filled_qty == D("0.7995")
    assert order.avg_fill_price.quantize(D("0.0001")) == D("2206.2477")
    assert steps_of(db, strategy.id)[0].state == "done"
    execution = db.exec(
        select(StrategyExecution).where(StrategyExecution.step_id == first.id)
    ).one()
    assert execution.executed_qty == D("0.7995")


def test_a_cancelled_partially_filled_order_records_what_filled(
    db: Any, engine: Any, redis: Any, box: Any, cb: SimExchange, alice: Any, cb_account: Any,
    cb_key: Any,
) -> None:  # fmt: skip
    strategy, first, acct, placed = _place_resting(
        db, engine, redis, box, cb, alice.id, cb_account.id
    )
    cb.coinbase.orders.fill(acct, placed.order_id, "0.25")
    order = order_of(db, first.id)
    instance, _, _, _ = instance_for(db, order, box, default_instance)
    assert instance is not None
    state, wire = xa.cancel_order(instance, "ETH/USD", placed.order_id)  # on the exchange
    assert state is not None and state.status == "cancelled" and wire.ok

    track_orders(engine, redis, box)

    order = order_of(db, first.id)
    assert (order.status, order.filled_qty, order.avg_fill_price) == (
        "cancelled", D("0.25"), D("2200"),
    )  # fmt: skip
    assert order.reason == "Cancelled on the exchange after 0.25 of 0.7995 filled (avg 2200)."
    assert steps_of(db, strategy.id)[0].state == "triggered"
    assert acct.balances["ETH"] == (D("0.5495"), D("0"))  # the rest is available again

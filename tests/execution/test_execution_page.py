"""What the strategy page shows of order execution (issue 15), read through the same service
the page's state calls: the mode, the trading key status (none / ok / refused: reason), each
step's order and its audit trail; and the mode change refused without the password."""

from __future__ import annotations

from typing import Any

import pytest

from exstrat_app.services.errors import NotFound, Unauthorized
from exstrat_app.services.execution.modes import set_execution_mode
from exstrat_app.services.execution.placement import execute_step
from exstrat_app.services.execution.summary import execution_summary
from exstrat_app.state.execution import key_text, order_row
from tests.execution.conftest import seed_strategy, steps_of, trigger


def test_summary_shows_mode_key_orders_and_audit(
    db: Any, engine: Any, redis: Any, box: Any, sim: Any, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "auto")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    sim.set_price("ETH/USDT", "2205")  # marketable: filled at once
    assert execute_step(engine, redis, box, first.id).status == "filled"

    summary = execution_summary(db, user_id=alice.id, strategy_id=strategy.id)
    assert (summary.mode, summary.paper, key_text(summary)) == ("auto", False, "ok")
    [order] = summary.orders
    row = order_row(order, {first.id: "1"})
    assert (row["step"], row["state"], row["filled"], row["qty"]) == ("1", "filled", "0.8", "0.8")
    assert row["exchange_id"] != "—" and row["avg_price"] == "2,205.00"
    assert [a.action for a in summary.audit[order.id]] == ["check_key", "place"]
    with pytest.raises(NotFound):
        execution_summary(db, user_id="someone-else", strategy_id=strategy.id)


def test_key_none_and_refused_and_the_password_is_asked(
    db: Any, sim: Any, alice: Any, account: Any
) -> None:
    strategy = seed_strategy(db, alice.id, account.id, "alert")
    assert key_text(execution_summary(db, user_id=alice.id, strategy_id=strategy.id)) == "none"
    with pytest.raises(Unauthorized) as refused:
        set_execution_mode(
            db, user_id=alice.id, strategy_id=strategy.id, mode="confirm", password="nope",
            paper=True,
        )  # fmt: skip
    assert refused.value.fields["password"].startswith("That is not your password")

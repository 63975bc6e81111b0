"""What the bell says next to a confirm alert (issue 15): "Confirm (N min left)" while the
order's window is open, "expired" after (before the periodic expiry has run too), then
"confirmed" or the order's own state once acted on; read from the order rows by step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import update
from sqlmodel import col

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Order
from exstrat_app.services.execution.confirm_status import (
    ConfirmStatus,
    ConfirmText,
    confirm_text,
    confirm_texts,
)
from exstrat_app.services.execution.lifecycle import confirm_step, track_orders
from exstrat_app.services.execution.placement import execute_step
from exstrat_app.state.feed import feed_row, with_confirm_texts
from simexchange import SimExchange
from tests.execution.conftest import order_of, seed_strategy, steps_of, trigger

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _waiting(minutes: float) -> ConfirmStatus:
    return ConfirmStatus("awaiting_confirmation", NOW + timedelta(minutes=minutes))


def test_minutes_left_round_up_and_the_window_end_is_expired() -> None:
    assert confirm_text(_waiting(15), NOW) == ConfirmText("Confirm (15 min left)", True)
    assert confirm_text(_waiting(14.01), NOW).text == "Confirm (15 min left)"
    assert confirm_text(_waiting(1), NOW).text == "Confirm (1 min left)"
    assert confirm_text(_waiting(0.01), NOW).text == "Confirm (1 min left)"
    assert confirm_text(_waiting(0), NOW) == ConfirmText("expired", False)
    assert confirm_text(_waiting(-3), NOW) == ConfirmText("expired", False)
    assert confirm_text(ConfirmStatus("awaiting_confirmation", None), NOW).text == "expired"


def test_an_acted_on_order_shows_its_state_and_no_button() -> None:
    def text(status: str) -> ConfirmText:
        return confirm_text(ConfirmStatus(status, NOW + timedelta(minutes=5)), NOW)

    assert text("expired") == ConfirmText("expired", False)
    assert text("pending") == ConfirmText("confirmed", False)
    assert text("sending") == ConfirmText("confirmed", False)
    assert text("open") == ConfirmText("open", False)
    assert text("partially_filled") == ConfirmText("partially filled", False)
    assert text("filled") == ConfirmText("filled", False)
    assert text("stopped") == ConfirmText("stopped", False)
    assert confirm_text(None, NOW) == ConfirmText("", False)  # no order for the step


def test_the_feed_rows_follow_the_order_row(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "confirm")
    first, second = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    assert execute_step(engine, redis, box, first.id).status == "awaiting_confirmation"
    pushed = feed_row(
        {"id": "n1", "kind": "order_confirm", "stepId": first.id, "strategyId": strategy.id}
    )
    assert (pushed["confirm"], pushed["canConfirm"]) == ("Confirm", "1")  # as pushed
    plain = feed_row({"id": "n2", "kind": "step_triggered", "stepId": second.id})

    def rows() -> list[dict[str, str]]:
        return with_confirm_texts(db, alice.id, [pushed, plain])

    with freeze_time(utcnow() + timedelta(minutes=3, seconds=30)):
        [row, other] = rows()
        assert (row["confirm"], row["canConfirm"]) == ("Confirm (12 min left)", "1")
        assert (other["confirm"], other["canConfirm"]) == ("", "")
    with freeze_time(utcnow() + timedelta(minutes=16)):  # the periodic expiry has not run
        assert (rows()[0]["confirm"], rows()[0]["canConfirm"]) == ("expired", "")
        assert track_orders(engine, redis, box).expired == 1
        assert rows()[0]["confirm"] == "expired"
    assert confirm_texts(db, user_id="someone-else", step_ids=[first.id]) == {
        first.id: ConfirmText("", False)  # another user's order is not read
    }


def test_a_confirmed_order_reads_confirmed(
    db: Any, engine: Any, redis: Any, box: Any, sim: SimExchange, alice: Any, account: Any,
    trading_key: Any,
) -> None:  # fmt: skip
    strategy = seed_strategy(db, alice.id, account.id, "confirm")
    first, _ = steps_of(db, strategy.id)
    trigger(db, first, "2200")
    execute_step(engine, redis, box, first.id)
    confirm_step(db, user_id=alice.id, strategy_id=strategy.id, step_id=first.id)
    db.commit()
    texts = confirm_texts(db, user_id=alice.id, step_ids=[first.id])
    assert texts[first.id] == ConfirmText("confirmed", False)
    order = order_of(db, first.id)
    db.execute(update(Order).where(col(Order.id) == order.id).values(status="filled"))
    db.commit()
    assert confirm_texts(db, user_id=alice.id, step_ids=[first.id])[first.id].text == "filled"

"""Trailing take-profits and stop-losses through the watch evaluation (issue 14): real DB, real
Redis, the same `touches.evaluate` both price paths call. Times are frozen (freezegun) so each
move and fire is dated exactly; the sums are worked on each line."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from freezegun import freeze_time
from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.locks import acquire_lock, release_lock
from exstrat_app.models import Notification, Strategy, StrategyExecution, StrategyStep
from exstrat_app.services.notifications.delivery import email_content
from exstrat_app.services.strategies.queries import step_count
from exstrat_app.services.strategies.touches import evaluate
from exstrat_app.services.strategies.watcher import watched_assets
from tests.alerts.conftest import create_seed_strategy

D = Decimal
URL = "http://exstrat.test"
TRAILING_STEPS = [
    {"targetPct": "10", "sellPct": "20", "trailPct": "2"},  # arms at 2200, 0.8 ETH
    {"targetPrice": "2800", "sellPct": "59"},  # a plain step at an absolute price, 2.36 ETH
]


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-01T{hhmm}:00+00:00")


def look(engine: Any, redis: Any, price: str, *, high: str | None = None, low: str | None = None,
         when: datetime) -> list[str]:  # fmt: skip
    """One evaluation of ETH: last `price`, the window's high and low (default: the price)."""
    touch = PriceTouch("ETH", D(price), D(high or price), D(low or price), when)
    return evaluate(engine, redis, {"ETH": touch}, public_url=URL).fired


def step_rows(engine: Any, strategy_id: str) -> list[StrategyStep]:
    with Session(engine, expire_on_commit=False) as s:
        query = select(StrategyStep).where(StrategyStep.strategy_id == strategy_id)
        return list(s.exec(query.order_by(col(StrategyStep.position))))


def strategy_row(engine: Any, strategy_id: str) -> Strategy:
    with Session(engine, expire_on_commit=False) as s:
        found = s.get(Strategy, strategy_id)
        assert found is not None
        return found


def notes(engine: Any) -> list[Notification]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.created_at))))


def test_trailing_path_2200_2300_2254_fires_once_at_2254_with_peak_2300(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00") as frozen:
        strategy = create_seed_strategy(db, alice.id, steps=TRAILING_STEPS)
        trailing, plain = step_rows(engine, strategy.id)
        assert (trailing.target_price, trailing.trail_pct, trailing.target_kind) == (
            D("2200"), D("2"), "pct",
        )  # fmt: skip
        # 2800 over 2000 is +40 %.
        assert (plain.target_kind, plain.target_pct, plain.target_price) == (
            "price", D("40"), D("2800"),
        )  # fmt: skip

        frozen.move_to("2026-03-01 10:01:00")
        assert look(engine, redis, "2200", when=at("10:01")) == []  # the plain path skips it
        first = step_rows(engine, strategy.id)[0]
        # Armed at 2200, peak 2200 (floor 2200 * 0.98 = 2156).
        assert (first.state, first.peak_price, first.armed_at) == ("armed", D("2200"), at("10:01"))
        with Session(engine) as s:
            assert watched_assets(s) == ["ETH"]

        frozen.move_to("2026-03-01 10:02:00")
        assert look(engine, redis, "2300", when=at("10:02")) == []
        first = step_rows(engine, strategy.id)[0]
        assert (first.state, first.peak_price, first.peak_at) == ("armed", D("2300"), at("10:02"))

        frozen.move_to("2026-03-01 10:03:00")
        assert look(engine, redis, "2254.01", when=at("10:03")) == []  # floor 2300 * 0.98 = 2254

        frozen.move_to("2026-03-01 10:04:00")
        assert look(engine, redis, "2254", when=at("10:04")) == [trailing.id]
        first = step_rows(engine, strategy.id)[0]
        assert (first.state, first.triggered_price, first.peak_price, first.triggered_at) == (
            "triggered", D("2254"), D("2300"), at("10:04"),
        )  # fmt: skip

        frozen.move_to("2026-03-01 10:05:00")
        assert look(engine, redis, "2100", when=at("10:05")) == []  # fired once
        assert look(engine, redis, "2254", when=at("10:05")) == []

    [note] = notes(engine)
    assert note.title == "ETH reached step 1 of 2: sell 0.8 ETH"
    assert note.body == (
        "ETH/USDT fell back 2% from its peak of $2,300.00: it is at $2,254.00. Trailing step 1 "
        "of 2 fired (armed at its target $2,200.00, +10%). Quantity to sell: 0.8 ETH. "
        f"{URL}/strategies/{strategy.id}"
    )
    with Session(engine) as s:
        [execution] = s.exec(select(StrategyExecution)).all()
        assert (execution.price, execution.executed_qty) == (D("2254"), D("0.8"))
        n = s.get(Notification, note.id)
        assert n is not None
        email = email_content(s, n, public_url=URL, step_count=step_count)
        assert email is not None
        assert "Trailing:         fired 2% below its peak of $2,300.00" in email.text
        assert "Last price:       $2,254.00" in email.text


def test_a_dip_under_the_floor_inside_one_window_fires_at_the_floor(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00") as frozen:
        strategy = create_seed_strategy(db, alice.id, steps=TRAILING_STEPS)
        frozen.move_to("2026-03-01 10:01:00")
        look(engine, redis, "2300", when=at("10:01"))  # armed, peak 2300
        frozen.move_to("2026-03-01 10:02:00")
        # A 1-minute kline dipped to 2240 (< 2254) and the price came back to 2290.
        touch = PriceTouch("ETH", D("2290"), D("2295"), D("2240"), at("10:02"),
                           low_at=at("10:01"))  # fmt: skip
        fired = evaluate(engine, redis, {"ETH": touch}, public_url=URL).fired
    first = step_rows(engine, strategy.id)[0]
    assert fired == [first.id]
    assert (first.triggered_price, first.peak_price) == (D("2254"), D("2300"))
    [note] = notes(engine)
    assert (
        "fell back 2% from its peak of $2,300.00: it touched $2,254.00 on Mar 1, 2026 "
        "10:01\u202fAM UTC"
    ) in note.body


def test_a_held_lock_or_a_raised_peak_makes_a_fire_wait(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00") as frozen:
        strategy = create_seed_strategy(db, alice.id, steps=TRAILING_STEPS)
        frozen.move_to("2026-03-01 10:01:00")
        look(engine, redis, "2300", when=at("10:01"))
        step_id = step_rows(engine, strategy.id)[0].id
        # Another worker is firing this step: nothing happens here.
        token = acquire_lock(redis, f"step:{step_id}", 30)
        assert token is not None
        assert look(engine, redis, "2250", when=at("10:02")) == []
        release_lock(redis, f"step:{step_id}", token)
        assert step_rows(engine, strategy.id)[0].state == "armed"
        # Twice the same fall, one alert.
        assert look(engine, redis, "2250", when=at("10:02")) == [step_id]
        assert look(engine, redis, "2250", when=at("10:02")) == []
    assert len(notes(engine)) == 1


def test_stop_loss_moves_to_break_even_after_the_first_step_then_fires_once(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00") as frozen:
        # 4 ETH at 2000; stop 5 % below = 1900; steps +10 % (0.8 ETH) and +40 % (2.36 ETH).
        strategy = create_seed_strategy(
            db, alice.id, stop_loss={"type": "pct", "value": "5", "breakEven": True}
        )
        row = strategy_row(engine, strategy.id)
        assert (row.stop_kind, row.stop_price, row.stop_state) == ("pct", D("1900"), "active")
        assert strategy.stop is not None and strategy.stop.result == D("-400")  # -100 * 4

        frozen.move_to("2026-03-01 10:05:00")
        assert look(engine, redis, "1950", when=at("10:05")) == []  # above 1900
        frozen.move_to("2026-03-01 10:10:00")
        # Step 1 fires at 2200 (the plain path), then the stop moves to break-even: 2000.
        [first_id] = look(engine, redis, "2200", when=at("10:10"))
        row = strategy_row(engine, strategy.id)
        assert (row.stop_price, row.stop_moved_at) == (D("2000"), at("10:10"))

        frozen.move_to("2026-03-01 10:15:00")
        assert look(engine, redis, "2000.01", when=at("10:15")) == []
        frozen.move_to("2026-03-01 10:20:00")
        assert look(engine, redis, "1990", when=at("10:20")) == [f"stop:{strategy.id}"]
        row = strategy_row(engine, strategy.id)
        assert (row.stop_state, row.stop_fired_price, row.stop_fired_at, row.status) == (
            "fired", D("1990"), at("10:20"), "completed",
        )  # fmt: skip
        frozen.move_to("2026-03-01 10:25:00")
        assert look(engine, redis, "1800", when=at("10:25")) == []  # fired once
        with Session(engine) as s:
            assert watched_assets(s) == []

    first_note, stop_note = notes(engine)
    assert first_note.step_id == first_id
    assert (stop_note.kind, stop_note.step_id, stop_note.strategy_id) == (
        "stop_loss", None, strategy.id,
    )  # fmt: skip
    # 4 - 0.8 sold = 3.2 ETH left; (1990 - 2000) * 3.2 = -32.
    assert stop_note.title == "ETH stop-loss reached: sell the 3.2 ETH left"
    assert stop_note.body == (
        "ETH/USDT is at $1,990.00, at or below the stop-loss of $2,000.00 (moved to break-even, "
        "the reference price, once a step had fired). Selling the 3.2 ETH left realises -$32.00 "
        "against the reference $2,000.00. The stop-loss has fired and will not fire again; the "
        f"strategy is completed. {URL}/strategies/{strategy.id}"
    )
    assert stop_note.email_status == "pending"
    with Session(engine) as s:  # the email says the same (no step row to rebuild it from)
        email = email_content(s, stop_note, public_url=URL, step_count=step_count)
        assert email is not None
        assert (email.subject, email.text) == (stop_note.title, f"{stop_note.body}\n")


def test_stop_loss_without_break_even_fires_on_a_wick_at_its_price(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00") as frozen:
        strategy = create_seed_strategy(
            db, alice.id, stop_loss={"type": "price", "value": "1850"},
            notify={"email": False, "inApp": True},
        )  # fmt: skip
        frozen.move_to("2026-03-01 10:05:00")
        look(engine, redis, "2200", when=at("10:05"))  # step 1 fires; no break-even: stays 1850
        assert strategy_row(engine, strategy.id).stop_price == D("1850")
        frozen.move_to("2026-03-01 10:10:00")
        # The low touched 1840 at 10:08 and the price is back at 1900: fires at the stop, 1850.
        touch = PriceTouch("ETH", D("1900"), D("1910"), D("1840"), at("10:10"), low_at=at("10:08"))
        fired = evaluate(engine, redis, {"ETH": touch}, public_url=URL).fired
    assert fired == [f"stop:{strategy.id}"]
    stop_note = notes(engine)[-1]
    # (1850 - 2000) * 3.2 = -480.
    assert stop_note.body.startswith(
        "ETH/USDT touched $1,850.00 on Mar 1, 2026 10:08\u202fAM UTC, at or below the stop-loss "
        "of $1,850.00. Selling the 3.2 ETH left realises -$480.00"
    )
    assert stop_note.email_status == "skipped"


def test_a_stop_created_after_the_low_is_judged_on_the_last_price(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    with freeze_time("2026-03-01 10:00:00"):
        strategy = create_seed_strategy(db, alice.id, stop_loss={"type": "pct", "value": "5"})
        touch = PriceTouch("ETH", D("1950"), D("1950"), D("1800"), at("10:00"), low_at=at("09:58"))
        assert evaluate(engine, redis, {"ETH": touch}, public_url=URL).fired == []
    assert strategy_row(engine, strategy.id).stop_state == "active"


def test_a_paused_strategy_neither_arms_nor_stops(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(
        db, alice.id, steps=TRAILING_STEPS, stop_loss={"type": "pct", "value": "5"}
    )
    with Session(engine) as s:
        s.execute(update(Strategy).where(col(Strategy.id) == strategy.id).values(status="paused"))
        s.commit()
    now = datetime.now(UTC)
    assert look(engine, redis, "2300", when=now) == []
    assert look(engine, redis, "1000", when=now) == []
    assert step_rows(engine, strategy.id)[0].state == "pending"
    assert strategy_row(engine, strategy.id).stop_state == "active"


def test_eight_threads_on_the_same_fall_fire_each_exit_once(
    engine: Any, db: Any, redis: Any, alice: Any, seed_position: Any
) -> None:
    """The lock + conditional UPDATE under contention: a trailing step and a stop-loss, both
    reached by one fall to 1800, evaluated by 8 threads x 5 rounds: one alert each."""
    trailing = create_seed_strategy(db, alice.id, steps=TRAILING_STEPS)
    look(engine, redis, "2300", when=datetime.now(UTC))  # arms the trailing step, peak 2300
    stopped = create_seed_strategy(db, alice.id, stop_loss={"type": "pct", "value": "5"})
    step_id = step_rows(engine, trailing.id)[0].id
    assert step_rows(engine, trailing.id)[0].state == "armed"

    go = threading.Barrier(8)
    fired: list[str] = []

    def worker() -> None:
        go.wait()
        for _ in range(5):
            fired.extend(look(engine, redis, "1800", when=datetime.now(UTC)))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(fired) == sorted([step_id, f"stop:{stopped.id}"])
    kinds = sorted((n.kind, n.strategy_id) for n in notes(engine))
    assert kinds == sorted([("step_triggered", trailing.id), ("stop_loss", stopped.id)])

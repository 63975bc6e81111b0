"""The watcher end to end: simulated Binance over HTTP, real Redis, real RQ worker, real DB."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from exstrat_app import bootstrap
from exstrat_app.api.strategy_schemas import strategy_json
from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.exchanges import fetch_binance_tickers
from exstrat_app.models import Notification, Strategy, StrategyExecution, StrategyStep
from exstrat_app.services import strategies as svc
from exstrat_app.services.notifications.push import PUSH_CHANNEL
from exstrat_app.services.portfolio.prices import PriceProvider
from exstrat_app.services.strategies.touches import rest_watch_cycle
from exstrat_app.services.strategies.watcher import crossed_steps, watched_assets
from simexchange import SimExchange
from tests.alerts.conftest import (
    add_position,
    create_seed_strategy,
    enqueue_watch,
    expire_price_cache,
    run_worker,
)


def watch_deps(**overrides: Any) -> dict[str, Any]:
    """What the watch job hands the watcher (the app's price provider and public URL)."""
    deps = {"provider": bootstrap.price_provider(), "public_url": bootstrap.settings().public_url}
    return {**deps, **overrides}


def touch(asset: str, price: str) -> PriceTouch:
    return PriceTouch.at_price(asset, Decimal(price), utcnow())


def fresh(engine: Any) -> Session:
    return Session(engine, expire_on_commit=False)


def executions(engine: Any) -> list[StrategyExecution]:
    with fresh(engine) as s:
        return list(s.exec(select(StrategyExecution).order_by(col(StrategyExecution.created_at))))


def notifications(engine: Any) -> list[Notification]:
    with fresh(engine) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.created_at))))


def steps(engine: Any, strategy_id: str) -> list[StrategyStep]:
    with fresh(engine) as s:
        query = select(StrategyStep).where(StrategyStep.strategy_id == strategy_id)
        return list(s.exec(query.order_by(col(StrategyStep.position))))


def drain(pubsub: Any, seconds: float = 0.5) -> list[dict[str, Any]]:
    """Every event published so far (subscribe confirmations read as None are skipped)."""
    events = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        if message is not None:
            events.append(json.loads(message["data"]))
    return events


def watch_with_worker(redis: Any, binance: SimExchange, price: str) -> None:
    """The price moves; the scheduled job runs on a real RQ worker (with the email jobs)."""
    binance.set_price("ETH/USDT", price)
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis)


def test_seed_example_end_to_end(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    outbox: Path,
) -> None:
    strategy = create_seed_strategy(db, alice.id)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(PUSH_CHANNEL)

    watch_with_worker(redis, binance, "2199.99")
    assert executions(engine) == [] and notifications(engine) == []

    watch_with_worker(redis, binance, "2200")
    first, second = steps(engine, strategy.id)
    assert (first.state, first.triggered_price, second.state) == (
        "triggered",
        Decimal("2200"),
        "pending",
    )
    [execution] = executions(engine)
    assert (execution.step_id, execution.executed_qty, execution.price) == (
        first.id,
        Decimal("0.8"),
        Decimal("2200"),
    )
    assert execution.execution_type == "alert"
    [note] = notifications(engine)
    assert note.title == "ETH reached step 1 of 2: sell 0.8 ETH"
    for text in ("ETH/USDT is at $2,200.00", "step 1 of 2", "($2,200.00, +10%)", "0.8 ETH"):
        assert text in note.body
    assert f"http://localhost:3000/strategies/{strategy.id}" in note.body
    assert note.email_status == "sent" and note.email_attempts == 1  # the worker sent it

    watch_with_worker(redis, binance, "2800")
    assert [s.state for s in steps(engine, strategy.id)] == ["triggered", "triggered"]
    assert [e.executed_qty for e in executions(engine)] == [Decimal("0.8"), Decimal("2.36")]
    assert "sell 2.36 ETH" in notifications(engine)[1].title

    watch_with_worker(redis, binance, "3500")  # nothing left to fire
    assert len(executions(engine)) == 2
    with fresh(engine) as s:
        data = strategy_json(svc.strategy_detail(s, user_id=alice.id, strategy_id=strategy.id))
    assert data["remainingQty"] == "0.84"
    assert data["progress"] == {"triggered": 2, "total": 2}
    assert data["status"] == "active"  # the user completes it

    events = drain(pubsub)
    assert [e["notification"]["id"] for e in events] == [n.id for n in notifications(engine)]
    assert len({e["id"] for e in events}) == 2 and {e["userId"] for e in events} == {alice.id}
    emails = sorted(outbox.glob("*.eml"))
    assert len(emails) == 2
    assert "To: alice@example.com" in emails[0].read_text()


def test_a_jump_past_several_steps_fires_each_once_in_order(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    watch_with_worker(redis, binance, "3000")
    fired = executions(engine)
    ordered = steps(engine, strategy.id)
    assert [e.step_id for e in fired] == [s.id for s in ordered]
    assert [e.price for e in fired] == [Decimal("3000.00")] * 2
    assert [n.title for n in notifications(engine)] == [
        "ETH reached step 1 of 2: sell 0.8 ETH",
        "ETH reached step 2 of 2: sell 2.36 ETH",
    ]
    assert {n.email_status for n in notifications(engine)} == {"skipped"}
    watch_with_worker(redis, binance, "3000")
    assert len(executions(engine)) == 2 and len(notifications(engine)) == 2


def test_pause_stops_alerts_and_resume_brings_them_back(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    svc.pause_strategy(db, user_id=alice.id, strategy_id=strategy.id)
    db.commit()
    watch_with_worker(redis, binance, "2500")
    assert executions(engine) == []
    with fresh(engine) as s:
        assert watched_assets(s) == []  # a paused strategy is not even watched
    svc.resume_strategy(db, user_id=alice.id, strategy_id=strategy.id)
    db.commit()
    watch_with_worker(redis, binance, "2500")
    assert [s.state for s in steps(engine, strategy.id)] == ["triggered", "pending"]
    svc.complete_strategy(db, user_id=alice.id, strategy_id=strategy.id)
    db.commit()
    watch_with_worker(redis, binance, "5000")
    assert len(executions(engine)) == 1  # completed never fires again


def test_a_stale_price_fires_nothing(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    provider = PriceProvider(
        redis,
        cache_seconds=30,
        fetcher=lambda: fetch_binance_tickers(binance.url),
        namespace="stale-test",
        backoff_max=0.01,
    )
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    with freeze_time("2026-03-01 12:00:00") as frozen:
        svc.pause_strategy(db, user_id=alice.id, strategy_id=strategy.id)
        db.commit()
        binance.set_price("ETH/USDT", "2500")
        assert provider.last_prices(["ETH"])["ETH"].price == Decimal("2500")  # cached at 12:00
        binance.inject_fault("503", count=None, path_contains="/api/v3/ticker/price")  # an outage
        frozen.tick(timedelta(seconds=61))  # > 2 x PRICE_CACHE_SECONDS, upstream still down
        svc.resume_strategy(db, user_id=alice.id, strategy_id=strategy.id)
        db.commit()
        report = rest_watch_cycle(engine, redis, **watch_deps(provider=provider))
        assert (report.assets, report.priced, report.fired) == (1, 0, [])
        assert executions(engine) == []
        binance.clear_faults()  # the upstream is back: the fresh price fires
        redis.delete(provider._cooldown_key)
        report = rest_watch_cycle(engine, redis, **watch_deps(provider=provider))
        assert len(report.fired) == 1


def test_the_watch_query_uses_the_index_and_skips_other_assets(
    engine: Any, db: Any, alice: Any, seed_position: Any
) -> None:
    create_seed_strategy(db, alice.id)
    add_position(db, alice.id, "BTC", "1", "50000")
    create_seed_strategy(db, alice.id, asset="BTC")
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        if "strategy_steps.target_price <=" in statement:
            statements.append((statement, params))

    with fresh(engine) as s:
        assert watched_assets(s) == ["BTC", "ETH"]
        event.listen(engine, "before_cursor_execute", capture)
        try:
            crossed = crossed_steps(s, {"ETH": touch("ETH", "2800"), "BTC": touch("BTC", "2800")})
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert [(c.asset, c.position) for c in crossed] == [("ETH", 0), ("ETH", 1)]
        assert [c.position for c in crossed_steps(s, {"ETH": touch("ETH", "2799.99")})] == [0]
    [(statement, params)] = statements
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        plan = " ".join(str(row) for row in conn.exec_driver_sql(explain + statement, params))
    if engine.dialect.name == "sqlite":  # PostgreSQL may seq-scan a table this small
        assert "ix_steps_watch" in plan


def test_a_strategy_without_in_app_alerts_still_gets_its_email_row(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    create_seed_strategy(db, alice.id, notify={"email": True, "inApp": False})
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(PUSH_CHANNEL)
    watch_with_worker(redis, binance, "2300")
    [note] = notifications(engine)
    assert (note.in_app, note.email_status) == (False, "sent")
    assert drain(pubsub, seconds=0.3) == []  # no live push when in-app is off
    with fresh(engine) as s:
        assert s.exec(select(Strategy)).one().status == "active"


def test_a_failing_step_does_not_hold_back_the_others(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from exstrat_app.services.strategies import watcher

    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    first = steps(engine, strategy.id)[0]
    real = watcher._fire_in_transaction

    def flaky(engine_: Any, step_id: str, quote: Any, **kwargs: Any) -> Any:
        if step_id == first.id:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real(engine_, step_id, quote, **kwargs)

    monkeypatch.setattr(watcher, "_fire_in_transaction", flaky)
    binance.set_price("ETH/USDT", "3000")
    report = rest_watch_cycle(engine, redis, **watch_deps())
    assert (report.errors, len(report.fired)) == (1, 1)
    assert [s.state for s in steps(engine, strategy.id)] == ["pending", "triggered"]
    monkeypatch.setattr(watcher, "_fire_in_transaction", real)
    assert rest_watch_cycle(engine, redis, **watch_deps()).fired == [first.id]  # retried next cycle


def test_a_push_or_queue_outage_never_undoes_the_alert(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from exstrat_app.services.strategies import watcher

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise RedisConnectionError("redis went away")

    monkeypatch.setattr(watcher, "publish_alert", down)
    monkeypatch.setattr("exstrat_app.infra.queue.enqueue_unique", down)
    create_seed_strategy(db, alice.id)
    binance.set_price("ETH/USDT", "2200")
    assert len(rest_watch_cycle(engine, redis, **watch_deps()).fired) == 1
    [note] = notifications(engine)
    assert (note.in_app, note.email_status, note.read_at) == (True, "pending", None)
    assert len(executions(engine)) == 1


def test_executions_and_chart_targets_are_read_from_the_fired_rows(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    bob: Any,
    seed_position: Any,
) -> None:
    from exstrat_app.services.errors import NotFound

    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    binance.set_price("ETH/USDT", "2500")
    assert len(rest_watch_cycle(engine, redis, **watch_deps()).fired) == 1
    with fresh(engine) as s:
        [execution] = svc.list_executions(s, user_id=alice.id, strategy_id=strategy.id)
        targets = svc.ladder_targets(s, user_id=alice.id, asset="ETH")
        with pytest.raises(NotFound):
            svc.list_executions(s, user_id=bob.id, strategy_id=strategy.id)
    assert (execution.executed_qty, execution.price, execution.execution_type) == (
        Decimal("0.8"),
        Decimal("2500"),
        "alert",
    )
    assert execution.status == "alert sent"
    assert [(t.target_price, t.target_pct, t.reached) for t in targets] == [
        (Decimal("2200"), Decimal("10"), True),
        (Decimal("2800"), Decimal("40"), False),
    ]
    first = steps(engine, strategy.id)[0]
    with fresh(engine) as s:
        svc.mark_step_done(s, user_id=alice.id, step_id=first.id)
        svc.complete_strategy(s, user_id=alice.id, strategy_id=strategy.id)
        s.commit()
        executions = svc.list_executions(s, user_id=alice.id, strategy_id=strategy.id)
        assert [e.status for e in executions] == ["sold"]
        assert svc.ladder_targets(s, user_id=alice.id, asset="ETH") == []  # completed

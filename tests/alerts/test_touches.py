"""The REST fallback sees spikes: ticker + the 1-minute klines since the last evaluated moment,
through the real job on a real RQ worker, against the simulated Binance over HTTP."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app import bootstrap
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Notification, Strategy, StrategyStep
from exstrat_app.services.strategies.touches import (
    EVALUATED_KEY,
    STREAM_ASSETS_KEY,
    STREAM_HEARTBEAT_KEY,
    rest_watch_cycle,
)
from simexchange import SimExchange
from tests.alerts.conftest import (
    create_seed_strategy,
    enqueue_watch,
    expire_price_cache,
    run_worker,
)


def made_earlier(engine: Any, strategy_id: str, minutes: int = 5) -> None:
    """A strategy that exists since a while (not created inside the spike's minute)."""
    with Session(engine) as s:
        s.execute(
            update(Strategy)
            .where(col(Strategy.id) == strategy_id)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )
        s.commit()


def poll(redis: Any) -> None:
    """One scheduled REST poll, on a real worker, with a fresh ticker."""
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis, queues=("watch",))


def states(engine: Any, strategy_id: str) -> list[tuple[str, Decimal | None]]:
    with Session(engine) as s:
        query = select(StrategyStep).where(StrategyStep.strategy_id == strategy_id)
        return [
            (st.state, st.triggered_price)
            for st in s.exec(query.order_by(col(StrategyStep.position)))
        ]


def notes(engine: Any) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.created_at))))


def cycle(redis: Any, engine: Any) -> Any:
    return rest_watch_cycle(
        engine,
        redis,
        provider=bootstrap.price_provider(),
        public_url=bootstrap.settings().public_url,
    )


def test_a_two_second_spike_between_two_polls_fires_exactly_once(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    made_earlier(engine, strategy.id)
    poll(redis)  # 2000: nothing, and ETH's evaluated moment is now recorded
    assert redis.hexists(EVALUATED_KEY, "ETH")
    assert states(engine, strategy.id) == [("pending", None), ("pending", None)]

    binance.set_price("ETH/USDT", "2310")  # above step 1 (2200), below step 2 (2800)
    time.sleep(2)  # the spike lasts 2 s...
    binance.set_price("ETH/USDT", "2050")  # ...and is over before the next poll
    before = binance.request_count("/api/v3/klines")
    poll(redis)
    assert binance.request_count("/api/v3/klines") - before == 1  # one request for ETH
    assert states(engine, strategy.id) == [("triggered", Decimal("2310")), ("pending", None)]
    [note] = notes(engine)
    assert "ETH/USDT touched $2,310.00 on " in note.body and " UTC, at or above" in note.body
    assert "$2,200.00" in note.body

    poll(redis)  # the same minute's kline is read again: nothing fires twice
    poll(redis)
    assert len(notes(engine)) == 1


def test_a_strategy_made_after_the_spike_is_not_fired_by_it(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    other = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": False})
    made_earlier(engine, other.id)
    poll(redis)
    binance.set_price("ETH/USDT", "2310")
    binance.set_price("ETH/USDT", "2050")
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    poll(redis)
    assert states(engine, strategy.id) == [("pending", None), ("pending", None)]
    assert states(engine, other.id)[0] == ("triggered", Decimal("2310"))  # it existed


def test_failed_klines_keep_the_window_for_the_next_poll(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    made_earlier(engine, strategy.id)
    poll(redis)
    marked = redis.hget(EVALUATED_KEY, "ETH")
    binance.set_price("ETH/USDT", "2310")
    binance.set_price("ETH/USDT", "2050")
    binance.inject_fault("503", count=None, path_contains="/api/v3/klines")
    report = cycle(redis, engine)
    assert report.fired == [] and redis.hget(EVALUATED_KEY, "ETH") == marked  # not moved on
    binance.clear_faults()
    assert len(cycle(redis, engine).fired) == 1  # the missed minutes are read again
    assert states(engine, strategy.id)[0] == ("triggered", Decimal("2310"))


def test_a_price_at_the_target_fires_at_the_last_price_as_before(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    made_earlier(engine, strategy.id)
    poll(redis)
    binance.set_price("ETH/USDT", "2400")
    binance.set_price("ETH/USDT", "2250")  # still above step 1: "is at", not "touched"
    poll(redis)
    assert states(engine, strategy.id)[0] == ("triggered", Decimal("2250"))
    assert "ETH/USDT is at $2,250.00" in notes(engine)[0].body


def test_the_rest_job_skips_what_a_healthy_stream_covers(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    redis.set(STREAM_HEARTBEAT_KEY, "1", px=60_000)
    redis.sadd(STREAM_ASSETS_KEY, "ETH")
    binance.set_price("ETH/USDT", "2300")
    expire_price_cache(redis)
    assert cycle(redis, engine).assets == 0  # the stream evaluates ETH itself
    assert binance.request_count("/api/v3/klines") == 0
    redis.delete(STREAM_HEARTBEAT_KEY)  # the stream is down: REST takes over
    assert len(cycle(redis, engine).fired) == 1
    assert states(engine, strategy.id)[0] == ("triggered", Decimal("2300"))


def test_a_day_that_never_reached_a_target_costs_no_klines(
    engine: Any, db: Any, redis: Any, binance: SimExchange, alice: Any, seed_position: Any
) -> None:
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    made_earlier(engine, strategy.id)
    poll(redis)
    binance.set_price("ETH/USDT", "2150")  # the day's high stays below step 1 (2200)
    poll(redis)
    poll(redis)
    assert binance.request_count("/api/v3/klines") == 0
    assert binance.request_count("/api/v3/ticker/24hr") == 2  # one per poll with a window
    binance.set_price("ETH/USDT", "2210")
    binance.set_price("ETH/USDT", "2150")
    poll(redis)  # now the day reached it: the klines say when
    assert binance.request_count("/api/v3/klines") == 1
    assert states(engine, strategy.id)[0] == ("triggered", Decimal("2210"))


def test_a_price_sitting_at_the_target_with_an_older_cached_ticker_says_is_at(
    engine: Any,
    db: Any,
    redis: Any,
    binance: SimExchange,
    alice: Any,
    seed_position: Any,
    settings_env: Any,
) -> None:
    """The worked case: the cached ticker still holds 2000 (read by the previous poll, within
    its cache period), the market moved to the target, 2200, and stays there. The klines since
    the last look show 2200 as both the high and the current price: the alert says the price
    is at 2200 (where it is), not that it "touched" it at some minute."""
    settings_env(PRICE_CACHE_SECONDS="600")  # the ticker read by `poll` stays the cached one
    strategy = create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})
    made_earlier(engine, strategy.id)
    poll(redis)  # ticker 2000 cached; ETH evaluated up to now
    tickers = binance.request_count("/api/v3/ticker/price")
    binance.set_price("ETH/USDT", "2200")  # and it sits there
    report = cycle(redis, engine)
    assert binance.request_count("/api/v3/ticker/price") == tickers  # the old ticker was used
    assert len(report.fired) == 1
    assert states(engine, strategy.id)[0] == ("triggered", Decimal("2200"))
    [note] = notes(engine)
    print(f"\nalert body: {note.body}")
    assert "ETH/USDT is at $2,200.00, at or above the target" in note.body
    assert "touched" not in note.body

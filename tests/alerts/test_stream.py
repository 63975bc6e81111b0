"""The price stream: the simulated Binance's websocket (mini-tickers), the price process's
connection, windows, evaluator and heartbeat, and the hand-over to and from the REST job.
No timing assertions: generous waits on the outcome, the order of events asserted."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select
from tenacity import wait_random_exponential

from exstrat_app import bootstrap
from exstrat_app.models import Notification, StrategyStep
from exstrat_app.runtime.price_stream import PriceStream
from exstrat_app.services.strategies.touches import STREAM_ASSETS_KEY, STREAM_HEARTBEAT_KEY
from simexchange import SimExchange
from simexchange.binance.stream import BinanceStream
from tests.alerts.conftest import (
    create_seed_strategy,
    enqueue_watch,
    expire_price_cache,
    run_worker,
    worker_env,
)
from tests.alerts.test_touches import made_earlier


@pytest.fixture(scope="session")
def _stream_server(_binance_server: SimExchange) -> Iterator[BinanceStream]:
    server = BinanceStream(_binance_server)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sim_stream(
    _stream_server: BinanceStream, binance: SimExchange, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BinanceStream]:
    from exstrat_app.settings import get_settings

    _stream_server.refuse(False)
    monkeypatch.setenv("EXSTRAT_BINANCE_WS_URL", _stream_server.url)
    get_settings.cache_clear()
    yield _stream_server
    _stream_server.refuse(False)
    get_settings.cache_clear()


@pytest.fixture
def strategy(db: Any, alice: Any, seed_position: Any) -> Any:
    """Alice's seed strategy (ETH: 2200, 2800), alerting in the app only."""
    return create_seed_strategy(db, alice.id, notify={"email": False, "inApp": True})


@contextmanager
def price_process(engine: Any, redis: Any, url: str) -> Iterator[PriceStream]:
    """The price process's stream in a thread (its own event loop), stopped afterwards."""
    stream = PriceStream(
        engine,
        redis,
        provider=bootstrap.price_provider(),
        public_url=bootstrap.settings().public_url,
        ws_url=url,
        watch_poll_seconds=0.2,
        backoff=wait_random_exponential(multiplier=0.05, max=0.5),
    )
    thread = threading.Thread(target=stream.run, name="test-price-stream")
    thread.start()
    try:
        yield stream
    finally:
        stream.stop()
        thread.join(30)
        assert not thread.is_alive()


def wait_for(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def healthy(redis: Any, asset: str = "ETH") -> bool:
    return bool(redis.exists(STREAM_HEARTBEAT_KEY)) and redis.sismember(STREAM_ASSETS_KEY, asset)


def fired(engine: Any, strategy_id: str) -> list[tuple[int, Decimal | None]]:
    with Session(engine) as s:
        query = select(StrategyStep).where(
            StrategyStep.strategy_id == strategy_id, StrategyStep.state == "triggered"
        )
        return [(st.position, st.triggered_price) for st in s.exec(query)]


def notes(engine: Any) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(col(Notification.created_at))))


def rest_poll(redis: Any) -> None:
    expire_price_cache(redis)
    enqueue_watch(redis)
    run_worker(redis, queues=("watch",))


def test_a_crossing_is_evaluated_by_the_stream_as_it_happens(
    engine: Any, redis: Any, sim_stream: BinanceStream, binance: SimExchange, strategy: Any
) -> None:
    events: list[tuple[str, Any]] = []
    with price_process(engine, redis, sim_stream.url) as stream:
        stream.on_evaluated = lambda touches, ids: events.append(("evaluated", (touches, ids)))
        wait_for(lambda: healthy(redis))
        klines = binance.request_count("/api/v3/klines")
        changed = time.monotonic()
        events.append(("price", "2300"))
        binance.set_price("ETH/USDT", "2300")
        wait_for(lambda: fired(engine, strategy.id), timeout=10)
        seen = time.monotonic() - changed
    changed_at = events.index(("price", "2300"))
    [(at, (touches, ids))] = [
        (i, v) for i, (k, v) in enumerate(events) if k == "evaluated" and v[1]
    ]
    assert at > changed_at  # the evaluation that fired came after the change, from its tick
    assert touches["ETH"].high == Decimal("2300") and len(ids) == 1
    assert fired(engine, strategy.id) == [(0, Decimal("2300"))]
    assert binance.request_count("/api/v3/klines") == klines  # no REST read: the stream's
    assert "ETH/USDT is at $2,300.00" in notes(engine)[0].body
    print(f"price change -> step fired by the stream: {seen * 1000:.0f} ms")


def test_a_short_spike_on_the_stream_fires_once_and_the_rest_job_stays_out(
    engine: Any, redis: Any, sim_stream: BinanceStream, binance: SimExchange, strategy: Any
) -> None:
    with price_process(engine, redis, sim_stream.url):
        wait_for(lambda: healthy(redis))
        binance.set_price("ETH/USDT", "2310")
        time.sleep(0.5)  # longer than the simulated stream's push period (0.1 s)
        binance.set_price("ETH/USDT", "2050")
        wait_for(lambda: fired(engine, strategy.id))
        rest_poll(redis)  # the stream is healthy: the REST job skips ETH
        rest_poll(redis)
    assert fired(engine, strategy.id) == [(0, Decimal("2310"))]
    assert len(notes(engine)) == 1


def test_the_stream_dropped_mid_run_falls_back_to_rest_and_comes_back(
    engine: Any, redis: Any, sim_stream: BinanceStream, binance: SimExchange, strategy: Any
) -> None:
    made_earlier(engine, strategy.id)  # the klines date the spike to its minute only
    with price_process(engine, redis, sim_stream.url):
        wait_for(lambda: healthy(redis))
        connections = sim_stream.connections_total
        sim_stream.refuse(True)  # an outage: sockets closed, new handshakes refused
        sim_stream.drop_connections()
        wait_for(lambda: not redis.exists(STREAM_HEARTBEAT_KEY))

        binance.set_price("ETH/USDT", "2300")  # step 1 (2200) while the stream is down
        rest_poll(redis)
        assert fired(engine, strategy.id) == [(0, Decimal("2300"))]  # REST took over

        binance.set_price("ETH/USDT", "2850")  # step 2 (2800) touched in the gap...
        time.sleep(0.3)
        binance.set_price("ETH/USDT", "2300")  # ...and gone before anyone polled

        sim_stream.refuse(False)  # back: the stream reconnects and catches up
        wait_for(lambda: healthy(redis), timeout=30)
        wait_for(lambda: len(fired(engine, strategy.id)) == 2)
        assert sim_stream.connections_total > connections
        rest_poll(redis)  # healthy again: REST skips, nothing doubles
        binance.set_price("ETH/USDT", "2900")
        time.sleep(0.5)
    assert sorted(fired(engine, strategy.id)) == [(0, Decimal("2300")), (1, Decimal("2850"))]
    bodies = [n.body for n in notes(engine)]
    assert len(bodies) == 2 and "touched $2,850.00 on" in bodies[1]


def test_the_prices_command_streams_fires_and_stops_cleanly(
    engine: Any,
    redis: Any,
    sim_stream: BinanceStream,
    binance: SimExchange,
    strategy: Any,
    tmp_path: Any,
) -> None:
    """`python -m exstrat_app prices` as `up` and the Procfile run it."""
    log = (tmp_path / "prices.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "exstrat_app", "prices"],
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: healthy(redis), timeout=60)
        binance.set_price("ETH/USDT", "2250")
        wait_for(lambda: fired(engine, strategy.id))
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        log.close()
    assert code == 0
    assert not redis.exists(STREAM_HEARTBEAT_KEY)  # stopped: REST takes over at once
    assert fired(engine, strategy.id) == [(0, Decimal("2250"))]

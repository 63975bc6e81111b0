"""Price change at the simulator -> alert, for the two price paths (issue 14), inside the
watcher benchmark's environment (500 watched assets, 100,000 pending steps):

- stream: the simulated Binance websocket (`simexchange/binance/stream.py`, pushing every
  0.1 s) -> the price process (`runtime/price_stream.py`) -> evaluation -> live push;
- REST fallback: the stream down, the REST cycle run every BENCH_REST_POLL seconds (2 here;
  production polls every PRICE_POLL_SECONDS, 15: add ~half of that on average).

Measured to the live push event as the Reflex backend's relay receives it from Redis
(`state.feed_relay.relay_push_events`), one hop before the open page: a browser per sample
would weigh more than what is measured. Samples: 50 stream / 10 REST changes, 100 each with
EXSTRAT_BENCH_FULL=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

FULL = os.environ.get("EXSTRAT_BENCH_FULL") == "1"
STREAM_SAMPLES = 100 if FULL else 50
REST_SAMPLES = 100 if FULL else 10
REST_POLL = float(os.environ.get("BENCH_REST_POLL", "2"))
STREAM_ASSET, REST_ASSET = "LATS", "LATR"
BASE = Decimal(100)
SYMBOLS = [f"{STREAM_ASSET}/USDT", f"{REST_ASSET}/USDT"]  # listed up front in the sim


def seed_ladder(engine: Any, asset: str, n: int) -> list[str]:
    """n strategies of one step each, targets 101, 102, ...: each price move fires the next."""
    from sqlalchemy import insert

    from exstrat_app.infra.db.types import utcnow
    from exstrat_app.models import Strategy, StrategyStep, User, new_id

    user = {"id": new_id(), "email": f"{asset.lower()}@bench.local", "password_hash": "x"}
    made = utcnow() - timedelta(hours=1)  # long before the moves (the spike guard)
    strategies, steps = [], []
    for i in range(n):
        sid = new_id()
        strategies.append(
            {
                "id": sid,
                "user_id": user["id"],
                "asset": asset,
                "ref_type": "custom",
                "ref_price": BASE,
                "base_qty": Decimal(1),
                "notify_email": False,
                "created_at": made,
            }
        )
        steps.append(
            {
                "id": new_id(),
                "strategy_id": sid,
                "asset": asset,
                "position": 0,
                "target_pct": Decimal(i + 1),
                "sell_pct": Decimal(50),
                "target_price": BASE + i + 1,
                "qty_to_sell": Decimal("0.5"),
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(User), [user])
        conn.execute(insert(Strategy), strategies)
        conn.execute(insert(StrategyStep), steps)
    return [s["id"] for s in steps]


@contextmanager
def relay() -> Iterator[dict[str, float]]:
    """The Reflex backend's relay, recording when each step's live push arrived."""
    from exstrat_app.infra.redis import redis_url
    from exstrat_app.state.feed_relay import relay_push_events

    received: dict[str, float] = {}
    loop = asyncio.new_event_loop()
    subscribed = asyncio.Event()

    async def record(event: Any) -> None:
        received[event.data["notification"]["stepId"]] = time.perf_counter()

    async def run() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await relay_push_events(None, url=redis_url(), applier=record, subscribed=subscribed)

    task = loop.create_task(run())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    while not subscribed.is_set():
        time.sleep(0.01)
    try:
        yield received
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(5)


def moves(binance: Any, asset: str, step_ids: list[str], received: dict[str, float]) -> list[float]:
    """Move the price past one more target at a time; ms until that step's push arrived."""
    latencies = []
    for i, step_id in enumerate(step_ids):
        started = time.perf_counter()
        binance.set_price(f"{asset}/USDT", str(BASE + i + Decimal("1.5")))
        deadline = started + 30
        while step_id not in received and time.perf_counter() < deadline:
            time.sleep(0.001)
        latencies.append((received.get(step_id, float("inf")) - started) * 1000)
    return latencies


def stream_latencies(engine: Any, redis: Any, binance: Any) -> tuple[list[float], float]:
    from exstrat_app import bootstrap
    from exstrat_app.runtime.price_stream import PriceStream
    from exstrat_app.services.strategies.touches import STREAM_ASSETS_KEY, STREAM_HEARTBEAT_KEY
    from simexchange.binance.stream import BinanceStream

    step_ids = seed_ladder(engine, STREAM_ASSET, STREAM_SAMPLES)
    binance.set_price(f"{STREAM_ASSET}/USDT", str(BASE))
    server = BinanceStream(binance)
    stream = PriceStream(
        engine,
        redis,
        provider=bootstrap.price_provider(),
        public_url=bootstrap.settings().public_url,
        ws_url=server.start(),
        watch_poll_seconds=1.0,
    )
    thread = threading.Thread(target=stream.run, daemon=True)
    started = time.perf_counter()
    thread.start()
    try:
        while not (
            redis.exists(STREAM_HEARTBEAT_KEY) and redis.sismember(STREAM_ASSETS_KEY, STREAM_ASSET)
        ):
            if time.perf_counter() - started > 60:
                raise RuntimeError("the price stream did not become healthy")
            time.sleep(0.02)
        ready = time.perf_counter() - started
        with relay() as received:
            return moves(binance, STREAM_ASSET, step_ids, received), ready
    finally:
        stream.stop()
        thread.join(30)
        server.stop()


def rest_latencies(engine: Any, redis: Any, binance: Any) -> list[float]:
    """The stream down: the REST cycle every REST_POLL seconds, as the scheduler runs it."""
    from exstrat_app import bootstrap
    from exstrat_app.services.strategies.touches import rest_watch_cycle

    step_ids = seed_ladder(engine, REST_ASSET, REST_SAMPLES)
    binance.set_price(f"{REST_ASSET}/USDT", str(BASE))
    stop = threading.Event()

    def scheduler() -> None:
        while not stop.is_set():
            began = time.monotonic()
            rest_watch_cycle(
                engine,
                redis,
                provider=bootstrap.price_provider(),
                public_url=bootstrap.settings().public_url,
            )
            stop.wait(max(0.0, REST_POLL - (time.monotonic() - began)))

    thread = threading.Thread(target=scheduler, daemon=True)
    thread.start()
    try:
        with relay() as received:
            return moves(binance, REST_ASSET, step_ids, received)
    finally:
        stop.set()
        thread.join(60)


def report(engine: Any, redis: Any, binance: Any) -> list[str]:
    from bench.watcher import pct

    lines = []
    lat, ready = stream_latencies(engine, redis, binance)
    lines.append(
        f"stream path, price change -> live push at the relay: p50 {statistics.median(lat):.0f} ms,"
        f" p95 {pct(lat, 0.95):.0f} ms over {len(lat)} changes (target p95 < 2000 ms; "
        f"stream healthy {ready:.1f} s after start, 500+ assets subscribed)"
    )
    rest = rest_latencies(engine, redis, binance)
    lines.append(
        f"REST fallback (poll every {REST_POLL:g} s here, 15 s in production), price change "
        f"-> live push: p50 {statistics.median(rest):.0f} ms, "
        f"p95 {pct(rest, 0.95):.0f} ms over {len(rest)} changes"
    )
    return lines

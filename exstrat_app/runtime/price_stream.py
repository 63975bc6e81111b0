"""`python -m exstrat_app prices`: the long-running price process. One websocket to Binance's
mini-ticker streams for every watched asset of every user; each price change is evaluated at
once (take-profits by the high, stop-losses by the low since the last evaluation).

- Watched set: `watched_assets` (watch keys: `ETH` on ETHUSDT, `ETH/EUR` on ETHEUR, or on
  ETHUSDT and EURUSDT where no ETHEUR is listed: `stream_routes`) is read every
  WATCH_POLL_SECONDS; new assets are subscribed
  (and caught up through REST: the klines since their last evaluated moment, so nothing
  between the REST path's last look and the first tick is lost), gone ones unsubscribed.
  Beyond 1000 assets the connection takes `!miniTicker@arr` (every market) instead.
- Windows: per asset the touch (last, high, low) of the ticks since the last evaluation.
  One evaluator thread takes the windows whenever a tick arrived, evaluates them
  (`touches.evaluate`: the same lock + conditional update as the REST path, so a step fires
  once whichever path sees it first) and records the moment evaluated per asset.
- Heartbeat: while connected and the evaluator runs, `STREAM_HEARTBEAT_KEY` (TTL
  HEARTBEAT_TTL_MS) and the subscribed assets (`STREAM_ASSETS_KEY`) are kept in Redis; the
  REST job skips those assets. Dropped: the keys go at once and REST takes over at its next
  poll. Reconnection waits a jittered exponential backoff (tenacity's), reset once a
  connection has stayed up STABLE_SECONDS; the catch-up on resubscription closes the gap.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from tenacity import wait_random_exponential

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.exchanges.stream import (
    ALL_MINI_TICKERS,
    MAX_STREAMS,
    STREAM_ERRORS,
    MiniTickerStream,
    Tick,
    stream_name,
)
from exstrat_app.services.portfolio.prices import PriceProvider
from exstrat_app.services.strategies.stream_routes import (
    Route,
    TickRouter,
    markets_of,
    routes_for,
    seed_ticks,
)
from exstrat_app.services.strategies.touches import (
    STREAM_ASSETS_KEY,
    STREAM_HEARTBEAT_KEY,
    evaluate,
    mark_evaluated,
    rest_watch_cycle,
)
from exstrat_app.services.strategies.watcher import watched_assets

log = logging.getLogger("exstrat.prices")

WATCH_POLL_SECONDS = 3.0
HEARTBEAT_TTL_MS = 5_000
BEAT_SECONDS = 1.0
STABLE_SECONDS = 30.0  # a connection up this long resets the backoff
_backoff = wait_random_exponential(multiplier=0.5, max=30)


class Windows:
    """The touches since the last evaluation, per asset (ticks come from the event loop, the
    evaluator takes them from its thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._touches: dict[str, PriceTouch] = {}
        self.changed = threading.Event()

    def add(self, asset: str, tick: Tick) -> None:
        self.add_seen(PriceTouch.at_price(asset, tick.price, tick.at))

    def add_seen(self, seen: PriceTouch) -> None:
        """One observation of a watch key (a market's tick, or a converted EUR price)."""
        with self._lock:
            old = self._touches.get(seen.asset)
            self._touches[seen.asset] = seen if old is None else old.merged(seen)
        self.changed.set()

    def take(self) -> dict[str, PriceTouch]:
        with self._lock:
            touches, self._touches = self._touches, {}
            self.changed.clear()
        return touches

    def put_back(self, touches: dict[str, PriceTouch]) -> None:
        """An evaluation failed: its windows go before the ticks that came since."""
        with self._lock:
            for asset, touch in touches.items():
                later = self._touches.get(asset)
                self._touches[asset] = touch if later is None else touch.merged(later)
        self.changed.set()


class PriceStream:
    """The stream, its subscriptions, the evaluator and the heartbeat."""

    def __init__(
        self,
        engine: Engine,
        redis: Redis,
        *,
        provider: PriceProvider,
        public_url: str,
        ws_url: str,
        watch_poll_seconds: float = WATCH_POLL_SECONDS,
        backoff: Callable[[Any], float] = _backoff,
    ) -> None:
        self.engine, self.redis, self.provider = engine, redis, provider
        self.public_url, self.ws_url = public_url, ws_url
        self.watch_poll_seconds = watch_poll_seconds
        self.backoff = backoff  # tenacity wait: attempt number -> seconds
        self.windows = Windows()
        self.connected = False
        self.subscribed: set[str] = set()  # watch keys (`ETH`, `ETH/EUR`)
        self.routes: dict[str, Route] = {}  # each subscribed key's market
        self.markets: set[str] = set()  # the market ids subscribed (`ETHUSDT`, `EURUSDT`)
        self.seed: list[Tick] = []  # converted keys' last prices when subscribed
        self._catch_up: set[str] = set()
        self._catch_lock = threading.Lock()
        self._stop = threading.Event()
        self._evaluator: threading.Thread | None = None
        self.evaluations = 0  # evaluator passes with touches (tests and the bench read it)
        self.on_evaluated: Callable[[dict[str, PriceTouch], list[str]], None] | None = None

    # ---- the whole process ---------------------------------------------------------------

    def run(self) -> None:
        """Until `stop()`: the evaluator thread and the connection loop."""
        self._evaluator = threading.Thread(target=self._evaluate_loop, name="price-eval")
        self._evaluator.start()
        try:
            asyncio.run(self._connection_loop())
        finally:
            self._stop.set()
            self.windows.changed.set()
            self._evaluator.join(30)
            self._clear_heartbeat()

    def stop(self) -> None:
        self._stop.set()
        self.windows.changed.set()

    async def _connection_loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                await self._one_connection()
            except STREAM_ERRORS as exc:
                log.warning("price stream dropped: %s", exc)
            finally:
                self._set_disconnected()
            if self._stop.is_set():
                break
            attempt = 1 if time.monotonic() - started > STABLE_SECONDS else attempt + 1
            delay = self.backoff(SimpleNamespace(attempt_number=attempt))
            log.info("price stream: reconnecting in %.1f s (attempt %d)", delay, attempt)
            await self._sleep(delay)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(min(0.1, seconds))

    async def _one_connection(self) -> None:
        stream = await MiniTickerStream.open(self.ws_url)
        log.info("price stream connected to %s", self.ws_url)
        try:
            self.subscribed, self.connected = set(), True
            self.routes, self.markets, self.seed = {}, set(), []
            await self._resubscribe(stream)
            reader = asyncio.create_task(self._read(stream))
            while not self._stop.is_set() and not reader.done():
                await asyncio.wait({reader}, timeout=self.watch_poll_seconds)
                if not reader.done():
                    await self._resubscribe(stream)
            if reader.done():
                reader.result()  # raises the drop
            reader.cancel()
        finally:
            await stream.close()

    async def _read(self, stream: MiniTickerStream) -> None:
        mapped = self.subscribed
        router = TickRouter(self.routes.values(), self.seed)
        async for ticks in stream.ticks():
            if mapped is not self.subscribed:  # `_resubscribe` puts a new set in place
                mapped = self.subscribed
                router = TickRouter(self.routes.values(), self.seed)
            for tick in ticks:
                for seen in router.observations(tick):
                    self.windows.add_seen(seen)

    async def _resubscribe(self, stream: MiniTickerStream) -> None:
        """Follow the watched set: subscribe the markets of the new keys (a EUR key's ASSET/EUR,
        or ASSET/USDT and EUR/USDT), unsubscribe those no key reads any more."""
        try:
            watched = set(await asyncio.to_thread(self._watched))
        except SQLAlchemyError:
            log.warning("price stream: could not read the watched assets")
            return
        added, gone = watched - self.subscribed, self.subscribed - watched
        if not added and not gone:
            return
        routes = await asyncio.to_thread(routes_for, self.provider, watched)
        seed = await asyncio.to_thread(seed_ticks, self.provider, routes.values())
        markets = markets_of(routes.values())
        was_all = len(self.markets) > MAX_STREAMS - 24
        all_now = len(markets) > MAX_STREAMS - 24  # room for the requests in flight
        if all_now and not was_all:
            await stream.unsubscribe(stream_name(m) for m in self.markets)
            await stream.subscribe([ALL_MINI_TICKERS])
        elif was_all and not all_now:
            await stream.unsubscribe([ALL_MINI_TICKERS])
            await stream.subscribe(stream_name(m) for m in markets)
        elif not all_now:
            if gone_markets := self.markets - markets:
                await stream.unsubscribe(stream_name(m) for m in sorted(gone_markets))
            if new_markets := markets - self.markets:
                await stream.subscribe(stream_name(m) for m in sorted(new_markets))
        with self._catch_lock:  # before `subscribed`: no heartbeat marks them evaluated first
            self._catch_up |= added
        self.routes, self.markets, self.seed = routes, markets, seed
        self.subscribed = watched
        self.windows.changed.set()
        log.info("price stream: %d asset(s) (+%d, -%d)", len(watched), len(added), len(gone))

    def _watched(self) -> list[str]:
        with Session(self.engine) as session:
            return watched_assets(session)

    def _set_disconnected(self) -> None:
        self.connected = False
        self._clear_heartbeat()

    # ---- the evaluator thread ------------------------------------------------------------

    def _evaluate_loop(self) -> None:
        while not self._stop.is_set():
            self.windows.changed.wait(BEAT_SECONDS)
            if self._stop.is_set():
                break
            try:
                self._catch_up_new()
                self._evaluate_windows()
            except Exception:  # a long-running loop: log, keep the windows, go on
                log.exception("price stream: evaluation failed, retried on the next tick")
                time.sleep(0.5)
                continue
            self._beat()

    def _catch_up_new(self) -> None:
        with self._catch_lock:
            assets, self._catch_up = self._catch_up, set()
        if not assets:
            return
        try:
            report = rest_watch_cycle(
                self.engine,
                self.redis,
                provider=self.provider,
                public_url=self.public_url,
                assets=assets,
            )
        except Exception:
            with self._catch_lock:
                self._catch_up |= assets
            raise
        log.info("price stream: caught up %d asset(s), %d fired", len(assets), len(report.fired))

    def _evaluate_windows(self) -> None:
        touches = self.windows.take()
        if not touches:
            return
        evaluated_at = datetime.now(UTC)
        try:
            report = evaluate(self.engine, self.redis, touches, public_url=self.public_url)
        except Exception:
            self.windows.put_back(touches)
            raise
        mark_evaluated(self.redis, dict.fromkeys(touches, evaluated_at))
        self.evaluations += 1
        if self.on_evaluated is not None:
            self.on_evaluated(touches, report.fired)

    def _beat(self) -> None:
        """Healthy: connected, subscribed to the watched set, and this loop turning."""
        if not self.connected:
            return
        assets = sorted(self.subscribed)
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.delete(STREAM_ASSETS_KEY)
            if assets:
                pipe.sadd(STREAM_ASSETS_KEY, *assets)
            pipe.pexpire(STREAM_ASSETS_KEY, HEARTBEAT_TTL_MS)
            pipe.set(STREAM_HEARTBEAT_KEY, str(len(assets)), px=HEARTBEAT_TTL_MS)
            pipe.execute()
            # Subscribed and quiet means nothing happened: evaluated up to now.
            mark_evaluated(self.redis, dict.fromkeys(assets, datetime.now(UTC)))
        except RedisError:
            log.warning("price stream: heartbeat not written")

    def _clear_heartbeat(self) -> None:
        try:
            self.redis.delete(STREAM_HEARTBEAT_KEY, STREAM_ASSETS_KEY)
        except RedisError:  # it expires within HEARTBEAT_TTL_MS anyway
            log.warning("price stream: heartbeat not cleared")


def run_price_stream() -> int:
    """The CLI command: build the stream from bootstrap, run until SIGTERM/SIGINT."""
    import signal

    from exstrat_app import bootstrap
    from exstrat_app.infra.exchanges.stream import binance_ws_url

    settings = bootstrap.settings()
    url = binance_ws_url(settings)
    stream = None
    if url is not None:
        stream = PriceStream(
            bootstrap.engine(),
            bootstrap.redis(),
            provider=bootstrap.price_provider(),
            public_url=settings.public_url,
            ws_url=url,
        )
    stopping = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stopping.set()
        if stream is not None:
            stream.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if stream is None:
        # EXSTRAT_BINANCE_URL names another server and no stream was given: the REST job
        # watches alone. Stay up (idle) so `up` does not restart us in a loop.
        log.warning("no price stream: set EXSTRAT_BINANCE_WS_URL to stream from that server")
        stopping.wait()
        return 0
    stream.run()
    return 0

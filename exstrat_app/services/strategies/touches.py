"""The price input of the watch cycle: touches (last, high, low) per asset, from the stream
or from REST, and the hand-over between the two.

- `evaluate` is the one evaluation both paths call: take-profit steps (`watcher`), then the
  trailing/stop-loss exits (`exits.evaluate`) on the same touches; afterwards each
  asset's "evaluated up to" moment is kept in Redis (`EVALUATED_KEY`).
- The stream process (`runtime/price_stream.py`) keeps a heartbeat key and the set of assets
  it covers while its connection is up. `rest_watch_cycle` (the periodic job) evaluates only
  the watched assets the stream does not cover: none while it is healthy, all when it is down.
- The REST path does not miss spikes: per asset, the 1-minute klines since the last evaluated
  moment (one request, weight 2, for every user watching the asset) give the high and the low
  in between, and the newest candle's close is the last price (the klines are read after the
  cached ticker: the ticker alone decides only where no klines are read).
  Only where it can matter: one 24-hour ticker request (every market, weight 80) first, and
  klines only for the assets whose 24 h high reaches a pending target, or that have trailing
  steps or a stop-loss (their thresholds move) — a quiet 500-asset watch costs 2 requests.
  A stale ticker price leaves the asset out (never triggers); failed klines evaluate the ticker
  alone and keep the old moment, so the next cycle reads the missed minutes again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra import exchanges as xa
from exstrat_app.infra.exchanges.client import server_of
from exstrat_app.models import Strategy, StrategyStep
from exstrat_app.services.portfolio.prices import QUOTE_ALIASES, PriceProvider, symbol_for
from exstrat_app.services.strategies.markets import last_quotes, split_key, watch_key
from exstrat_app.services.strategies.watcher import (
    CycleReport,
    crossed_steps,
    run_watch_cycle,
    watched_assets,
)

try:  # trailing take-profits and stop-losses; plain take-profits only without it
    from exstrat_app.services.strategies import exits as _exits
except ImportError:  # pragma: no cover - until services/strategies/exits.py lands
    _exits = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

EVALUATED_KEY = "watch:evaluated"  # hash asset -> ms up to which its prices were evaluated
STREAM_HEARTBEAT_KEY = "prices:stream:heartbeat"  # exists while the stream is healthy
STREAM_ASSETS_KEY = "prices:stream:assets"  # the assets its connection is subscribed to
# The REST path reads at most this far back (one klines request holds 1000 minutes).
MAX_LOOKBACK = timedelta(minutes=xa.CANDLES_LIMIT - 1)


class PriceWindows(Protocol):
    """Where the REST path reads what happened between two looks (raise xa.ExchangeError or
    xa.TickerUnavailable when the exchange cannot answer)."""

    def day_ranges(self) -> dict[str, tuple[Decimal, Decimal]]:
        """{market id (`ETHUSDT`): (24 h high, 24 h low)} of every market."""
        ...

    def minute_extremes(self, asset: str, quote: str, since: datetime) -> xa.MinuteExtremes | None:
        """The 1-minute extremes since `since`, None if the market has none."""
        ...


def evaluate(
    engine: Engine, redis: Redis, touches: Mapping[str, PriceTouch], *, public_url: str
) -> CycleReport:
    """Evaluate every step kind on these touches (the caller then records the moments they
    cover with `mark_evaluated`: only it knows up to when its prices were seen)."""
    report = run_watch_cycle(engine, redis, touches, public_url=public_url)
    if _exits is not None and touches:
        # ----: trailing take-profits and stop-losses on the same touches.
        started = time.perf_counter()
        fired = _exits.evaluate(engine, redis, touches, public_url=public_url)
        report.fired += [f.step_id for f in fired]
        report.seconds += time.perf_counter() - started
    return report


def mark_evaluated(redis: Redis, moments: Mapping[str, datetime]) -> None:
    """Each asset's prices are evaluated up to its moment (never moved backwards by a slower
    path: the later of the stored and the given moment wins)."""
    if not moments:
        return
    try:
        stored = evaluated_moments(redis, moments)
        newer = {
            a: str(int(m.timestamp() * 1000))
            for a, m in moments.items()
            if a not in stored or stored[a] < m
        }
        if newer:
            redis.hset(EVALUATED_KEY, mapping=newer)
    except RedisError:  # the next REST window is then read from further back: safe
        log.warning("could not record the evaluated moments")


def evaluated_moments(redis: Redis, assets: Iterable[str]) -> dict[str, datetime]:
    wanted = sorted(set(assets))
    if not wanted:
        return {}
    raw = redis.hmget(EVALUATED_KEY, wanted)
    return {
        a: datetime.fromtimestamp(int(v) / 1000, tz=UTC)
        for a, v in zip(wanted, raw, strict=True)
        if v is not None
    }


def stream_covered(redis: Redis) -> set[str]:
    """The assets a healthy stream evaluates itself (empty when it is down)."""
    try:
        if not redis.exists(STREAM_HEARTBEAT_KEY):
            return set()
        return {
            m.decode() if isinstance(m, bytes) else m for m in redis.smembers(STREAM_ASSETS_KEY)
        }
    except RedisError:
        return set()


# ---------------------------------------------------------------- the REST path


def rest_touches(
    engine: Engine,
    redis: Redis,
    assets: Iterable[str],
    *,
    provider: PriceProvider,
    windows: PriceWindows,
    now: datetime | None = None,
) -> tuple[dict[str, PriceTouch], dict[str, datetime]]:
    """Touches from the ticker and the klines since each asset's evaluated moment, and the
    moments they cover (an asset whose klines failed has none: it is read again next time)."""
    now = now or datetime.now(UTC)
    wanted = sorted({a.upper() for a in assets if a})
    quotes = last_quotes(provider, wanted)
    since = evaluated_moments(redis, quotes)
    need = _needing_klines(engine, [a for a in quotes if a in since], windows)
    touches: dict[str, PriceTouch] = {}
    covered: dict[str, datetime] = {}
    for key, (quote, via) in quotes.items():
        touch = PriceTouch(key, quote.price, quote.price, quote.price, quote.at, via=via)
        start = since.get(key)
        if start is None or key not in need or via is not None:
            # never evaluated (first cycle, Redis emptied), its day could not reach a
            # threshold, or a converted price (two markets' klines do not divide into one):
            # the ticker alone says all
            touches[key], covered[key] = touch, now
            continue
        asset, quote_ = split_key(key)
        try:
            window = windows.minute_extremes(asset, quote_, max(start, now - MAX_LOOKBACK))
        except xa.ExchangeError as exc:
            log.warning("klines of %s unavailable, ticker only this cycle: %s", key, exc)
            touches[key] = touch
            continue
        if window is not None:
            touch = _widened(touch, window, datetime.now(UTC))
        touches[key], covered[key] = touch, now
    return touches, covered


def _needing_klines(engine: Engine, assets: list[str], windows: PriceWindows) -> set[str]:
    """The assets whose window between two looks can matter: a pending target within their
    24 h high, or a trailing step or stop-loss. All of them when the day ranges fail."""
    if not assets:
        return set()
    try:
        ranges = windows.day_ranges()
    except (xa.ExchangeError, xa.TickerUnavailable) as exc:
        log.warning("24 h ranges unavailable, klines for every asset: %s", exc)
        return set(assets)
    day: dict[str, PriceTouch] = {}
    need: set[str] = set()
    for key in assets:
        found = ranges.get(symbol_for(*split_key(key)))
        if found is None:
            need.add(key)
            continue
        high, low = found
        day[key] = PriceTouch(key, high, high, low, datetime.now(UTC))
    with Session(engine) as session:
        need |= {c.asset for c in crossed_steps(session, day)}
        need |= _exit_assets(session, set(assets))
    return need


def _exit_assets(session: Session, assets: set[str]) -> set[str]:
    """Watch keys with an open trailing step or an active stop-loss (exits)."""
    trailing = (
        select(StrategyStep.asset, Strategy.quote)
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(
            col(StrategyStep.trail_pct).is_not(None),
            col(StrategyStep.state).in_(("pending", "armed")),
            Strategy.status == "active",
        )
    )
    stops = select(Strategy.asset, Strategy.quote).where(
        Strategy.status == "active", Strategy.stop_state == "active"
    )
    rows = set(session.exec(trailing.distinct())) | set(session.exec(stops.distinct()))
    return {watch_key(asset, quote) for asset, quote in rows} & assets


def _widened(touch: PriceTouch, window: xa.MinuteExtremes, read_at: datetime) -> PriceTouch:
    """The window as the klines tell it: their extremes, and their newest close as the last
    price (seen at `read_at`, when they were read).

    The ticker is a cached read, up to two cache periods old, and the klines are requested
    after it: their current candle's close is the newer price. Keeping the ticker's last here
    made a price sitting at a target look like a spike that came back ("touched 2200 at
    12:04" while the price was at 2200), and a ticker from before the window could stand in
    for a price the market no longer had. The ticker adds nothing to the extremes either: a
    price inside the window is inside one of its candles, one from before it is not this
    window's."""
    return PriceTouch(
        asset=touch.asset,
        last=window.close,
        high=window.high,
        low=window.low,
        at=read_at,
        high_at=window.high_at,
        low_at=window.low_at,
        via=touch.via,
    )


def rest_watch_cycle(
    engine: Engine,
    redis: Redis,
    *,
    provider: PriceProvider,
    public_url: str,
    windows: PriceWindows | None = None,
    assets: Iterable[str] | None = None,
) -> CycleReport:
    """The periodic REST cycle: every watched asset the stream does not cover (or `assets`,
    e.g. the stream's catch-up after it subscribed), evaluated on REST touches."""
    started = time.perf_counter()
    if assets is None:
        with Session(engine) as session:
            watched = watched_assets(session)
        covered = stream_covered(redis)
        wanted = [a for a in watched if a not in covered]
    else:
        watched = wanted = sorted(set(assets))
    if not wanted:
        return CycleReport(assets=0, seconds=time.perf_counter() - started)
    touches, moments = rest_touches(
        engine, redis, wanted, provider=provider, windows=windows or BinanceWindows(redis)
    )
    report = evaluate(engine, redis, touches, public_url=public_url)
    mark_evaluated(redis, moments)
    report.assets = len(wanted)
    report.seconds = time.perf_counter() - started
    return report


# ---------------------------------------------------------------- Binance klines

_instances: dict[str, Any] = {}  # server -> this process's ccxt instance for klines
_instances_lock = threading.Lock()


class BinanceWindows:
    """The price provider's exchange: the 24 h ranges in one plain request beside the ticker's,
    the klines through one ccxt instance per process (its markets from the shared cache, its
    requests on the shared schedule with their documented weights)."""

    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis

    def day_ranges(self) -> dict[str, tuple[Decimal, Decimal]]:
        return xa.fetch_binance_day_ranges()

    def minute_extremes(self, asset: str, quote: str, since: datetime) -> xa.MinuteExtremes | None:
        symbol = f"{asset}/{QUOTE_ALIASES.get(quote, quote)}"
        instance = _instance(self.redis)
        if symbol not in instance.markets:
            return None
        return xa.fetch_minute_extremes(instance, symbol, since)


def _instance(redis: Redis | None) -> Any:
    server = server_of("binance")
    with _instances_lock:
        instance = _instances.get(server)
        if instance is None:
            instance = xa.make_exchange("binance", redis=redis)
            xa.ensure_markets(instance, redis=redis)
            _instances[server] = instance
        return instance

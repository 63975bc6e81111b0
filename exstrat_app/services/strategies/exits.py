"""Trailing take-profits and stop-losses on the watch cycle's touches.

`touches.evaluate` calls `evaluate` after the plain take-profits (`watcher.run_watch_cycle`)
with the same `PriceTouch` per asset. The rules are `domain/exits.py`'s; this module reads the
rows, applies them and writes the outcome, each change in its own short transaction:
- a pending trailing step whose target the high reached ARMS (pending -> armed, peak = the
  high), a conditional UPDATE so two workers cannot both arm it differently;
- an armed step's peak only goes up (`UPDATE ... WHERE peak_price < :high`);
- a trailing step FIRES (armed -> triggered) when the price fell trail % from its peak, and a
  stop-loss fires (stop_state active -> fired, the strategy completed) when the low reached
  it, each exactly once like `watcher.trigger_step`: the Redis lock, then a conditional
  UPDATE that names the state it read (and the peak or level it judged against), with the
  execution and the notification in the same transaction; after the commit
  `watcher.after_commit` (live push, email, channels, order job);
- a stop with break-even on moves up to the reference once a step of its strategy fired.
The stop-losses are `stops.py`'s, the exactly-once firing `firing.py`'s. A step or stop of a
strategy created after the window's extreme is judged on the last price only: that extreme
came before it existed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis
from sqlalchemy import and_, bindparam, exists, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from exstrat_app.domain.exits import follow_trail
from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.db.types import Money, utcnow
from exstrat_app.models import Notification, Strategy, StrategyStep
from exstrat_app.services.strategies.firing import fire_once
from exstrat_app.services.strategies.markets import split_key, watch_key
from exstrat_app.services.strategies.stops import stop_rows, watch_stop
from exstrat_app.services.strategies.watcher import Fired, _record

log = logging.getLogger(__name__)

CHUNK = 100  # assets per statement


@dataclass(frozen=True)
class TrailingRow:
    step_id: str
    asset: str  # its watch key (`ETH`, `ETH/EUR`)
    state: str  # pending | armed
    target_price: Decimal
    trail_pct: Decimal
    peak_price: Decimal | None
    created_at: datetime  # the strategy's


def evaluate(
    engine: Engine, redis: Redis, touches: Mapping[str, PriceTouch], *, public_url: str
) -> list[Fired]:
    """Arm, raise and fire trailing steps, move and fire stop-losses; what fired, in order.
    A failed transaction is logged and left for the next cycle (its rows are unchanged)."""
    if not touches:
        return []
    with Session(engine) as session:
        trailing = _trailing_rows(session, touches)
        stops = stop_rows(session, _chunks(touches))
    fired: list[Fired] = []
    for row in trailing:
        try:
            if (one := _follow(engine, redis, row, touches[row.asset], public_url)) is not None:
                fired.append(one)
        except SQLAlchemyError:
            log.exception("could not evaluate trailing step %s", row.step_id)
    for stop in stops:
        try:
            if one := watch_stop(engine, redis, stop, touches[stop.asset], public_url):
                fired.append(one)
        except SQLAlchemyError:
            log.exception("could not evaluate the stop-loss of strategy %s", stop.strategy_id)
    return fired


# ---------------------------------------------------------------- reads


def _chunks(touches: Mapping[str, PriceTouch]) -> list[list[tuple[str, PriceTouch]]]:
    items = sorted(touches.items())
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def _trailing_rows(session: Session, touches: Mapping[str, PriceTouch]) -> list[TrailingRow]:
    """Armed trailing steps of the touched assets, and pending ones whose target the high
    reached: one (asset, state, target_price) index range each."""
    rows: list[TrailingRow] = []
    # Few assets carry trailing steps: one indexed read narrows the ranges to them, instead of
    # building an expression per watched asset every cycle (0.6 s at 500 assets).
    trailing = set(_assets_with_trailing_steps(session))
    touches = {asset: t for asset, t in touches.items() if asset in trailing}
    for chunk in _chunks(touches):
        ranges = [
            and_(
                col(StrategyStep.asset) == split_key(key)[0],
                col(Strategy.quote) == split_key(key)[1],
                or_(
                    col(StrategyStep.state) == "armed",
                    and_(
                        col(StrategyStep.state) == "pending",
                        col(StrategyStep.target_price)
                        <= bindparam(f"h{i}", touch.high, type_=Money()),
                    ),
                ),
            )
            for i, (key, touch) in enumerate(chunk)
        ]
        query = (
            select(
                StrategyStep.id,
                StrategyStep.asset,
                Strategy.quote,
                StrategyStep.state,
                StrategyStep.target_price,
                StrategyStep.trail_pct,
                StrategyStep.peak_price,
                Strategy.created_at,
            )
            .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
            .where(
                Strategy.status == "active", col(StrategyStep.trail_pct).is_not(None), or_(*ranges)
            )
        )
        rows += [
            TrailingRow(step_id, watch_key(asset, quote), *rest)
            for step_id, asset, quote, *rest in session.execute(query)
        ]
    return sorted(rows, key=lambda r: (r.asset, r.target_price, r.step_id))


def _assets_with_trailing_steps(session: Session) -> list[str]:
    query = (
        select(StrategyStep.asset, Strategy.quote)
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(
            Strategy.status == "active",
            col(StrategyStep.trail_pct).is_not(None),
            col(StrategyStep.state).in_(("pending", "armed")),
        )
        .distinct()
    )
    return [watch_key(asset, quote) for asset, quote in session.execute(query)]


# ---------------------------------------------------------------- trailing steps


def _follow(
    engine: Engine, redis: Redis, row: TrailingRow, touch: PriceTouch, public_url: str
) -> Fired | None:
    # A high seen before the strategy existed neither arms nor raises its steps.
    high = touch.high if row.created_at <= touch.high_seen_at else touch.last
    low = touch.low if row.created_at <= touch.low_seen_at else touch.last
    peak = row.peak_price if row.state == "armed" else None
    move = follow_trail(
        target_price=row.target_price, trail_pct=row.trail_pct, peak=peak, last=touch.last,
        high=high, low=low,
    )  # fmt: skip
    if move.fires:
        assert move.fire_price is not None and move.fire_peak is not None
        # A fire at the floor (not the last price) is a dip that came back: "touched at".
        touched_at = touch.low_seen_at if move.fire_price != touch.last else None
        return _fire_trailing(
            engine, redis, row, move.fire_price, move.fire_peak, touched_at, public_url,
            armed_now=move.armed, at=touch.high_seen_at if move.armed else None, via=touch.via,
        )  # fmt: skip
    if move.armed and move.peak is not None:
        _arm(engine, row.step_id, move.peak, touch.high_seen_at if high == touch.high else touch.at)
    elif move.raised and move.peak is not None:
        _raise_peak(engine, row.step_id, move.peak, touch.high_seen_at)
    return None


def _arm(engine: Engine, step_id: str, peak: Decimal, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(StrategyStep)
            .where(col(StrategyStep.id) == step_id, col(StrategyStep.state) == "pending")
            .values(state="armed", armed_at=at, peak_price=peak, peak_at=at)
        )


def _raise_peak(engine: Engine, step_id: str, peak: Decimal, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(StrategyStep)
            .where(
                col(StrategyStep.id) == step_id,
                col(StrategyStep.state) == "armed",
                col(StrategyStep.peak_price) < peak,
            )
            .values(peak_price=peak, peak_at=at)
        )


def _strategy_active() -> Any:
    return exists().where(
        col(Strategy.id) == col(StrategyStep.strategy_id), Strategy.status == "active"
    )


def _fire_trailing(
    engine: Engine,
    redis: Redis,
    row: TrailingRow,
    price: Decimal,
    peak: Decimal,
    touched_at: datetime | None,
    public_url: str,
    *,
    armed_now: bool,
    at: datetime | None,
    via: str | None = None,
) -> Fired | None:
    """armed -> triggered (or pending -> triggered when it armed and fell in one window),
    only from the state and peak this evaluation judged: a concurrent raise makes it lose."""
    was = (
        col(StrategyStep.state) == "pending"
        if armed_now
        else and_(
            col(StrategyStep.state) == "armed", col(StrategyStep.peak_price) == row.peak_price
        )
    )
    values: dict[str, Any] = {
        "state": "triggered", "triggered_at": utcnow(), "triggered_price": price,
        "peak_price": peak,
    }  # fmt: skip
    if armed_now:
        values |= {"armed_at": at, "peak_at": at}
    claim = (
        update(StrategyStep)
        .where(col(StrategyStep.id) == row.step_id, was, _strategy_active())
        .values(**values)
    )

    def write(session: Session) -> Notification | None:
        if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
            return None
        step = session.get(StrategyStep, row.step_id)
        assert step is not None
        strategy = session.get(Strategy, step.strategy_id)
        assert strategy is not None
        return _record(
            session, strategy, step, price, public_url=public_url, touched_at=touched_at, via=via
        )

    return fire_once(engine, redis, f"step:{row.step_id}", write, step_id=row.step_id)

"""The watch's reads: the watch keys that have something to watch, and the pending steps a
touch reached (`watcher` fires them). Keys are `markets.watch_key`s: a EUR ladder's steps are
compared with a EUR price only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from exstrat_app.domain.touch import PriceTouch
from exstrat_app.infra.db.types import Money, UTCDateTime
from exstrat_app.models import Strategy, StrategyStep
from exstrat_app.services.strategies.markets import split_key, watch_key

CROSS_CHUNK = 100  # assets per crossed-steps statement (5 parameters each)


@dataclass(frozen=True)
class Candidate:
    step_id: str
    strategy_id: str
    asset: str  # its watch key (`ETH`, `ETH/EUR`)
    position: int
    target_price: Decimal


# ---------------------------------------------------------------- queries


def watched_assets(session: Session) -> list[str]:
    """Watch keys (`markets.watch_key`: `ETH` for USDT ladders, `ETH/EUR` for EUR ones) with
    at least one pending or armed (trailing) step, or an active stop-loss, of an active
    strategy."""
    open_steps = col(StrategyStep.state).in_(("pending", "armed"))
    query = (
        select(StrategyStep.asset, Strategy.quote)
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(open_steps, Strategy.status == "active")
        .distinct()
    )
    stops = select(Strategy.asset, Strategy.quote).where(
        Strategy.status == "active", Strategy.stop_state == "active"
    )
    rows = set(session.exec(query)) | set(session.exec(stops.distinct()))
    return sorted({watch_key(asset, quote) for asset, quote in rows})


def crossed_steps(session: Session, touches: Mapping[str, PriceTouch]) -> list[Candidate]:
    """Pending steps of active strategies whose target is at or below their asset's high, per
    asset lowest target first (`touches` and the candidates are keyed by watch key: a EUR
    ladder's steps are only compared with a EUR price). A step above the last price (reached
    by a spike only) is left out when its strategy was created after the spike's moment: that
    spike came before it.

    Each asset is one `asset = :a AND target_price <= :high` range on the (asset, state,
    target_price) index; up to CROSS_CHUNK of them go in one statement as an OR, which SQLite
    and PostgreSQL both answer with one index range per asset (a query per asset costs ~10 x
    more in round trips at 500 assets). On SQLite the Money column is an order-preserving text,
    so the comparison is exact there too.
    """
    items = sorted(touches.items())
    found: list[Candidate] = []
    for start in range(0, len(items), CROSS_CHUNK):
        found += _crossed_chunk(session, items[start : start + CROSS_CHUNK])
    return sorted(found, key=lambda c: (c.asset, c.target_price, c.position))


def _crossed_chunk(session: Session, items: list[tuple[str, PriceTouch]]) -> list[Candidate]:
    params: dict[str, Any] = {}
    for i, (key, touch) in enumerate(items):
        params[f"a{i}"], params[f"q{i}"] = split_key(key)
        params[f"h{i}"], params[f"l{i}"] = touch.high, touch.last
        params[f"t{i}"] = touch.high_seen_at
    return [
        Candidate(step_id, strategy_id, watch_key(asset, quote), position, target)
        for step_id, strategy_id, asset, quote, position, target in session.execute(
            _crossed_query(len(items)), params
        )
    ]


@lru_cache(maxsize=8)
def _crossed_query(n: int) -> Any:
    """The statement for `n` assets, with bound parameters a0/q0/h0/l0/t0 … (built once per size:
    building 100 OR-ed expressions every cycle cost more than running them)."""
    ranges = [
        (col(StrategyStep.asset) == bindparam(f"a{i}"))
        & (col(Strategy.quote) == bindparam(f"q{i}"))
        & (col(StrategyStep.target_price) <= bindparam(f"h{i}", type_=Money()))
        & (
            (col(StrategyStep.target_price) <= bindparam(f"l{i}", type_=Money()))
            | (col(Strategy.created_at) <= bindparam(f"t{i}", type_=UTCDateTime()))
        )
        for i in range(n)
    ]
    return (
        select(
            StrategyStep.id,
            StrategyStep.strategy_id,
            StrategyStep.asset,
            Strategy.quote,
            StrategyStep.position,
            StrategyStep.target_price,
        )
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(
            StrategyStep.state == "pending",
            Strategy.status == "active",
            # Trailing steps arm at their target instead of firing: `exits.evaluate`.
            col(StrategyStep.trail_pct).is_(None),
            or_(*ranges),
        )
    )

"""Reading strategies: lists, details, executions, ladder targets, step counts.

Every read is scoped to the signed-in user: another user's strategy is the same NotFound as
an unknown id (`owned_strategy`, the one ownership rule of this context).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.models import Strategy, StrategyExecution, StrategyStep
from exstrat_app.services.errors import NotFound
from exstrat_app.services.strategies.views import (
    REACHED_STATES,
    ExecutionView,
    LadderTarget,
    StrategyView,
    execution_view,
    step_view,
    strategy_view,
)

STRATEGY_NOT_FOUND = N_("No such strategy.")


def owned_strategy(session: Session, *, user_id: str, strategy_id: str) -> Strategy:
    """The user's strategy; another user's (or none) is NotFound (404), never Forbidden."""
    strategy = session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user_id:
        raise NotFound(STRATEGY_NOT_FOUND)
    return strategy


def steps_of(session: Session, strategy_ids: Sequence[str]) -> dict[str, list[StrategyStep]]:
    """Steps of many strategies in one query, each list in ladder order."""
    grouped: dict[str, list[StrategyStep]] = {sid: [] for sid in strategy_ids}
    if not strategy_ids:
        return grouped
    rows = session.exec(
        select(StrategyStep)
        .where(col(StrategyStep.strategy_id).in_(list(strategy_ids)))
        .order_by(col(StrategyStep.strategy_id), col(StrategyStep.position))
    )
    for step in rows:
        grouped[step.strategy_id].append(step)
    return grouped


def step_count(session: Session, strategy_id: str) -> int:
    """How many steps the strategy's ladder has (the "of N" of an alert)."""
    total = session.exec(
        select(func.count())
        .select_from(StrategyStep)
        .where(StrategyStep.strategy_id == strategy_id)
    ).one()
    return int(total)


def strategy_total(session: Session, *, user_id: str) -> int:
    """How many strategies the user has (any status): what the per-user cap counts."""
    total = session.exec(
        select(func.count()).select_from(Strategy).where(Strategy.user_id == user_id)
    ).one()
    return int(total)


def list_strategies(
    session: Session,
    *,
    user_id: str,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StrategyView]:
    """The user's strategies, newest first (then by id: a stable order for paging);
    `limit`/`offset` give one page (None: all of them)."""
    query = select(Strategy).where(Strategy.user_id == user_id)
    if status is not None:
        query = query.where(Strategy.status == status)
    query = query.order_by(col(Strategy.created_at).desc(), col(Strategy.id))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    strategies = list(session.exec(query))
    steps = steps_of(session, [s.id for s in strategies])
    return [strategy_view(s, steps[s.id]) for s in strategies]


def strategy_detail(session: Session, *, user_id: str, strategy_id: str) -> StrategyView:
    strategy = owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    return strategy_view(strategy, steps_of(session, [strategy.id])[strategy.id])


def list_executions(session: Session, *, user_id: str, strategy_id: str) -> list[ExecutionView]:
    """The strategy's executions (V1: one alert per reached step), in ladder order."""
    owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    rows = session.exec(
        select(StrategyExecution, StrategyStep)
        .join(StrategyStep, col(StrategyStep.id) == col(StrategyExecution.step_id))
        .where(StrategyExecution.strategy_id == strategy_id)
        .order_by(col(StrategyStep.position), col(StrategyExecution.created_at))
    )
    return [execution_view(execution, step) for execution, step in rows]


def ladder_targets(
    session: Session, *, user_id: str, asset: str, quote: str = "USDT"
) -> list[LadderTarget]:
    """Every step target of the user's open (not completed) ladders on `asset` priced in
    `quote` (a chart in USDT shows the USDT ladders, one in EUR the EUR ones): newest ladder
    first, each in ladder order."""
    query = (
        select(Strategy)
        .where(
            Strategy.user_id == user_id,
            Strategy.asset == asset,
            Strategy.quote == quote,
            Strategy.status != "completed",
        )
        .order_by(col(Strategy.created_at).desc())
    )
    strategies = list(session.exec(query))
    steps = steps_of(session, [s.id for s in strategies])
    shown = [step_view(step) for s in strategies for step in steps[s.id]]
    return [
        LadderTarget(
            target_price=step.target_price,
            target_pct=step.target_pct,
            reached=step.state in REACHED_STATES,
        )
        for step in shown
    ]

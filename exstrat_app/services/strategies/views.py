"""What the strategies context hands out: frozen views of Decimals, for the API and the pages.

A view carries values, not text: the API (`api/strategy_schemas.py`) prints them as decimal
strings, the Reflex states format them for display. Money-like amounts are as stored
(18 decimals, half away from zero), so a preview is exactly what its creation stores.
`remaining_qty` is what stays held once every step has sold (base minus every qty_to_sell);
`projected_proceeds` the quote received if every step sells at its target; step `position`
is 0-based like field paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from exstrat_app.domain.ladder import LadderPlan, PlannedStep
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import Strategy, StrategyExecution, StrategyStep

DRAFT_STATUS = "draft"
REACHED_STATES = ("triggered", "done")


@dataclass(frozen=True)
class StepView:
    id: str | None  # None in a preview
    position: int
    target_pct: Decimal
    sell_pct: Decimal
    target_price: Decimal
    qty_to_sell: Decimal
    proceeds: Decimal
    state: str  # pending | triggered | done
    triggered_at: datetime | None = None
    triggered_price: Decimal | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    triggered: int  # steps reached (triggered or done)
    total: int


@dataclass(frozen=True)
class StrategyView:
    id: str | None  # None in a preview
    name: str | None
    asset: str
    quote: str
    status: str  # active | paused | completed, or "draft" in a preview
    ref_type: str  # avgPrice | custom
    ref_price: Decimal
    base_qty: Decimal
    exchange_account_id: str | None
    notify_email: bool
    notify_in_app: bool
    created_at: datetime | None
    steps: tuple[StepView, ...]
    remaining_qty: Decimal
    projected_proceeds: Decimal
    progress: Progress
    next_step: StepView | None
    lot_step: Decimal | None = None  # a preview shows the lot its quantities were cut to


@dataclass(frozen=True)
class ExecutionView:
    """One alert (V1: every reached step has exactly one)."""

    created_at: datetime
    executed_qty: Decimal
    price: Decimal
    execution_type: str  # alert | order
    status: str  # "alert sent", or "sold" once the user marked the step done


@dataclass(frozen=True)
class LadderTarget:
    """A step target of an open ladder, for the token chart."""

    target_price: Decimal
    target_pct: Decimal
    reached: bool


def _proceeds(qty: Decimal, price: Decimal) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return qty * price


def step_view(step: StrategyStep) -> StepView:
    return StepView(
        id=step.id,
        position=step.position,
        target_pct=step.target_pct,
        sell_pct=step.sell_pct,
        target_price=quantize_money(step.target_price),
        qty_to_sell=quantize_money(step.qty_to_sell),
        proceeds=quantize_money(_proceeds(step.qty_to_sell, step.target_price)),
        state=step.state,
        triggered_at=step.triggered_at,
        triggered_price=step.triggered_price,
        done_at=step.done_at,
    )


def planned_step_view(planned: PlannedStep) -> StepView:
    return StepView(
        id=None,
        position=planned.position,
        target_pct=planned.target_pct,
        sell_pct=planned.sell_pct,
        target_price=quantize_money(planned.target_price),
        qty_to_sell=quantize_money(planned.qty_to_sell),
        proceeds=quantize_money(planned.proceeds),
        state="pending",
    )


@dataclass(frozen=True)
class _Summary:
    remaining_qty: Decimal
    projected_proceeds: Decimal
    progress: Progress
    next_step: StepView | None


def _summary(base_qty: Decimal, steps: Sequence[StepView]) -> _Summary:
    """Sums of the steps' amounts as shown (already at 18 decimals), so the totals add up."""
    with localcontext(MONEY_CONTEXT):
        sold = sum((s.qty_to_sell for s in steps), Decimal(0))
        proceeds = sum((s.proceeds for s in steps), Decimal(0))
        remaining = base_qty - sold
    pending = [s for s in steps if s.state == "pending"]
    return _Summary(
        remaining_qty=quantize_money(remaining),
        projected_proceeds=quantize_money(proceeds),
        progress=Progress(
            triggered=sum(1 for s in steps if s.state in REACHED_STATES), total=len(steps)
        ),
        next_step=pending[0] if pending else None,
    )


def strategy_view(strategy: Strategy, steps: Sequence[StrategyStep]) -> StrategyView:
    shown = tuple(step_view(s) for s in sorted(steps, key=lambda s: s.position))
    summary = _summary(strategy.base_qty, shown)
    return StrategyView(
        id=strategy.id,
        name=strategy.name,
        asset=strategy.asset,
        quote=strategy.quote,
        status=strategy.status,
        ref_type=strategy.ref_type,
        ref_price=quantize_money(strategy.ref_price),
        base_qty=quantize_money(strategy.base_qty),
        exchange_account_id=strategy.exchange_account_id,
        notify_email=strategy.notify_email,
        notify_in_app=strategy.notify_in_app,
        created_at=strategy.created_at,
        steps=shown,
        remaining_qty=summary.remaining_qty,
        projected_proceeds=summary.projected_proceeds,
        progress=summary.progress,
        next_step=summary.next_step,
    )


def draft_view(
    *,
    asset: str,
    quote: str,
    name: str | None,
    ref_type: str,
    ref_price: Decimal,
    base_qty: Decimal,
    exchange_account_id: str | None,
    notify_email: bool,
    notify_in_app: bool,
    lot_step: Decimal | None,
    plan: LadderPlan,
) -> StrategyView:
    """Same view as `strategy_view`, for a strategy not stored yet (ids and times None)."""
    shown = tuple(planned_step_view(p) for p in plan.steps)
    summary = _summary(base_qty, shown)
    return StrategyView(
        id=None,
        name=name,
        asset=asset,
        quote=quote,
        status=DRAFT_STATUS,
        ref_type=ref_type,
        ref_price=quantize_money(ref_price),
        base_qty=quantize_money(base_qty),
        exchange_account_id=exchange_account_id,
        notify_email=notify_email,
        notify_in_app=notify_in_app,
        created_at=None,
        steps=shown,
        remaining_qty=summary.remaining_qty,
        projected_proceeds=summary.projected_proceeds,
        progress=summary.progress,
        next_step=summary.next_step,
        lot_step=lot_step,
    )


def execution_view(execution: StrategyExecution, step: StrategyStep) -> ExecutionView:
    return ExecutionView(
        created_at=execution.created_at,
        executed_qty=execution.executed_qty,
        price=execution.price,
        execution_type=execution.execution_type,
        status="sold" if step.state == "done" else "alert sent",
    )

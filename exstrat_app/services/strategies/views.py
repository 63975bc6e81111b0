"""What the strategies context hands out: frozen views of Decimals, for the API and the pages.

A view carries values, not text: the API (`api/strategy_schemas.py`) prints them as decimal
strings, the Reflex states format them for display. Money-like amounts are as stored
(18 decimals, half away from zero), so a preview is exactly what its creation stores.
`remaining_qty` is what stays held once every step has sold (base minus every qty_to_sell);
`projected_proceeds` the quote received if every step sells at its target; step `position`
is 0-based like field paths. A trailing step's proceeds are counted at its `fire_floor`, the
lowest price it can fire at (target * (1 - trail/100)); `stop` is the strategy's stop-loss with
what selling the quantity still held at it would realise against the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

from exstrat_app.domain.exits import PlannedStop, realised
from exstrat_app.domain.ladder import LadderPlan, PlannedStep, trail_floor
from exstrat_app.domain.money import MONEY_CONTEXT
from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import Strategy, StrategyExecution, StrategyStep

DRAFT_STATUS = "draft"
REACHED_STATES = ("triggered", "done")
OPEN_STATES = ("pending", "armed")  # not reached yet (armed: a trailing step past its target)


@dataclass(frozen=True)
class StepView:
    id: str | None  # None in a preview
    position: int
    target_pct: Decimal
    sell_pct: Decimal
    target_price: Decimal
    qty_to_sell: Decimal
    proceeds: Decimal
    state: str  # pending | armed | triggered | done
    triggered_at: datetime | None = None
    triggered_price: Decimal | None = None
    done_at: datetime | None = None
    target_kind: str = "pct"  # pct | price: how the target was stated
    trail_pct: Decimal | None = None  # a trailing take-profit's trail
    fire_floor: Decimal | None = None  # trailing: target * (1 - trail/100), fires at or above
    armed_at: datetime | None = None
    peak_price: Decimal | None = None  # trailing, armed: the highest price since arming
    peak_at: datetime | None = None
    fire_price: Decimal | None = None  # trailing, armed: peak * (1 - trail/100), fires there


@dataclass(frozen=True)
class StopView:
    """The stop-loss: its level now (moved to the reference once at break-even), and what
    selling the `qty` still held there realises against the reference (negative: a loss)."""

    kind: str  # pct | price
    value: Decimal
    break_even: bool
    price: Decimal
    state: str  # planned (a preview) | active | fired
    qty: Decimal
    result: Decimal  # (price or fired_price - ref) * qty
    result_pct: Decimal
    moved_at: datetime | None = None
    fired_at: datetime | None = None
    fired_price: Decimal | None = None


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
    stop: StopView | None = None
    # The market its price is read on: `ETH/USDT`, `ETH/EUR`, `ETH/USDT via EUR/USDT`.
    watched_on: str | None = None


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


def _floor(price: Decimal | None, trail: Decimal | None) -> Decimal | None:
    if price is None or trail is None:
        return None
    return quantize_money(trail_floor(price, trail))


def step_view(step: StrategyStep) -> StepView:
    floor = _floor(step.target_price, step.trail_pct)
    return StepView(
        id=step.id,
        position=step.position,
        target_pct=quantize_money(step.target_pct),
        sell_pct=step.sell_pct,
        target_price=quantize_money(step.target_price),
        qty_to_sell=quantize_money(step.qty_to_sell),
        proceeds=quantize_money(_proceeds(step.qty_to_sell, floor or step.target_price)),
        state=step.state,
        triggered_at=step.triggered_at,
        triggered_price=step.triggered_price,
        done_at=step.done_at,
        target_kind=step.target_kind,
        trail_pct=step.trail_pct,
        fire_floor=floor,
        armed_at=step.armed_at,
        peak_price=step.peak_price,
        peak_at=step.peak_at,
        fire_price=_floor(step.peak_price, step.trail_pct) if step.state == "armed" else None,
    )


def planned_step_view(planned: PlannedStep) -> StepView:
    return StepView(
        id=None,
        position=planned.position,
        target_pct=quantize_money(planned.target_pct),
        sell_pct=planned.sell_pct,
        target_price=quantize_money(planned.target_price),
        qty_to_sell=quantize_money(planned.qty_to_sell),
        proceeds=quantize_money(planned.proceeds),
        state="pending",
        target_kind=planned.target_kind,
        trail_pct=planned.trail_pct,
        fire_floor=_floor(planned.target_price, planned.trail_pct),
    )


def stop_view(strategy: Strategy, steps: Sequence[StepView]) -> StopView | None:
    """A stored strategy's stop, on the quantity its reached steps left held."""
    if strategy.stop_kind is None or strategy.stop_value is None or strategy.stop_price is None:
        return None
    with localcontext(MONEY_CONTEXT):
        sold = sum((s.qty_to_sell for s in steps if s.state in REACHED_STATES), Decimal(0))
        qty = strategy.base_qty - sold
        at = strategy.stop_fired_price or strategy.stop_price
        result_pct = (at / strategy.ref_price - 1) * 100
    return StopView(
        kind=strategy.stop_kind,
        value=strategy.stop_value,
        break_even=strategy.stop_break_even,
        price=quantize_money(strategy.stop_price),
        state=strategy.stop_state,
        qty=quantize_money(qty),
        result=quantize_money(realised(qty, at, strategy.ref_price)),
        result_pct=quantize_money(result_pct),
        moved_at=strategy.stop_moved_at,
        fired_at=strategy.stop_fired_at,
        fired_price=strategy.stop_fired_price,
    )


def planned_stop_view(stop: PlannedStop, base_qty: Decimal) -> StopView:
    return StopView(
        kind=stop.kind,
        value=stop.value,
        break_even=stop.break_even,
        price=quantize_money(stop.stop_price),
        state="planned",
        qty=quantize_money(base_qty),
        result=quantize_money(stop.result),
        result_pct=quantize_money(stop.result_pct),
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
    pending = [s for s in steps if s.state in OPEN_STATES]
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
        stop=stop_view(strategy, shown),
        watched_on=strategy.watched_on or f"{strategy.asset}/{strategy.quote}",
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
    stop: PlannedStop | None = None,
    watched_on: str | None = None,
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
        stop=planned_stop_view(stop, base_qty) if stop is not None else None,
        watched_on=watched_on or f"{asset}/{quote}",
    )


def execution_view(execution: StrategyExecution, step: StrategyStep) -> ExecutionView:
    return ExecutionView(
        created_at=execution.created_at,
        executed_qty=execution.executed_qty,
        price=execution.price,
        execution_type=execution.execution_type,
        status="sold" if step.state == "done" else "alert sent",
    )

"""Changing and deleting a stored ladder.

Edit: the name, and each *pending* step's target and sale (`steps` lists the ladder in order,
one object per step; a key left out keeps the stored value). A step already reached (armed,
triggered, done) keeps what it fired with: asking to change it is a Conflict. The whole ladder
is re-planned with the creation's domain rules (targets increasing, sales at most 100 %, the
lot size), then only the pending steps are written, each with `... WHERE state='pending'` so
a step the watcher fires meanwhile is never rewritten (Conflict).

Delete: the watcher's watch set is read from the database (`crossing.watched_assets`: open
steps of active strategies), like a pause or a completion, so removing the steps is what takes
the ladder out of it; the stream picks the new set up on its next refresh. A ladder with an
order on record is refused: a live order must be cancelled first, and a finished one is kept
with its audit (complete the ladder instead). Alerts already sent stay in the person's
notifications, no longer linked to the ladder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from exstrat_app.domain.ladder import StepSpec
from exstrat_app.i18n import N_, Msg
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import (
    ExchangeAccount,
    Notification,
    Strategy,
    StrategyExecution,
    StrategyStep,
)
from exstrat_app.models.orders import Order
from exstrat_app.services.errors import Conflict, InvalidInput
from exstrat_app.services.strategies.drafting import DEFAULT_EXCHANGE, _plan
from exstrat_app.services.strategies.inputs import (
    INVALID_MESSAGE,
    FieldErrors,
    parse_amount,
    parse_name,
)
from exstrat_app.services.strategies.lots import LotStepLookup, ladder_market
from exstrat_app.services.strategies.queries import owned_strategy, steps_of
from exstrat_app.services.strategies.views import StrategyView, strategy_view

# Orders still on their way or resting on the exchange (services/execution's statuses).
LIVE_ORDER_STATUSES = ("awaiting_confirmation", "pending", "sending", "open", "partially_filled")
LIVE_ORDER = N_(
    "This strategy has an open order: cancel the order first, then delete the strategy."
)
ORDER_ON_RECORD = N_(
    "This strategy has orders on record and cannot be deleted: complete it instead."
)
COMPLETED = N_("This strategy is completed; it cannot be changed.")


def step_reached(n: int) -> Msg:
    return N_("Step {n} has already been reached: its target and sale can no longer change.", n=n)


def step_fired_meanwhile(n: int) -> Msg:
    return N_("Step {n} fired while you were editing it: nothing was changed.", n=n)


def edit_strategy(
    session: Session,
    *,
    user_id: str,
    strategy_id: str,
    lot_step_lookup: LotStepLookup,
    changes: Mapping[str, Any],
) -> StrategyView:
    """Apply `changes` ({name?, steps?: [{targetPct?, sellPct?}, ...]}); flushes, never
    commits. 404 for another user's ladder, 422 for invalid values, 409 for a reached step."""
    strategy = owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    if strategy.status == "completed":
        raise Conflict(COMPLETED)
    rows = steps_of(session, [strategy.id])[strategy.id]
    errors = FieldErrors()
    name = parse_name(changes.get("name"), errors) if "name" in changes else strategy.name
    specs = _specs(rows, changes.get("steps"), errors)
    errors.raise_if_any()
    if specs is not None:
        _replan(session, strategy, rows, specs, lot_step_lookup)
    strategy.name, strategy.updated_at = name, utcnow()
    session.add(strategy)
    session.flush()
    return strategy_view(strategy, steps_of(session, [strategy.id])[strategy.id])


def _specs(rows: Sequence[StrategyStep], given: Any, errors: FieldErrors) -> list[StepSpec] | None:
    """The whole ladder as specs, the body's values over the stored ones (None: no `steps`)."""
    if given is None:
        return None
    if not isinstance(given, Sequence) or isinstance(given, str | bytes) or len(given) != len(rows):
        errors.add("steps", N_("must list every step of the ladder, in order ({n})", n=len(rows)))
        return None
    specs: list[StepSpec] = []
    for i, (row, item) in enumerate(zip(rows, given, strict=True)):
        if not isinstance(item, Mapping):
            errors.add(f"steps.{i}", N_("must be an object {targetPct?, sellPct?}"))
            continue
        specs.append(_spec(row, item, i, errors))
    return specs


def _spec(row: StrategyStep, item: Mapping[str, Any], i: int, errors: FieldErrors) -> StepSpec:
    target = _amount(item, "targetPct", i, errors)
    sell = _amount(item, "sellPct", i, errors)
    changed = (target is not None and target != row.target_pct) or (
        sell is not None and sell != row.sell_pct
    )
    if changed and row.state != "pending":
        raise Conflict(step_reached(row.position + 1))
    sell_pct = row.sell_pct if sell is None else sell
    if target is None and row.target_kind == "price":  # kept as stated: an absolute price
        return StepSpec(None, sell_pct, price=row.target_price, trail_pct=row.trail_pct)
    target_pct = row.target_pct if target is None else target
    return StepSpec(target_pct, sell_pct, trail_pct=row.trail_pct)


def _amount(item: Mapping[str, Any], key: str, i: int, errors: FieldErrors) -> Decimal | None:
    return parse_amount(item.get(key), f"steps.{i}.{key}", errors, required=False)


def _replan(
    session: Session,
    strategy: Strategy,
    rows: Sequence[StrategyStep],
    specs: list[StepSpec],
    lookup: LotStepLookup,
) -> None:
    errors = FieldErrors()
    account = (
        session.get(ExchangeAccount, strategy.exchange_account_id)
        if strategy.exchange_account_id
        else None
    )
    exchange = account.exchange if account else DEFAULT_EXCHANGE
    market = ladder_market(exchange, strategy.asset, strategy.quote, lookup, errors)
    plan = _plan(
        strategy.ref_type, strategy.ref_price, strategy.base_qty, specs, market.lot_step, errors
    )
    if plan is None:
        raise InvalidInput(INVALID_MESSAGE, fields=dict(errors.fields))
    for row, planned in zip(rows, plan.steps, strict=True):
        if row.state != "pending":
            continue
        result = session.execute(
            update(StrategyStep)
            .where(col(StrategyStep.id) == row.id, col(StrategyStep.state) == "pending")
            .values(
                target_pct=planned.target_pct,
                sell_pct=planned.sell_pct,
                target_price=planned.target_price,
                qty_to_sell=planned.qty_to_sell,
                target_kind=planned.target_kind,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(step_fired_meanwhile(row.position + 1))
        session.refresh(row)


def delete_strategy(session: Session, *, user_id: str, strategy_id: str) -> None:
    """Delete the ladder, its steps and their execution records; flushes, never commits."""
    strategy = owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    statuses = set(session.exec(select(Order.status).where(Order.strategy_id == strategy.id)))
    if statuses & set(LIVE_ORDER_STATUSES):
        raise Conflict(LIVE_ORDER)
    if statuses:
        raise Conflict(ORDER_ON_RECORD)
    session.execute(
        update(Notification)
        .where(col(Notification.strategy_id) == strategy.id)
        .values(strategy_id=None, step_id=None)
    )
    session.execute(
        delete(StrategyExecution).where(col(StrategyExecution.strategy_id) == strategy.id)
    )
    session.execute(delete(StrategyStep).where(col(StrategyStep.strategy_id) == strategy.id))
    session.delete(strategy)
    session.flush()

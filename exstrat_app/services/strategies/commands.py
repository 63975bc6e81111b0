"""Take-profit strategies: create, preview, pause/resume/complete, mark done.

The caller owns the unit of work: these add, flush and update in the session they are given
and never commit (the API's session dependency or `bootstrap.unit_of_work()` commits once).
Invalid input comes back all at once as `InvalidInput(fields={camelCase path: message})`
(see `inputs`); the ladder is drafted by `drafting`.
"""

from __future__ import annotations

from typing import Unpack

from sqlalchemy import update
from sqlmodel import Session, col

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import Strategy, StrategyStep
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound
from exstrat_app.services.strategies.drafting import StrategyFields, draft_strategy
from exstrat_app.services.strategies.lots import LotStepLookup
from exstrat_app.services.strategies.queries import owned_strategy, steps_of, strategy_total
from exstrat_app.services.strategies.views import StepView, StrategyView, step_view, strategy_view

# action -> (statuses it applies to, resulting status, its past tense for messages)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "pause": (frozenset({"active"}), "paused", "paused"),
    "resume": (frozenset({"paused"}), "active", "resumed"),
    "complete": (frozenset({"active", "paused"}), "completed", "completed"),
}


# (status now, the action refused) -> why, in words (only these pairs can be refused).
STATUS_REFUSALS = {
    ("active", "resumed"): N_("This strategy is active; it cannot be resumed."),
    ("completed", "paused"): N_("This strategy is completed; it cannot be paused."),
    ("completed", "resumed"): N_("This strategy is completed; it cannot be resumed."),
    ("completed", "completed"): N_("This strategy is completed; it cannot be completed."),
    ("paused", "paused"): N_("This strategy is paused; it cannot be paused."),
    ("active", "paused"): N_("This strategy is active; it cannot be paused."),
    ("active", "completed"): N_("This strategy is active; it cannot be completed."),
    ("paused", "resumed"): N_("This strategy is paused; it cannot be resumed."),
    ("paused", "completed"): N_("This strategy is paused; it cannot be completed."),
}


def create_strategy(
    session: Session,
    *,
    user_id: str,
    lot_step_lookup: LotStepLookup,
    max_strategies: int | None = None,
    **raw: Unpack[StrategyFields],
) -> StrategyView:
    """Validate, compute and add a strategy with its steps (all pending); flushes, never
    commits. `max_strategies` (Settings' EXSTRAT_MAX_STRATEGIES): a user who already has
    that many is refused (Conflict) before anything is computed or fetched."""
    refuse_over_cap(session, user_id=user_id, max_strategies=max_strategies)
    draft = draft_strategy(session, user_id=user_id, lot_step_lookup=lot_step_lookup, **raw)
    strategy = Strategy(
        user_id=user_id,
        asset=draft.asset,
        quote=draft.quote,
        watched_on=draft.watched_on,
        name=draft.name,
        ref_type=draft.ref_type,
        ref_price=draft.ref_price,
        base_qty=draft.base_qty,
        exchange_account_id=draft.exchange_account_id,
        notify_email=draft.notify_email,
        notify_in_app=draft.notify_in_app,
    )
    if (stop := draft.stop) is not None:  # watched from now on (exits.evaluate)
        strategy.stop_kind, strategy.stop_value = stop.kind, stop.value
        strategy.stop_price, strategy.stop_break_even = stop.stop_price, stop.break_even
        strategy.stop_state = "active"
    session.add(strategy)
    session.flush()  # the steps reference its id
    rows = [
        StrategyStep(
            strategy_id=strategy.id,
            asset=draft.asset,
            position=planned.position,
            target_pct=planned.target_pct,
            sell_pct=planned.sell_pct,
            target_price=planned.target_price,
            qty_to_sell=planned.qty_to_sell,
            target_kind=planned.target_kind,
            trail_pct=planned.trail_pct,
        )
        for planned in draft.plan.steps
    ]
    session.add_all(rows)
    session.flush()
    return strategy_view(strategy, rows)


def strategy_cap_message(max_strategies: int) -> str:
    return N_(
        "You have reached the limit of {n} strategies per account; no more can be added.",
        n=max_strategies,
    )


def refuse_over_cap(session: Session, *, user_id: str, max_strategies: int | None) -> None:
    if max_strategies is not None and strategy_total(session, user_id=user_id) >= max_strategies:
        raise Conflict(strategy_cap_message(max_strategies))


def preview_strategy(
    session: Session,
    *,
    user_id: str,
    lot_step_lookup: LotStepLookup,
    **raw: Unpack[StrategyFields],
) -> StrategyView:
    """What `create_strategy` would store (ids and times None, status "draft"), writing
    nothing."""
    return draft_strategy(session, user_id=user_id, lot_step_lookup=lot_step_lookup, **raw).view()


def change_status(session: Session, *, user_id: str, strategy_id: str, action: str) -> StrategyView:
    """pause | resume | complete. Repeating an action is a no-op; completed is final (409).

    A conditional UPDATE (WHERE status IN allowed) so two concurrent requests cannot both
    pass the check and, say, resume a strategy another request just completed.
    """
    if action not in TRANSITIONS:
        raise InvalidInput(
            N_("Unknown action {action}.", action=repr(action)), fields={"action": N_("unknown")}
        )
    allowed, target, past = TRANSITIONS[action]
    strategy = owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    result = session.execute(
        update(Strategy)
        .where(col(Strategy.id) == strategy.id, col(Strategy.status).in_(allowed))
        .values(status=target, updated_at=utcnow())
    )
    session.refresh(strategy)
    if result.rowcount != 1 and strategy.status != target:  # type: ignore[attr-defined]
        raise Conflict(STATUS_REFUSALS[(strategy.status, past)])
    return strategy_view(strategy, steps_of(session, [strategy.id])[strategy.id])


def pause_strategy(session: Session, *, user_id: str, strategy_id: str) -> StrategyView:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="pause")


def resume_strategy(session: Session, *, user_id: str, strategy_id: str) -> StrategyView:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="resume")


def complete_strategy(session: Session, *, user_id: str, strategy_id: str) -> StrategyView:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="complete")


def mark_step_done(
    session: Session, *, user_id: str, step_id: str, strategy_id: str | None = None
) -> StepView:
    """triggered -> done (the user sold, or a matching sell was synced). Idempotent on done;
    409 on a step that has not triggered yet; 404 for anything not the user's."""
    step = session.get(StrategyStep, step_id)
    if step is None or (strategy_id is not None and step.strategy_id != strategy_id):
        raise NotFound(N_("No such step."))
    owned_strategy(session, user_id=user_id, strategy_id=step.strategy_id)
    session.execute(
        update(StrategyStep)
        .where(col(StrategyStep.id) == step_id, col(StrategyStep.state) == "triggered")
        .values(state="done", done_at=utcnow())
    )
    session.refresh(step)
    if step.state == "pending":
        raise Conflict(N_("This step's target has not been reached yet."))
    if step.state == "armed":  # a trailing step past its target, still following the peak
        raise Conflict(N_("This trailing step has not fired yet."))
    return step_view(step)

"""Take-profit strategies (SPEC §4, §5): create, preview, list, pause/resume/complete, mark done.

Inputs arrive as loosely typed values (from JSON or a form): every problem is collected and
raised at once as `InvalidInput(fields={camelCase path: message})`, e.g. `steps.1.targetPct`.
Numbers are accepted as text, ints or Decimals, never floats (a float has already lost the
value the user typed). The ladder maths is `domain.ladder.plan_ladder`; this module only
gathers its inputs (reference price, base quantity, lot size) and stores the result.

JSON (camelCase, decimals as strings): see `strategy_json`. `remainingQty` is what stays held
once every step has been sold (baseQty minus every qtyToSell); `projectedProceeds` the quote
received if every step sells at its target; step `position` is 0-based like field paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from exstrat_app.domain.errors import InvalidAmount, LadderInvalid
from exstrat_app.domain.ladder import LadderPlan, StepSpec, plan_ladder
from exstrat_app.domain.money import MONEY_CONTEXT, fmt, to_decimal
from exstrat_app.infra.db.types import quantize_money, utcnow
from exstrat_app.models import ExchangeAccount, Position, Strategy, StrategyStep
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound

QUOTE = "USDT"
DEFAULT_EXCHANGE = "binance"
# Lot sizes are per base asset; Coinbase often has no */USDT market but the same increment.
LOT_SYMBOL_QUOTES = ("USDT", "USDC", "USD")
REFERENCE_TYPES = ("avgPrice", "custom")
ASSET_RE = re.compile(r"^[A-Z0-9]{1,20}$")
NAME_MAX_CHARS = 100
INVALID_MESSAGE = "Some fields are invalid."

LotStepLookup = Callable[[str, str], Decimal | None]

# action -> (statuses it applies to, resulting status)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pause": (frozenset({"active"}), "paused"),
    "resume": (frozenset({"paused"}), "active"),
    "complete": (frozenset({"active", "paused"}), "completed"),
}


def default_lot_step_lookup(exchange: str, symbol: str) -> Decimal | None:
    from exstrat_app.infra.exchanges.markets import lot_step_for

    return lot_step_for(exchange, symbol)


# ---------------------------------------------------------------- input parsing


@dataclass
class _Errors:
    fields: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(INVALID_MESSAGE, fields=dict(self.fields))


def _amount(value: Any, path: str, errors: _Errors, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(path, "is required")
        return None
    if isinstance(value, float):
        errors.add(path, 'send decimals as strings (e.g. "10.5") or exact JSON numbers')
        return None
    try:
        return to_decimal(value, field=path)
    except InvalidAmount as exc:
        errors.add(path, exc.message)
        return None


def _asset(value: Any, errors: _Errors) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.add("asset", "is required (e.g. ETH)")
        return None
    asset = value.strip().upper()
    if not ASSET_RE.fullmatch(asset):
        errors.add("asset", "must be a ticker of 1 to 20 letters or digits")
        return None
    return asset


def _reference(value: Any, errors: _Errors) -> tuple[str | None, Decimal | None]:
    if not isinstance(value, Mapping):
        errors.add("reference", "is required: {type: avgPrice} or {type: custom, price}")
        return None, None
    ref_type = value.get("type")
    if ref_type not in REFERENCE_TYPES:
        errors.add("reference.type", "must be avgPrice or custom")
        return None, None
    if ref_type == "custom":
        return ref_type, _amount(value.get("price"), "reference.price", errors)
    return ref_type, None


def _steps(value: Any, errors: _Errors) -> list[StepSpec]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        errors.add("steps", "must be a list of {targetPct, sellPct}")
        return []
    specs: list[StepSpec] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            errors.add(f"steps.{i}", "must be an object {targetPct, sellPct}")
            continue
        target = _amount(item.get("targetPct"), f"steps.{i}.targetPct", errors)
        sell = _amount(item.get("sellPct"), f"steps.{i}.sellPct", errors)
        if target is not None and sell is not None:
            specs.append(StepSpec(target_pct=target, sell_pct=sell))
    return specs


def _notify(value: Any, errors: _Errors) -> tuple[bool, bool]:
    if value is None:
        return True, True
    if not isinstance(value, Mapping):
        errors.add("notify", "must be {email: bool, inApp: bool}")
        return True, True
    flags = []
    for key in ("email", "inApp"):
        flag = value.get(key, True)
        if not isinstance(flag, bool):
            errors.add(f"notify.{key}", "must be true or false")
            flag = True
        flags.append(flag)
    return flags[0], flags[1]


def _name(value: Any, errors: _Errors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > NAME_MAX_CHARS:
        errors.add("name", f"must be text of at most {NAME_MAX_CHARS} characters")
        return None
    return value.strip() or None


# ---------------------------------------------------------------- drafting


@dataclass(frozen=True)
class StrategyDraft:
    """A validated strategy with its computed ladder, not stored yet."""

    asset: str
    quote: str
    name: str | None
    ref_type: str
    ref_price: Decimal
    base_qty: Decimal
    exchange: str
    exchange_account_id: str | None
    notify_email: bool
    notify_in_app: bool
    lot_step: Decimal | None
    plan: LadderPlan


def draft_strategy(
    session: Session,
    *,
    user_id: str,
    asset: Any,
    reference: Any,
    base_qty: Any = None,
    exchange_account_id: Any = None,
    steps: Any,
    notify: Any = None,
    name: Any = None,
    lot_step_lookup: LotStepLookup | None = None,
) -> StrategyDraft:
    """Validate everything and compute the ladder; raises InvalidInput / NotFound / 503."""
    errors = _Errors()
    asset_ = _asset(asset, errors)
    ref_type, ref_price = _reference(reference, errors)
    base = _amount(base_qty, "baseQty", errors, required=False)
    specs = _steps(steps, errors)
    notify_email, notify_in_app = _notify(notify, errors)
    name_ = _name(name, errors)
    if exchange_account_id is not None and not isinstance(exchange_account_id, str):
        errors.add("exchangeAccountId", "must be an account id")
    errors.raise_if_any()
    assert asset_ is not None and ref_type is not None

    account = _account(session, user_id, exchange_account_id)
    position = _position(session, user_id, asset_)
    if ref_type == "avgPrice":
        ref_price = _avg_price(position, asset_, errors)
    if base is None:
        base = _held_quantity(position, asset_, errors)
    errors.raise_if_any()
    assert ref_price is not None and base is not None

    exchange = account.exchange if account else DEFAULT_EXCHANGE
    lot = _lot_step(exchange, asset_, lot_step_lookup or default_lot_step_lookup, errors)
    plan = _plan(ref_type, ref_price, base, specs, lot, errors)
    errors.raise_if_any()
    assert plan is not None
    return StrategyDraft(
        asset=asset_,
        quote=QUOTE,
        name=name_,
        ref_type=ref_type,
        ref_price=ref_price,
        base_qty=base,
        exchange=exchange,
        exchange_account_id=account.id if account else None,
        notify_email=notify_email,
        notify_in_app=notify_in_app,
        lot_step=lot,
        plan=plan,
    )


def _account(session: Session, user_id: str, account_id: str | None) -> ExchangeAccount | None:
    if not account_id:
        return None
    account = session.get(ExchangeAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound("No such exchange account.")
    return account


def _position(session: Session, user_id: str, asset: str) -> Position | None:
    return session.exec(
        select(Position).where(
            Position.user_id == user_id, Position.asset == asset, Position.quote == QUOTE
        )
    ).first()


def _avg_price(position: Position | None, asset: str, errors: _Errors) -> Decimal | None:
    if position is None or position.avg_price is None or position.avg_price <= 0:
        errors.add(
            "reference",
            f"no average buy price is known for {asset} yet: sync an account that holds it, "
            "or use a custom reference price",
        )
        return None
    return position.avg_price


def _held_quantity(position: Position | None, asset: str, errors: _Errors) -> Decimal | None:
    if position is None:
        errors.add("baseQty", f"is required: you hold no {asset} in exstrat yet")
        return None
    return position.quantity


def _lot_step(exchange: str, asset: str, lookup: LotStepLookup, errors: _Errors) -> Decimal | None:
    for quote in LOT_SYMBOL_QUOTES:
        step = lookup(exchange, f"{asset}/{quote}")
        if step is not None:
            return step
    errors.add("asset", f"{exchange.capitalize()} lists no {asset}/{QUOTE} market")
    return None


def _plan(
    ref_type: str,
    ref_price: Decimal,
    base_qty: Decimal,
    specs: list[StepSpec],
    lot: Decimal | None,
    errors: _Errors,
) -> LadderPlan | None:
    if errors.fields:
        return None
    try:
        return plan_ladder(ref_price=ref_price, base_qty=base_qty, steps=specs, lot_step=lot)
    except LadderInvalid as exc:
        ref_path = "reference.price" if ref_type == "custom" else "reference"
        renamed = {"refPrice": ref_path, "lotStep": "asset"}
        for path, message in exc.fields.items():
            errors.add(renamed.get(path, path), message)
        return None


# ---------------------------------------------------------------- use cases


def create_strategy(
    session: Session,
    *,
    user_id: str,
    asset: Any,
    reference: Any,
    base_qty: Any = None,
    exchange_account_id: Any = None,
    steps: Any,
    notify: Any = None,
    name: Any = None,
    lot_step_lookup: LotStepLookup | None = None,
) -> Strategy:
    """Validate, compute and store a strategy with its steps (all pending); commits."""
    draft = draft_strategy(
        session,
        user_id=user_id,
        asset=asset,
        reference=reference,
        base_qty=base_qty,
        exchange_account_id=exchange_account_id,
        steps=steps,
        notify=notify,
        name=name,
        lot_step_lookup=lot_step_lookup,
    )
    strategy = Strategy(
        user_id=user_id,
        asset=draft.asset,
        quote=draft.quote,
        name=draft.name,
        ref_type=draft.ref_type,
        ref_price=draft.ref_price,
        base_qty=draft.base_qty,
        exchange_account_id=draft.exchange_account_id,
        notify_email=draft.notify_email,
        notify_in_app=draft.notify_in_app,
    )
    session.add(strategy)
    session.flush()  # the steps reference its id
    for planned in draft.plan.steps:
        session.add(
            StrategyStep(
                strategy_id=strategy.id,
                asset=draft.asset,
                position=planned.position,
                target_pct=planned.target_pct,
                sell_pct=planned.sell_pct,
                target_price=planned.target_price,
                qty_to_sell=planned.qty_to_sell,
            )
        )
    session.commit()
    return strategy


def preview_strategy(
    session: Session,
    *,
    user_id: str,
    asset: Any,
    reference: Any,
    base_qty: Any = None,
    exchange_account_id: Any = None,
    steps: Any,
    notify: Any = None,
    name: Any = None,
    lot_step_lookup: LotStepLookup | None = None,
) -> dict[str, Any]:
    """What `create_strategy` would store, as its JSON (without ids), writing nothing."""
    draft = draft_strategy(
        session,
        user_id=user_id,
        asset=asset,
        reference=reference,
        base_qty=base_qty,
        exchange_account_id=exchange_account_id,
        steps=steps,
        notify=notify,
        name=name,
        lot_step_lookup=lot_step_lookup,
    )
    return draft_json(draft)


def get_strategy(session: Session, *, user_id: str, strategy_id: str) -> Strategy:
    strategy = session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user_id:
        raise NotFound("No such strategy.")
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


def list_strategies(
    session: Session, *, user_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    """The user's strategies as JSON, newest first."""
    query = select(Strategy).where(Strategy.user_id == user_id)
    if status is not None:
        query = query.where(Strategy.status == status)
    strategies = list(session.exec(query.order_by(col(Strategy.created_at).desc())))
    steps = steps_of(session, [s.id for s in strategies])
    return [strategy_json(s, steps[s.id]) for s in strategies]


def strategy_detail(session: Session, *, user_id: str, strategy_id: str) -> dict[str, Any]:
    strategy = get_strategy(session, user_id=user_id, strategy_id=strategy_id)
    return strategy_json(strategy, steps_of(session, [strategy.id])[strategy.id])


def change_status(session: Session, *, user_id: str, strategy_id: str, action: str) -> Strategy:
    """pause | resume | complete. Repeating an action is a no-op; completed is final (409).

    A conditional UPDATE (WHERE status IN allowed) so two concurrent requests cannot both
    pass the check and, say, resume a strategy another request just completed.
    """
    if action not in TRANSITIONS:
        raise InvalidInput(f"Unknown action {action!r}.", fields={"action": "unknown"})
    allowed, target = TRANSITIONS[action]
    strategy = get_strategy(session, user_id=user_id, strategy_id=strategy_id)
    result = session.execute(
        update(Strategy)
        .where(col(Strategy.id) == strategy.id, col(Strategy.status).in_(allowed))
        .values(status=target, updated_at=utcnow())
    )
    session.commit()
    session.refresh(strategy)
    if result.rowcount != 1 and strategy.status != target:  # type: ignore[attr-defined]
        raise Conflict(f"This strategy is {strategy.status}; it cannot be {_past(action)}.")
    return strategy


def _past(action: str) -> str:
    return {"pause": "paused", "resume": "resumed", "complete": "completed"}[action]


def pause_strategy(session: Session, *, user_id: str, strategy_id: str) -> Strategy:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="pause")


def resume_strategy(session: Session, *, user_id: str, strategy_id: str) -> Strategy:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="resume")


def complete_strategy(session: Session, *, user_id: str, strategy_id: str) -> Strategy:
    return change_status(session, user_id=user_id, strategy_id=strategy_id, action="complete")


def mark_step_done(
    session: Session, *, user_id: str, step_id: str, strategy_id: str | None = None
) -> StrategyStep:
    """triggered -> done (the user sold, or a matching sell was synced). Idempotent on done;
    409 on a step that has not triggered yet; 404 for anything not the user's."""
    step = session.get(StrategyStep, step_id)
    if step is None or (strategy_id is not None and step.strategy_id != strategy_id):
        raise NotFound("No such step.")
    get_strategy(session, user_id=user_id, strategy_id=step.strategy_id)
    session.execute(
        update(StrategyStep)
        .where(col(StrategyStep.id) == step_id, col(StrategyStep.state) == "triggered")
        .values(state="done", done_at=utcnow())
    )
    session.commit()
    session.refresh(step)
    if step.state == "pending":
        raise Conflict("This step's target has not been reached yet.")
    return step


# ---------------------------------------------------------------- JSON


def _money(value: Decimal) -> str:
    """As stored (18 decimals, half away from zero) so a preview matches the created strategy."""
    return fmt(quantize_money(value))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _proceeds(qty: Decimal, price: Decimal) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        return qty * price


def step_json(step: StrategyStep) -> dict[str, Any]:
    return {
        "id": step.id,
        "position": step.position,
        "targetPct": fmt(step.target_pct),
        "sellPct": fmt(step.sell_pct),
        "targetPrice": _money(step.target_price),
        "qtyToSell": _money(step.qty_to_sell),
        "proceeds": _money(_proceeds(step.qty_to_sell, step.target_price)),
        "state": step.state,
        "triggeredAt": _iso(step.triggered_at),
        "triggeredPrice": fmt(step.triggered_price) if step.triggered_price is not None else None,
        "doneAt": _iso(step.done_at),
    }


def _summary(base_qty: Decimal, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """remainingQty, projectedProceeds, progress, nextStep from the steps' JSON."""
    with localcontext(MONEY_CONTEXT):
        sold = sum((Decimal(s["qtyToSell"]) for s in steps), Decimal(0))
        proceeds = sum((Decimal(s["proceeds"]) for s in steps), Decimal(0))
        remaining = base_qty - sold
    reached = sum(1 for s in steps if s["state"] in ("triggered", "done"))
    pending = [s for s in steps if s["state"] == "pending"]
    return {
        "remainingQty": _money(remaining),
        "projectedProceeds": _money(proceeds),
        "progress": {"triggered": reached, "total": len(steps)},
        "nextStep": pending[0] if pending else None,
    }


def strategy_json(strategy: Strategy, steps: list[StrategyStep]) -> dict[str, Any]:
    steps_out = [step_json(s) for s in sorted(steps, key=lambda s: s.position)]
    return {
        "id": strategy.id,
        "name": strategy.name,
        "asset": strategy.asset,
        "quote": strategy.quote,
        "status": strategy.status,
        "reference": {"type": strategy.ref_type, "price": _money(strategy.ref_price)},
        "baseQty": _money(strategy.base_qty),
        "exchangeAccountId": strategy.exchange_account_id,
        "notify": {"email": strategy.notify_email, "inApp": strategy.notify_in_app},
        "createdAt": _iso(strategy.created_at),
        "steps": steps_out,
        **_summary(strategy.base_qty, steps_out),
    }


def draft_json(draft: StrategyDraft) -> dict[str, Any]:
    """Same shape as `strategy_json`, for a strategy not stored yet (ids and times null)."""
    steps_out = [
        {
            "id": None,
            "position": p.position,
            "targetPct": fmt(p.target_pct),
            "sellPct": fmt(p.sell_pct),
            "targetPrice": _money(p.target_price),
            "qtyToSell": _money(p.qty_to_sell),
            "proceeds": _money(p.proceeds),
            "state": "pending",
            "triggeredAt": None,
            "triggeredPrice": None,
            "doneAt": None,
        }
        for p in draft.plan.steps
    ]
    return {
        "id": None,
        "name": draft.name,
        "asset": draft.asset,
        "quote": draft.quote,
        "status": "draft",
        "reference": {"type": draft.ref_type, "price": _money(draft.ref_price)},
        "baseQty": _money(draft.base_qty),
        "exchangeAccountId": draft.exchange_account_id,
        "notify": {"email": draft.notify_email, "inApp": draft.notify_in_app},
        "createdAt": None,
        "lotStep": fmt(draft.lot_step) if draft.lot_step is not None else None,
        "steps": steps_out,
        **_summary(draft.base_qty, steps_out),
    }

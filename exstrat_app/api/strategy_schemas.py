"""The strategies and prices bodies of `/api` (response models): the one place where the
strategies context's views become JSON.

Decimals are sent as plain decimal strings (`fmt`: no exponent, no trailing zeros), times as
ISO 8601 with their offset, keys in camelCase. Field order is the wire order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from exstrat_app.domain.money import fmt
from exstrat_app.services.portfolio.prices import Quote
from exstrat_app.services.strategies import StepView, StrategyView
from exstrat_app.services.strategies.views import StopView


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Decimal | None) -> str | None:
    return fmt(value) if value is not None else None


class StepOut(_Body):
    id: str | None
    position: int
    target_pct: str
    sell_pct: str
    target_price: str
    qty_to_sell: str
    proceeds: str
    state: str
    triggered_at: str | None
    triggered_price: str | None
    done_at: str | None
    # Issue 14: how the target was stated (pct | price) and the trailing take-profit: its
    # trail, the lowest price it fires at, and once armed its peak and the price it fires at.
    target_kind: str
    trail_pct: str | None
    fire_floor: str | None
    armed_at: str | None
    peak_price: str | None
    peak_at: str | None
    fire_price: str | None

    @classmethod
    def of(cls, step: StepView) -> StepOut:
        return cls(
            id=step.id,
            position=step.position,
            target_pct=fmt(step.target_pct),
            sell_pct=fmt(step.sell_pct),
            target_price=fmt(step.target_price),
            qty_to_sell=fmt(step.qty_to_sell),
            proceeds=fmt(step.proceeds),
            state=step.state,
            triggered_at=_iso(step.triggered_at),
            triggered_price=_text(step.triggered_price),
            done_at=_iso(step.done_at),
            target_kind=step.target_kind,
            trail_pct=_text(step.trail_pct),
            fire_floor=_text(step.fire_floor),
            armed_at=_iso(step.armed_at),
            peak_price=_text(step.peak_price),
            peak_at=_iso(step.peak_at),
            fire_price=_text(step.fire_price),
        )


class StopLossOut(_Body):
    """The stop-loss: its level now (the reference once moved to break-even), its state
    (planned in a preview | active | fired), and what selling `qty` there realises."""

    type: str
    value: str
    break_even: bool
    price: str
    state: str
    qty: str
    result: str
    result_pct: str
    moved_at: str | None
    fired_at: str | None
    fired_price: str | None

    @classmethod
    def of(cls, stop: StopView) -> StopLossOut:
        return cls(
            type=stop.kind,
            value=fmt(stop.value),
            break_even=stop.break_even,
            price=fmt(stop.price),
            state=stop.state,
            qty=fmt(stop.qty),
            result=fmt(stop.result),
            result_pct=fmt(stop.result_pct),
            moved_at=_iso(stop.moved_at),
            fired_at=_iso(stop.fired_at),
            fired_price=_text(stop.fired_price),
        )


class ReferenceOut(_Body):
    type: str
    price: str


class NotifyOut(_Body):
    email: bool
    in_app: bool


class ProgressOut(_Body):
    triggered: int
    total: int


class _StrategyHead(_Body):
    id: str | None
    name: str | None
    asset: str
    quote: str
    status: str
    reference: ReferenceOut
    base_qty: str
    exchange_account_id: str | None
    notify: NotifyOut
    created_at: str | None


def _head(view: StrategyView) -> dict[str, object]:
    return {
        "id": view.id,
        "name": view.name,
        "asset": view.asset,
        "quote": view.quote,
        "status": view.status,
        "reference": ReferenceOut(type=view.ref_type, price=fmt(view.ref_price)),
        "base_qty": fmt(view.base_qty),
        "exchange_account_id": view.exchange_account_id,
        "notify": NotifyOut(email=view.notify_email, in_app=view.notify_in_app),
        "created_at": _iso(view.created_at),
    }


def _tail(view: StrategyView) -> dict[str, object]:
    return {
        "steps": [StepOut.of(s) for s in view.steps],
        "remaining_qty": fmt(view.remaining_qty),
        "projected_proceeds": fmt(view.projected_proceeds),
        "progress": ProgressOut(triggered=view.progress.triggered, total=view.progress.total),
        "next_step": StepOut.of(view.next_step) if view.next_step else None,
        "stop_loss": StopLossOut.of(view.stop) if view.stop else None,
    }


class StrategyOut(_StrategyHead):
    """A stored strategy with its steps and summary."""

    steps: list[StepOut]
    remaining_qty: str
    projected_proceeds: str
    progress: ProgressOut
    next_step: StepOut | None
    stop_loss: StopLossOut | None

    @classmethod
    def of(cls, view: StrategyView) -> StrategyOut:
        return cls.model_validate({**_head(view), **_tail(view)})


class DraftOut(_StrategyHead):
    """A preview: a strategy's body before it is stored (ids and times null), with the lot
    its quantities were cut to."""

    lot_step: str | None
    steps: list[StepOut]
    remaining_qty: str
    projected_proceeds: str
    progress: ProgressOut
    next_step: StepOut | None
    stop_loss: StopLossOut | None

    @classmethod
    def of(cls, view: StrategyView) -> DraftOut:
        return cls.model_validate({**_head(view), "lot_step": _text(view.lot_step), **_tail(view)})


class PriceOut(_Body):
    """A cached last price and when it was fetched; stale past the provider's limit."""

    price: str
    at: str
    stale: bool

    @classmethod
    def of(cls, quote: Quote, *, stale_after_seconds: float) -> PriceOut:
        return cls(
            price=fmt(quote.price),
            at=quote.at.isoformat(),
            stale=quote.age_seconds() > stale_after_seconds,
        )


def strategy_json(view: StrategyView) -> dict[str, object]:
    """A stored strategy's JSON body, as the API sends it."""
    return StrategyOut.of(view).model_dump(mode="json", by_alias=True)


def draft_json(view: StrategyView) -> dict[str, object]:
    """A preview's JSON body, as the API sends it."""
    return DraftOut.of(view).model_dump(mode="json", by_alias=True)

"""The strategies and prices bodies of `/api` (response models): the one place where the
strategies context's views become JSON.

Decimals are sent as plain decimal strings (`fmt`: no exponent, no trailing zeros), times as
ISO 8601 with their offset, keys in camelCase. Field order is the wire order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from exstrat_app.api.schemas import Body, ViewBody
from exstrat_app.domain.money import fmt
from exstrat_app.i18n import render
from exstrat_app.services.portfolio.prices import Quote
from exstrat_app.services.strategies import StrategyView
from exstrat_app.services.strategies.ladder_warnings import LadderWarning
from exstrat_app.services.strategies.markets import via_note
from exstrat_app.services.strategies.views import StopView


class StepOut(ViewBody):
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


class StopLossOut(ViewBody):
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
    def of(cls, view: StopView, **given: object) -> Self:  # type: ignore[override]
        return super().of(view, type=view.kind, **given)


class ReferenceOut(Body):
    type: str
    price: str


class NotifyOut(Body):
    email: bool
    in_app: bool


class ProgressOut(Body):
    triggered: int
    total: int


class _StrategyHead(ViewBody):
    id: str | None
    name: str | None
    asset: str
    quote: str
    # The market its price is read on (`ETH/EUR`, `ETH/USDT via EUR/USDT`) and, when the price
    # is converted, the sentence saying so in the reader's language.
    watched_on: str | None
    watched_note: str | None
    status: str
    reference: ReferenceOut
    base_qty: str
    exchange_account_id: str | None
    notify: NotifyOut
    created_at: str | None

    @classmethod
    def of(cls, view: StrategyView, **given: object) -> Self:  # type: ignore[override]
        if "warnings" in cls.model_fields:  # bodies with warnings: none unless given
            given.setdefault("warnings", [])
        return super().of(
            view,
            reference=ReferenceOut(type=view.ref_type, price=fmt(view.ref_price)),
            notify=NotifyOut(email=view.notify_email, in_app=view.notify_in_app),
            steps=[StepOut.of(s) for s in view.steps],
            progress=ProgressOut(triggered=view.progress.triggered, total=view.progress.total),
            next_step=StepOut.of(view.next_step) if view.next_step else None,
            stop_loss=StopLossOut.of(view.stop) if view.stop else None,
            watched_note=watched_note(view),
            **given,
        )


def watched_note(view: StrategyView) -> str | None:
    """The translatable note of a EUR ladder watched through EUR/USDT (None otherwise)."""
    if view.watched_on is None or view.watched_on == f"{view.asset}/{view.quote}":
        return None
    return render(via_note(view.asset))


class _StrategyTail(Body):
    """The steps and summary, after the head (and a draft's lot): fields of a base listed
    first come last on the wire."""

    steps: list[StepOut]
    remaining_qty: str
    projected_proceeds: str
    progress: ProgressOut
    next_step: StepOut | None
    stop_loss: StopLossOut | None


class StrategyOut(_StrategyTail, _StrategyHead):
    """A stored strategy with its steps and summary."""


class WarningOut(Body):
    """Something worth a second look in a ladder, never blocking it: `code` is fires_now,
    more_than_held or over_planned; `message` is in the reader's language."""

    code: str
    message: str

    @classmethod
    def all_of(cls, warnings: Sequence[LadderWarning]) -> list[WarningOut]:
        return [cls(code=w.code, message=render(w.message)) for w in warnings]


class WarnedStrategyOut(StrategyOut):
    """A strategy just created or changed, with the warnings about its ladder."""

    warnings: list[WarningOut]


class _DraftHead(_StrategyHead):
    lot_step: str | None


class DraftOut(_StrategyTail, _DraftHead):
    """A preview: a strategy's body before it is stored (ids and times null), with the lot
    its quantities were cut to, and the warnings about its ladder."""

    warnings: list[WarningOut]


class PriceOut(Body):
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

"""Warnings about a ladder being drafted: things worth a second look that never block saving.

- `fires_now`: a step's target is already reached at the current price (read the way the
  watcher reads it for the ladder's quote, `markets.last_quotes`), so it would fire at once;
- `more_than_held`: the base quantity is more than the position holds;
- `over_planned`: with the user's other active ladders on the same asset, more than all of
  what is held is planned for sale (their steps not reached yet, plus this ladder's).

The figures are formatted when the warning is made, in the current locale (the request's):
warnings are made and rendered in the same request. A price that cannot be read (no fresh
ticker, Redis or the exchange down) drops `fires_now` quietly: a warning is never an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, localcontext

from sqlmodel import Session, col, select

from exstrat_app.domain.money import MONEY_CONTEXT, fmt
from exstrat_app.i18n import N_, Msg
from exstrat_app.i18n.formats import money, number
from exstrat_app.models import Position, Strategy, StrategyStep
from exstrat_app.services.portfolio.prices import PriceProvider
from exstrat_app.services.strategies.inputs import QUOTE
from exstrat_app.services.strategies.markets import last_quotes, watch_key
from exstrat_app.services.strategies.views import OPEN_STATES, StrategyView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LadderWarning:
    code: str  # fires_now | more_than_held | over_planned
    message: Msg


def _plain(value: Decimal) -> Decimal:
    """A stored amount without its trailing zeros (2200.000… -> 2200), never an exponent."""
    return Decimal(fmt(value))


def ladder_warnings(
    session: Session,
    *,
    user_id: str,
    view: StrategyView,
    prices: PriceProvider | None,
) -> list[LadderWarning]:
    """The warnings for `view` (a preview, or a stored ladder: its own id is left out of the
    other ladders), in the order: fires now, more than held, over planned."""
    found = _fires_now(view, prices)
    held = _held(session, user_id, view.asset)
    if held is not None or view.base_qty > 0:
        found += _more_than_held(view, held or Decimal(0))
    if held is not None and held > 0:
        found += _over_planned(session, user_id, view, held)
    return found


def _current_price(view: StrategyView, prices: PriceProvider | None) -> Decimal | None:
    if prices is None:
        return None
    key = watch_key(view.asset, view.quote)
    try:
        seen = last_quotes(prices, [key]).get(key)
    except Exception:  # a warning must never fail the draft
        log.warning("no price for the draft's warnings", extra={"key": key}, exc_info=True)
        return None
    return seen[0].price if seen is not None else None


def _fires_now(view: StrategyView, prices: PriceProvider | None) -> list[LadderWarning]:
    price = _current_price(view, prices)
    if price is None:
        return []
    return [
        LadderWarning(
            "fires_now",
            N_(
                "Step {n} would fire now: its target {target} is already reached (price {price}).",
                n=step.position + 1,
                target=money(_plain(step.target_price), view.quote),
                price=money(_plain(price), view.quote),
            ),
        )
        for step in view.steps
        if step.state == "pending" and step.target_price <= price
    ]


def _held(session: Session, user_id: str, asset: str) -> Decimal | None:
    """The position's quantity (None: no position at all)."""
    return session.exec(
        select(Position.quantity).where(
            Position.user_id == user_id, Position.asset == asset, Position.quote == QUOTE
        )
    ).first()


def _more_than_held(view: StrategyView, held: Decimal) -> list[LadderWarning]:
    if view.base_qty <= held:
        return []
    message = N_(
        "The base quantity {base} is more than the {held} {asset} you hold.",
        base=number(_plain(view.base_qty)),
        held=number(_plain(held)),
        asset=view.asset,
    )
    return [LadderWarning("more_than_held", message)]


def _open_qty(view: StrategyView) -> Decimal:
    return sum((s.qty_to_sell for s in view.steps if s.state in OPEN_STATES), Decimal(0))


def _others_planned(session: Session, user_id: str, view: StrategyView) -> Decimal:
    """What the user's other active ladders on the asset still plan to sell."""
    query = (
        select(StrategyStep.qty_to_sell)
        .join(Strategy, col(Strategy.id) == col(StrategyStep.strategy_id))
        .where(
            Strategy.user_id == user_id,
            Strategy.asset == view.asset,
            Strategy.status == "active",
            col(StrategyStep.state).in_(OPEN_STATES),
        )
    )
    if view.id is not None:
        query = query.where(col(Strategy.id) != view.id)
    return sum(session.exec(query), Decimal(0))


def _over_planned(
    session: Session, user_id: str, view: StrategyView, held: Decimal
) -> list[LadderWarning]:
    others = _others_planned(session, user_id, view)
    planned = others + _open_qty(view)
    if others <= 0 or planned <= held:
        return []
    with localcontext(MONEY_CONTEXT):
        share = (planned * 100 / held).quantize(Decimal("0.1"))
    message = N_(
        "With your other active ladders on {asset}, {pct} % of what you hold is planned for sale.",
        asset=view.asset,
        pct=number(_plain(share)),
    )
    return [LadderWarning("over_planned", message)]

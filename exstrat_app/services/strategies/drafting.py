"""Drafting a strategy: the parsed body plus what the database knows (the position's average
price and quantity, the exchange account, the lot size), then the ladder maths.

The maths is `domain.ladder.plan_ladder`; this module only gathers its inputs and renames
the domain's field paths to the body's. Nothing is written: `commands.create_strategy`
stores a draft, `commands.preview_strategy` shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Required, TypedDict, Unpack

from sqlmodel import Session, select

from exstrat_app.domain.errors import LadderInvalid
from exstrat_app.domain.exits import PlannedStop, StopSpec, plan_stop, stop_errors
from exstrat_app.domain.ladder import LadderPlan, StepSpec, plan_ladder
from exstrat_app.i18n import N_
from exstrat_app.models import ExchangeAccount, Position
from exstrat_app.services.exchanges.accounts import get_account
from exstrat_app.services.strategies.domain_words import translatable
from exstrat_app.services.strategies.inputs import QUOTE, FieldErrors, parse_strategy_input
from exstrat_app.services.strategies.lots import LotStepLookup, ladder_market
from exstrat_app.services.strategies.markets import EUR
from exstrat_app.services.strategies.views import StrategyView, draft_view

DEFAULT_EXCHANGE = "binance"


class StrategyFields(TypedDict, total=False):
    """A strategy's body as the caller got it, each field raw (JSON values or form text):
    `inputs.parse_strategy_input` checks them. The keyword arguments of `draft_strategy`,
    `commands.create_strategy` and `commands.preview_strategy`."""

    asset: Required[Any]
    reference: Required[Any]
    base_qty: Any
    exchange_account_id: Any
    steps: Required[Any]
    notify: Any
    name: Any
    stop_loss: Any
    quote: Any


# The optional fields left out: none given (the position's quantity, no account, defaults).
_LEFT_OUT: dict[str, Any] = {
    "base_qty": None,
    "exchange_account_id": None,
    "notify": None,
    "name": None,
    "stop_loss": None,
    "quote": None,
}


@dataclass(frozen=True)
class StrategyDraft:
    """A validated strategy with its computed ladder, not stored yet."""

    asset: str
    quote: str
    name: str | None
    ref_type: str
    ref_price: Decimal
    base_qty: Decimal
    exchange_account_id: str | None
    notify_email: bool
    notify_in_app: bool
    lot_step: Decimal | None
    plan: LadderPlan
    stop: PlannedStop | None = None
    watched_on: str | None = None  # `ETH/EUR`, `ETH/USDT via EUR/USDT` (markets.watched_on)

    def view(self) -> StrategyView:
        return draft_view(
            asset=self.asset,
            quote=self.quote,
            watched_on=self.watched_on,
            name=self.name,
            ref_type=self.ref_type,
            ref_price=self.ref_price,
            base_qty=self.base_qty,
            exchange_account_id=self.exchange_account_id,
            notify_email=self.notify_email,
            notify_in_app=self.notify_in_app,
            lot_step=self.lot_step,
            plan=self.plan,
            stop=self.stop,
        )


def draft_strategy(
    session: Session,
    *,
    user_id: str,
    lot_step_lookup: LotStepLookup,
    **raw: Unpack[StrategyFields],
) -> StrategyDraft:
    """Validate everything and compute the ladder; raises InvalidInput / NotFound / 503."""
    errors = FieldErrors()
    body = parse_strategy_input(errors, **{**_LEFT_OUT, **raw})
    errors.raise_if_any()
    assert body.asset is not None and body.ref_type is not None

    account = _account(session, user_id, body.exchange_account_id)
    position = _position(session, user_id, body.asset)
    ref_price, base = body.ref_price, body.base_qty
    if body.ref_type == "avgPrice":
        ref_price = _avg_price(position, body.asset, body.quote, errors)
    if base is None:
        base = _held_quantity(position, body.asset, errors)
    errors.raise_if_any()
    assert ref_price is not None and base is not None

    exchange = account.exchange if account else DEFAULT_EXCHANGE
    market = ladder_market(exchange, body.asset, body.quote, lot_step_lookup, errors)
    plan = _plan(body.ref_type, ref_price, base, body.steps, market.lot_step, errors)
    stop = _stop(ref_price, base, body.stop_loss, errors)
    errors.raise_if_any()
    assert plan is not None
    return StrategyDraft(
        asset=body.asset,
        quote=body.quote,
        name=body.name,
        ref_type=body.ref_type,
        ref_price=ref_price,
        base_qty=base,
        exchange_account_id=account.id if account else None,
        notify_email=body.notify_email,
        notify_in_app=body.notify_in_app,
        lot_step=market.lot_step,
        plan=plan,
        stop=stop,
        watched_on=market.watched_on,
    )


def _stop(
    ref_price: Decimal, base_qty: Decimal, spec: StopSpec | None, errors: FieldErrors
) -> PlannedStop | None:
    """The stop-loss, below the reference; problems join the ladder's."""
    if spec is None:
        return None
    problems = stop_errors(ref_price, spec)
    for path, message in problems.items():
        errors.add(path, translatable(message))
    if problems or ref_price <= 0:
        return None
    return plan_stop(ref_price=ref_price, base_qty=base_qty, spec=spec)


def _account(session: Session, user_id: str, account_id: str | None) -> ExchangeAccount | None:
    """The user's account (the exchanges context owns the ownership rule: 404 otherwise)."""
    if not account_id:
        return None
    return get_account(session, user_id=user_id, account_id=account_id)


def _position(session: Session, user_id: str, asset: str) -> Position | None:
    """The asset's position: one row holds its USDT figures and, beside them, its EUR ones."""
    return session.exec(
        select(Position).where(
            Position.user_id == user_id, Position.asset == asset, Position.quote == QUOTE
        )
    ).first()


def eur_average(position: Position | None) -> Decimal | None:
    """The position's average buy price in euros, each buy valued at its own minute
    (docs/currencies.md; the portfolio's replay writes it beside the USDT figures). None until
    the first rebuild that computed it."""
    return getattr(position, "eur_avg_price", None) if position is not None else None


def _avg_price(
    position: Position | None, asset: str, quote: str, errors: FieldErrors
) -> Decimal | None:
    average = eur_average(position) if quote == EUR else None
    if quote != EUR and position is not None:
        average = position.avg_price
    if average is None or average <= 0:
        errors.add(
            "reference",
            N_(
                "no average buy price is known for {asset} yet: sync an account that holds "
                "it, or use a custom reference price",
                asset=asset,
            ),
        )
        return None
    return average


def _held_quantity(position: Position | None, asset: str, errors: FieldErrors) -> Decimal | None:
    if position is None:
        errors.add("baseQty", N_("is required: you hold no {asset} in exstrat yet", asset=asset))
        return None
    return position.quantity


def _plan(
    ref_type: str,
    ref_price: Decimal,
    base_qty: Decimal,
    specs: list[StepSpec],
    lot: Decimal | None,
    errors: FieldErrors,
) -> LadderPlan | None:
    if errors.fields:
        return None
    try:
        return plan_ladder(ref_price=ref_price, base_qty=base_qty, steps=specs, lot_step=lot)
    except LadderInvalid as exc:
        ref_path = "reference.price" if ref_type == "custom" else "reference"
        renamed = {"refPrice": ref_path, "lotStep": "asset"}
        for path, message in exc.fields.items():
            errors.add(renamed.get(path, path), translatable(message))
        return None

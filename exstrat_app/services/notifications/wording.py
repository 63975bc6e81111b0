"""What an alert says: its facts, the in-app title and body, and the email text.

One wording for every channel, built from the same `AlertFacts`: the watcher writes the
title and body into the Notification row when a step fires, and the email is rebuilt from
the rows later (so a retried email says exactly what the first try would have said).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from exstrat_app.domain.money import fmt
from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import Strategy, StrategyStep

KIND_STEP_TRIGGERED = "step_triggered"


@dataclass(frozen=True)
class AlertFacts:
    """Everything an alert says, from the strategy, the step and the price that crossed."""

    asset: str
    quote: str
    strategy_id: str
    step_number: int  # 1-based, as people count
    step_total: int
    target_pct: Decimal
    target_price: Decimal
    last_price: Decimal
    qty_to_sell: Decimal
    link: str


def alert_facts(
    strategy: Strategy,
    step: StrategyStep,
    *,
    step_total: int,
    last_price: Decimal,
    public_url: str,
) -> AlertFacts:
    """The facts of one fired step; `public_url` is where the app is reached (the link)."""
    return AlertFacts(
        asset=strategy.asset,
        quote=strategy.quote,
        strategy_id=strategy.id,
        step_number=step.position + 1,
        step_total=step_total,
        target_pct=step.target_pct,
        target_price=step.target_price,
        last_price=last_price,
        qty_to_sell=step.qty_to_sell,
        link=f"{public_url.rstrip('/')}/strategies/{strategy.id}",
    )


def _money(value: Decimal) -> str:
    return fmt(quantize_money(value))


def alert_title(f: AlertFacts) -> str:
    step = f"step {f.step_number} of {f.step_total}"
    return f"{f.asset} reached {step}: sell {_money(f.qty_to_sell)} {f.asset}"


def alert_body(f: AlertFacts) -> str:
    return (
        f"{f.asset}/{f.quote} is at {_money(f.last_price)} {f.quote}, at or above the target of "
        f"step {f.step_number} of {f.step_total} ({_money(f.target_price)} {f.quote}, "
        f"+{fmt(f.target_pct)} %). Quantity to sell: {_money(f.qty_to_sell)} {f.asset}. {f.link}"
    )


def email_text(f: AlertFacts) -> str:
    return (
        f"Your take-profit ladder on {f.asset} reached a step.\n"
        f"\n"
        f"Asset:            {f.asset}\n"
        f"Step:             {f.step_number} of {f.step_total} (+{fmt(f.target_pct)} %)\n"
        f"Target price:     {_money(f.target_price)} {f.quote}\n"
        f"Last price:       {_money(f.last_price)} {f.quote}\n"
        f"Quantity to sell: {_money(f.qty_to_sell)} {f.asset}\n"
        f"\n"
        f"Open the strategy: {f.link}\n"
        f"\n"
        f"exstrat never places orders: sell on your exchange, then mark the step as done.\n"
    )

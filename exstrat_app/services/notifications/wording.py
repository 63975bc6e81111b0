"""What an alert says: its facts, the in-app title and body, and the email text.

One wording for every channel, built from the same `AlertFacts`: the watcher writes the
title and body into the Notification row when a step fires, and the email is rebuilt from
the rows later (so a retried email says exactly what the first try would have said).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from exstrat_app.domain.money import fmt
from exstrat_app.infra.db.types import quantize_money
from exstrat_app.models import Strategy, StrategyStep

KIND_STEP_TRIGGERED = "step_triggered"
KIND_STOP_LOSS = "stop_loss"  # issue 14: a strategy's stop-loss (no step row)


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
    # Set when only a spike reached the target (the price was back below when seen): the
    # spike's high is `last_price` and this is when it was there (UTC).
    touched_at: datetime | None = None
    # A trailing take-profit (issue 14): it fell trail_pct % from peak_price to last_price.
    trail_pct: Decimal | None = None
    peak_price: Decimal | None = None


def alert_facts(
    strategy: Strategy,
    step: StrategyStep,
    *,
    step_total: int,
    last_price: Decimal,
    public_url: str,
    touched_at: datetime | None = None,
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
        touched_at=touched_at,
        trail_pct=step.trail_pct,
        peak_price=step.peak_price if step.trail_pct is not None else None,
    )


def _money(value: Decimal) -> str:
    return fmt(quantize_money(value))


def _pct(value: Decimal) -> str:
    """A percent as typed (10, 12.5), or to 2 decimals when derived from an absolute target
    price (2222 over 2000 is 11.1, 2300 over 2100 is 9.52 rather than 18 digits)."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        return fmt(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    return fmt(value)


def alert_title(f: AlertFacts) -> str:
    step = f"step {f.step_number} of {f.step_total}"
    return f"{f.asset} reached {step}: sell {_money(f.qty_to_sell)} {f.asset}"


def _price_seen(f: AlertFacts) -> str:
    """The price as seen: `is at 2200 USDT`, or for a spike `touched 2310 USDT at 12:04 UTC`."""
    if f.touched_at is None:
        return f"is at {_money(f.last_price)} {f.quote}"
    moment = f.touched_at.astimezone(UTC) if f.touched_at.tzinfo else f.touched_at
    return f"touched {_money(f.last_price)} {f.quote} at {moment:%H:%M} UTC"


def alert_body(f: AlertFacts) -> str:
    if f.trail_pct is not None and f.peak_price is not None:
        return (
            f"{f.asset}/{f.quote} fell back {fmt(f.trail_pct)} % from its peak of "
            f"{_money(f.peak_price)} {f.quote}: {_price_seen(f)}. Trailing step {f.step_number} "
            f"of {f.step_total} fired (armed at its target {_money(f.target_price)} {f.quote}, "
            f"+{_pct(f.target_pct)} %). Quantity to sell: {_money(f.qty_to_sell)} {f.asset}. "
            f"{f.link}"
        )
    return (
        f"{f.asset}/{f.quote} {_price_seen(f)}, at or above the target of "
        f"step {f.step_number} of {f.step_total} ({_money(f.target_price)} {f.quote}, "
        f"+{_pct(f.target_pct)} %). Quantity to sell: {_money(f.qty_to_sell)} {f.asset}. {f.link}"
    )


def email_text(f: AlertFacts) -> str:
    return (
        f"Your take-profit ladder on {f.asset} reached a step.\n"
        f"\n"
        f"Asset:            {f.asset}\n"
        f"Step:             {f.step_number} of {f.step_total} (+{_pct(f.target_pct)} %)\n"
        f"Target price:     {_money(f.target_price)} {f.quote}\n"
        f"Last price:       {_money(f.last_price)} {f.quote}\n"
        + (
            f"Trailing:         fired {fmt(f.trail_pct)} % below its peak of "
            f"{_money(f.peak_price)} {f.quote}\n"
            if f.trail_pct is not None and f.peak_price is not None
            else ""
        )
        + f"Quantity to sell: {_money(f.qty_to_sell)} {f.asset}\n"
        f"\n"
        f"Open the strategy: {f.link}\n"
        f"\n"
        f"exstrat never places orders: sell on your exchange, then mark the step as done.\n"
    )


# ---------------------------------------------------------------- stop-loss (issue 14)


@dataclass(frozen=True)
class StopFacts:
    """A fired stop-loss: the level, the price it fired at, what is left to sell and what
    selling it there realises against the reference (negative: a loss)."""

    asset: str
    quote: str
    stop_price: Decimal
    fire_price: Decimal
    ref_price: Decimal
    qty: Decimal
    result: Decimal
    moved_to_break_even: bool
    link: str
    touched_at: datetime | None = None  # the low touched the stop, the price back above


def stop_title(f: StopFacts) -> str:
    return f"{f.asset} stop-loss reached: sell the {_money(f.qty)} {f.asset} left"


def stop_body(f: StopFacts) -> str:
    seen = (
        f"touched {_money(f.fire_price)} {f.quote} at {f.touched_at.astimezone(UTC):%H:%M} UTC"
        if f.touched_at is not None
        else f"is at {_money(f.fire_price)} {f.quote}"
    )
    level = f"{_money(f.stop_price)} {f.quote}"
    if f.moved_to_break_even:
        level += " (moved to break-even, the reference price, once a step had fired)"
    return (
        f"{f.asset}/{f.quote} {seen}, at or below the stop-loss of {level}. Selling the "
        f"{_money(f.qty)} {f.asset} left realises {_money(f.result)} {f.quote} against the "
        f"reference {_money(f.ref_price)} {f.quote}. The stop-loss has fired and will not fire "
        f"again; the strategy is completed. {f.link}"
    )

"""What an alert says: its facts, the in-app title and body, and the email text.

One wording for every channel, built from the same `AlertFacts`: the watcher writes the
title and body into the Notification row when a step fires, and the email is rebuilt from
the rows later (so a retried email says exactly what the first try would have said).

Every text is in its recipient's language (`User.locale`), never the worker's: the facts
carry it (`locale`), and each function renders inside `use_locale(f.locale)`. The bell, the
push and the chat message show the text stored in the row, written in that language when
the alert fired (docs/translations.md, "Alerts, channels and syncs"). Prices are money in
the strategy's quote (`formats.money`: USDT shows as US dollars, EUR as euros), quantities
are the asset's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.orm import object_session
from sqlmodel import Session

from exstrat_app.i18n import _, use_locale
from exstrat_app.i18n.formats import money, percent, short_moment
from exstrat_app.models import Strategy, StrategyStep, User

KIND_STEP_TRIGGERED = "step_triggered"
KIND_STOP_LOSS = "stop_loss"  # a strategy's stop-loss (no step row)

_CENT = Decimal("0.01")
_SMALL_PRICE = Decimal("0.00000001")  # below 1, a price keeps up to 8 decimals


def recipient_locale(session: Session | None, user_id: str) -> str | None:
    """The language a user reads their alerts in (None: English)."""
    user = session.get(User, user_id) if session is not None else None
    return user.locale if user is not None else None


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
    # A trailing take-profit: it fell trail_pct % from peak_price to last_price.
    trail_pct: Decimal | None = None
    peak_price: Decimal | None = None
    locale: str | None = None  # the recipient's language


def alert_facts(
    strategy: Strategy,
    step: StrategyStep,
    *,
    step_total: int,
    last_price: Decimal,
    public_url: str,
    touched_at: datetime | None = None,
    locale: str | None = None,
) -> AlertFacts:
    """The facts of one fired step; `public_url` is where the app is reached (the link).
    `locale` defaults to the strategy owner's, read through the strategy's session."""
    if locale is None:
        locale = recipient_locale(object_session(strategy), strategy.user_id)  # type: ignore[arg-type]
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
        locale=locale,
    )


# ---------------------------------------------------------------- figures


def price(value: Decimal, quote: str) -> str:
    """A price in its quote: cents from 1 up, up to 8 decimals below (a small coin)."""
    if abs(value) >= 1:
        return money(value.quantize(_CENT, rounding=ROUND_HALF_EVEN), quote)
    digits = value.quantize(_SMALL_PRICE, rounding=ROUND_HALF_EVEN).normalize()
    if digits.as_tuple().exponent > -2:  # type: ignore[operator]
        digits = digits.quantize(_CENT)
    return money(digits, quote)


def amount(value: Decimal, quote: str) -> str:
    """A sum of money (a result), to the cent."""
    return money(value.quantize(_CENT, rounding=ROUND_HALF_EVEN), quote)


def _trimmed(value: Decimal) -> Decimal:
    """Every stored digit and no trailing zero (2200.000 -> 2200, 0.800 -> 0.8)."""
    digits = value.normalize()
    if digits.as_tuple().exponent > 0:  # type: ignore[operator]
        digits = digits.quantize(Decimal(1))
    return digits


def quantity(value: Decimal, asset: str) -> str:
    """A quantity of a coin: `0.8 ETH` / `0,8 ETH`."""
    return money(_trimmed(value), asset)


def _pct(value: Decimal, *, signed: bool = True) -> str:
    """A percent as typed (10, 12.5), or to 2 decimals when derived from an absolute target
    price (2222 over 2000 is 11.1, 2300 over 2100 is 9.52 rather than 18 digits)."""
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        return percent(value.quantize(_CENT, rounding=ROUND_HALF_EVEN), signed=signed)
    return percent(_trimmed(value), signed=signed)


def _utc(moment: datetime) -> str:
    """When a spike was there, in UTC: `Mar 1, 2026 10:01 AM` / `1 mars 2026 10:01`."""
    aware = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return short_moment(aware)


# ---------------------------------------------------------------- a step


def alert_title(f: AlertFacts) -> str:
    with use_locale(f.locale):
        return _(
            "{asset} reached step {step} of {total}: sell {qty}",
            asset=f.asset,
            step=f.step_number,
            total=f.step_total,
            qty=quantity(f.qty_to_sell, f.asset),
        )


def _figures(f: AlertFacts) -> dict[str, object]:
    return {
        "pair": f"{f.asset}/{f.quote}",
        "price": price(f.last_price, f.quote),
        "step": f.step_number,
        "total": f.step_total,
        "target": price(f.target_price, f.quote),
        "pct": _pct(f.target_pct),
        "qty": quantity(f.qty_to_sell, f.asset),
        "link": f.link,
    }


def _trailing_body(f: AlertFacts, peak: Decimal, trail: Decimal) -> str:
    figures = {**_figures(f), "trail": _pct(trail, signed=False), "peak": price(peak, f.quote)}
    if f.touched_at is not None:
        return _(
            "{pair} fell back {trail} from its peak of {peak}: it touched {price} on {moment} "
            "UTC. Trailing step {step} of {total} fired (armed at its target {target}, {pct}). "
            "Quantity to sell: {qty}. {link}",
            moment=_utc(f.touched_at),
            **figures,
        )
    return _(
        "{pair} fell back {trail} from its peak of {peak}: it is at {price}. Trailing step "
        "{step} of {total} fired (armed at its target {target}, {pct}). Quantity to sell: "
        "{qty}. {link}",
        **figures,
    )


def alert_body(f: AlertFacts) -> str:
    with use_locale(f.locale):
        if f.trail_pct is not None and f.peak_price is not None:
            return _trailing_body(f, f.peak_price, f.trail_pct)
        if f.touched_at is not None:
            return _(
                "{pair} touched {price} on {moment} UTC, at or above the target of step {step} "
                "of {total} ({target}, {pct}). Quantity to sell: {qty}. {link}",
                moment=_utc(f.touched_at),
                **_figures(f),
            )
        return _(
            "{pair} is at {price}, at or above the target of step {step} of {total} ({target}, "
            "{pct}). Quantity to sell: {qty}. {link}",
            **_figures(f),
        )


def email_text(f: AlertFacts) -> str:
    """The alert email, one line per fact (each line a message: the labels are aligned in
    each language)."""
    with use_locale(f.locale):
        lines = [
            _("Your take-profit ladder on {asset} reached a step.", asset=f.asset),
            "",
            _("Asset:            {asset}", asset=f.asset),
            _("Step:             {step} of {total} ({pct})", step=f.step_number,
              total=f.step_total, pct=_pct(f.target_pct)),
            _("Target price:     {price}", price=price(f.target_price, f.quote)),
            _("Last price:       {price}", price=price(f.last_price, f.quote)),
        ]  # fmt: skip
        if f.trail_pct is not None and f.peak_price is not None:
            lines.append(
                _(
                    "Trailing:         fired {trail} below its peak of {peak}",
                    trail=_pct(f.trail_pct, signed=False),
                    peak=price(f.peak_price, f.quote),
                )
            )
        lines += [
            _("Quantity to sell: {qty}", qty=quantity(f.qty_to_sell, f.asset)),
            "",
            _("Open the strategy: {link}", link=f.link),
            "",
            _("exstrat never places orders: sell on your exchange, then mark the step as done."),
        ]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- stop-loss


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
    locale: str | None = None  # the recipient's language


def stop_title(f: StopFacts) -> str:
    with use_locale(f.locale):
        return _("{asset} stop-loss reached: sell the {qty} left", asset=f.asset,
                 qty=quantity(f.qty, f.asset))  # fmt: skip


def _stop_level(f: StopFacts) -> str:
    level = price(f.stop_price, f.quote)
    if f.moved_to_break_even:
        return _(
            "{price} (moved to break-even, the reference price, once a step had fired)",
            price=level,
        )
    return level


def stop_body(f: StopFacts) -> str:
    with use_locale(f.locale):
        figures = {
            "pair": f"{f.asset}/{f.quote}",
            "price": price(f.fire_price, f.quote),
            "level": _stop_level(f),
            "qty": quantity(f.qty, f.asset),
            "result": amount(f.result, f.quote),
            "ref": price(f.ref_price, f.quote),
            "link": f.link,
        }
        if f.touched_at is not None:
            return _(
                "{pair} touched {price} on {moment} UTC, at or below the stop-loss of {level}. "
                "Selling the {qty} left realises {result} against the reference {ref}. The "
                "stop-loss has fired and will not fire again; the strategy is completed. {link}",
                moment=_utc(f.touched_at),
                **figures,
            )
        return _(
            "{pair} is at {price}, at or below the stop-loss of {level}. Selling the {qty} left "
            "realises {result} against the reference {ref}. The stop-loss has fired and will "
            "not fire again; the strategy is completed. {link}",
            **figures,
        )


# ---------------------------------------------------------------- an order to confirm


def confirm_title(qty: Decimal, asset: str, *, locale: str | None) -> str:
    """The confirm-mode alert's title: "Sell 0.8 ETH now"."""
    with use_locale(locale):
        return _("Sell {qty} now", qty=quantity(qty, asset))


def confirm_body(
    qty: Decimal, asset: str, limit: Decimal, quote: str, *, minutes: int, locale: str | None
) -> str:
    with use_locale(locale):
        return _(
            "Confirm within {minutes} minutes to place a limit sell of {qty} at {price}; after "
            "that nothing is sent.",
            minutes=minutes,
            qty=quantity(qty, asset),
            price=price(limit, quote),
        )

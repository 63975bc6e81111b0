"""Decimal -> text for the pages, exactly (quantize and format a Decimal; never a float).

Quantities are cut (toward zero) to the asset's decimals and shown without trailing zeros;
money in the quote has 2 decimals; prices have the market's tick decimals (2 by default,
more below 1). Every function accepts a Decimal (what the services hand out), a decimal
string (what a form field holds) or None, and returns "—" for unknown values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from exstrat_app.domain.money import MONEY_CONTEXT, to_decimal

DASH = "—"
QTY_DECIMALS = 8
MONEY_DECIMALS = 2
SMALL_PRICE_DECIMALS = 8


def dec(value: object) -> Decimal | None:
    """A Decimal from a Decimal or a decimal string; None for None/""/anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str | int) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except (ValueError, TypeError, InvalidOperation):
            return None
    return None


def decimals_of(step: object) -> int | None:
    """2 for a step of 0.01, 0 for 1, None when unknown."""
    d = dec(step)
    if d is None or d <= 0:
        return None
    exponent = d.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else None


def _grouped(value: Decimal, places: int, rounding: str) -> str:
    with localcontext(MONEY_CONTEXT):
        q = value.quantize(Decimal(1).scaleb(-places), rounding=rounding)
    return format(abs(q) if q == 0 else q, ",f")  # never "-0.00"


def _trim(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def qty_text(value: object, places: int | None = None) -> str:
    """3.999 ETH -> "3.999"; cut (not rounded up) to the asset's decimals."""
    d = dec(value)
    if d is None:
        return DASH
    return _trim(_grouped(d, QTY_DECIMALS if places is None else places, ROUND_DOWN))


def money_text(value: object, places: int = MONEY_DECIMALS) -> str:
    """13996.5 -> "13,996.50"."""
    d = dec(value)
    return DASH if d is None else _grouped(d, places, ROUND_HALF_EVEN)


def signed_money_text(value: object) -> str:
    d = dec(value)
    if d is None:
        return DASH
    text = money_text(d)
    return f"+{text}" if d > 0 else text


def price_text(value: object, places: int | None = None) -> str:
    """The market's tick decimals when known; else 2, or up to 8 (trimmed) below 1."""
    d = dec(value)
    if d is None:
        return DASH
    if places is not None:
        return _grouped(d, places, ROUND_HALF_EVEN)
    if abs(d) >= 1:
        return _grouped(d, MONEY_DECIMALS, ROUND_HALF_EVEN)
    return _trim(_grouped(d, SMALL_PRICE_DECIMALS, ROUND_HALF_EVEN))


def pct_text(value: object, places: int = 2) -> str:
    """12.3456 -> "+12.35 %"."""
    d = dec(value)
    if d is None:
        return DASH
    text = _grouped(d, places, ROUND_HALF_EVEN)
    return f"+{text} %" if d > 0 else f"{text} %"


def sign_of(value: object) -> int:
    d = dec(value)
    if d is None or d == 0:
        return 0
    return 1 if d > 0 else -1


def chart_number(value: Decimal) -> str:
    """A chart coordinate as recharts reads it (a numeric string): the exact value without
    trailing zeros, in Python's `str(Decimal)` notation (2200, 2262.7333, 1E-7)."""
    with localcontext(MONEY_CONTEXT):
        if value == 0:
            return "0"
        plain = value.normalize()  # trailing zeros gone, maybe as a positive exponent ...
        if plain.as_tuple().exponent > 0:  # type: ignore[operator]
            plain = plain.quantize(
                Decimal(1), rounding=ROUND_HALF_EVEN
            )  # ... which an integer does not need
    return str(plain)


def sort_key(value: object) -> Decimal:
    """Unknown values sort as the smallest."""
    d = dec(value)
    return d if d is not None else Decimal("-1e40")


def _aware(moment: object) -> datetime | None:
    if isinstance(moment, str) and moment:
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when_text(moment: object) -> str:
    """ "2024-06-01 14:05 UTC"."""
    at = _aware(moment)
    return DASH if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago_text(moment: object, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", else the date."""
    at = _aware(moment)
    if at is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return when_text(at)

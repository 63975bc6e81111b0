"""Decimal -> text for the pages, exactly (quantize a Decimal; never a float), written by
Babel in the reader's locale (`exstrat_app.i18n.formats`, docs/translations.md).

Quantities are cut (toward zero) to the asset's decimals and shown without trailing zeros;
money has 2 decimals, rounded half to even; prices have the market's tick decimals (2 by
default, more below 1). Every function accepts a Decimal (what the services hand out), a
decimal string (what a form field holds) or None, and returns "—" for unknown values.
This module decides the digits; Babel only writes them: "13,996.50" / "13 996,50".

English keeps the forms its pages have always shown (and their tests read): a space before
"%" ("+54.68 %"), dates as "2024-05-29" and times as "2024-05-29 12:00 UTC". The other
locales take Babel's forms whole: "+54,68 %", "29 mai 2024", "29 mai 2024 12:00 UTC".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

from exstrat_app import i18n
from exstrat_app.domain.money import MONEY_CONTEXT, to_decimal
from exstrat_app.i18n import _, formats

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


def _english() -> bool:
    return i18n.current_locale() == i18n.DEFAULT_LOCALE


def _quantized(value: Decimal, places: int, rounding: str) -> Decimal:
    with localcontext(MONEY_CONTEXT):
        q = value.quantize(Decimal(1).scaleb(-places), rounding=rounding)
    return abs(q) if q == 0 else q  # never "-0.00"


def _trimmed(value: Decimal) -> Decimal:
    """The same value without trailing zeros (1.500 -> 1.5, 1000 stays 1000)."""
    if value == 0:
        return Decimal(0)
    with localcontext(MONEY_CONTEXT):
        plain = value.normalize()
        exponent = plain.as_tuple().exponent
        if isinstance(exponent, int) and exponent > 0:  # 1E+3: back to the whole number
            plain = plain.quantize(Decimal(1))
    return plain


def _grouped(value: Decimal, places: int, rounding: str) -> str:
    return formats.number(_quantized(value, places, rounding))


def _percent(value: Decimal, *, signed: bool = True) -> str:
    """`value` percent points (digits already chosen) the locale's way."""
    if not _english():
        return formats.percent(value, signed=signed)
    text = formats.number(value, i18n.DEFAULT_LOCALE)
    return f"+{text} %" if signed and value > 0 else f"{text} %"


def qty_text(value: object, places: int | None = None) -> str:
    """3.999 ETH -> "3.999"; cut (not rounded up) to the asset's decimals."""
    d = dec(value)
    if d is None:
        return DASH
    cut = _quantized(d, QTY_DECIMALS if places is None else places, ROUND_DOWN)
    return formats.number(_trimmed(cut))


def money_text(value: object, places: int = MONEY_DECIMALS) -> str:
    """13996.5 -> "13,996.50" / "13 996,50"."""
    d = dec(value)
    return DASH if d is None else _grouped(d, places, ROUND_HALF_EVEN)


def signed_money_text(value: object) -> str:
    d = dec(value)
    if d is None:
        return DASH
    return formats.signed_number(_quantized(d, MONEY_DECIMALS, ROUND_HALF_EVEN))


def money_in(value: object, currency: str, places: int = MONEY_DECIMALS) -> str:
    """Money with its currency: 1721.75 EUR -> "€1,721.75" / "1 721,75 €"; the USD stables
    (the USDT and USDC reporting quotes) show as US dollars."""
    d = dec(value)
    if d is None:
        return DASH
    return formats.money(_quantized(d, places, ROUND_HALF_EVEN), currency)


def signed_money_in(value: object, currency: str) -> str:
    """A gain or loss with its currency: "+€12.00" / "+12,00 €", "-€3.10" / "-3,10 €"."""
    d = dec(value)
    if d is None:
        return DASH
    text = money_in(d, currency)
    return f"+{text}" if _quantized(d, MONEY_DECIMALS, ROUND_HALF_EVEN) > 0 else text


def price_text(value: object, places: int | None = None) -> str:
    """The market's tick decimals when known; else 2, or up to 8 (trimmed) below 1."""
    d = dec(value)
    if d is None:
        return DASH
    if places is not None:
        return _grouped(d, places, ROUND_HALF_EVEN)
    if abs(d) >= 1:
        return _grouped(d, MONEY_DECIMALS, ROUND_HALF_EVEN)
    return formats.number(_trimmed(_quantized(d, SMALL_PRICE_DECIMALS, ROUND_HALF_EVEN)))


def pct_text(value: object, places: int = 2, *, signed: bool = True) -> str:
    """12.3456 -> "+12.35 %" / "+12,35 %"."""
    d = dec(value)
    if d is None:
        return DASH
    return _percent(_quantized(d, places, ROUND_HALF_EVEN), signed=signed)


def exact_pct_text(value: object, *, signed: bool = False) -> str:
    """A percentage as typed, every digit kept: 33.30 -> "33.3 %" / "33,3 %"."""
    d = dec(value)
    return DASH if d is None else _percent(_trimmed(d), signed=signed)


def sign_of(value: object) -> int:
    d = dec(value)
    if d is None or d == 0:
        return 0
    return 1 if d > 0 else -1


def chart_number(value: Decimal) -> str:
    """A chart coordinate as recharts reads it (a numeric string, never localized): the exact
    value without trailing zeros, in Python's `str(Decimal)` notation (2200, 2262.7333, 1E-7)."""
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


def day_text(value: date | None) -> str:
    """A day: "2024-05-29" / "29 mai 2024"."""
    if value is None:
        return DASH
    return value.isoformat() if _english() else formats.day(value)


def when_text(moment: object) -> str:
    """A moment in UTC: "2024-06-01 14:05 UTC" / "1 juin 2024 14:05 UTC"."""
    at = _aware(moment)
    if at is None:
        return DASH
    at = at.astimezone(UTC)
    if _english():
        return at.strftime("%Y-%m-%d %H:%M UTC")
    return _("{moment} UTC", moment=formats.short_moment(at))


def ago_text(moment: object, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", else the moment (`when_text`)."""
    at = _aware(moment)
    if at is None:
        return _("never")
    seconds = ((now or datetime.now(UTC)) - at).total_seconds()
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{n} min ago", n=int(seconds // 60))
    if seconds < 86400:
        return _("{n} h ago", n=int(seconds // 3600))
    return when_text(at)


def qty_of(value: object, asset: str, places: int | None = None) -> str:
    """A quantity with its asset: "0.0125 BNB" / "0,0125 BNB"."""
    return _("{quantity} {asset}", quantity=qty_text(value, places), asset=asset)


def currency_of(view: object, fallback: str) -> str:
    """The reporting currency a service view carries (`currency`, else `quote`), else
    `fallback`: "EUR", "USDT", ..."""
    for name in ("currency", "quote"):
        found = getattr(view, name, None)
        if isinstance(found, str) and found:
            return found
    return fallback

"""Numbers, money, percentages and dates in the current locale, by Babel (CLDR).

The caller decides the digits (it quantizes the Decimal: cut a quantity, round money half to
even); Babel only writes them the locale's way, keeping every digit it is given
(`decimal_quantization=False`): `1721.75` EUR is `1 721,75 €` in French, `€1,721.75` in English.
Never float: every value stays a Decimal from end to end.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal, get_currency_symbol

from exstrat_app.i18n import current_locale

# What the reporting currency shows as: USD mode counts in the USD stables (1:1 with USD).
CURRENCY_CODES = {"EUR": "EUR", "USD": "USD", "USDT": "USD", "USDC": "USD"}


def _loc(locale: str | None) -> str:
    return locale or current_locale()


def _plain_zero(value: Decimal) -> Decimal:
    return abs(value) if value == 0 else value  # never "-0,00"


def number(value: Decimal, locale: str | None = None) -> str:
    """Every digit of `value`, grouped the locale's way: 13996.50 -> 13,996.50 / 13 996,50."""
    value = _plain_zero(value)
    places = max(0, -int(value.as_tuple().exponent))  # type: ignore[arg-type]
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=_loc(locale), decimal_quantization=False)


def signed_number(value: Decimal, locale: str | None = None) -> str:
    text = number(value, locale)
    return f"+{text}" if value > 0 else text


def money(value: Decimal, currency: str, locale: str | None = None) -> str:
    """`value` (already rounded) in `currency`: 1721.75 EUR -> "1 721,75 €" / "€1,721.75".

    A currency Babel does not know (a coin) is written after the number: "0.5 ETH"."""
    value = _plain_zero(value)
    places = max(0, -int(value.as_tuple().exponent))  # type: ignore[arg-type]
    code = CURRENCY_CODES.get(currency.upper())
    if code is None:
        return f"{number(value, locale)} {currency}"
    return format_currency(
        value, code, locale=_loc(locale), currency_digits=False, decimal_quantization=False,
        format=None if places == 2 else _pattern_for(places, _loc(locale)),
    )  # fmt: skip


def _pattern_for(places: int, locale: str) -> str:
    base = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    digits = "." + "0" * places if places else ""
    return base.replace("#,##0.00", "#,##0" + digits)


def currency_symbol(currency: str, locale: str | None = None) -> str:
    code = CURRENCY_CODES.get(currency.upper())
    return get_currency_symbol(code, locale=_loc(locale)) if code else currency


def percent(value: Decimal, locale: str | None = None, *, signed: bool = True) -> str:
    """`value` in percent points, already rounded: Decimal("10") -> "+10 %" / "+10%"."""
    value = _plain_zero(value)
    places = max(0, -int(value.as_tuple().exponent))  # type: ignore[arg-type]
    digits = "." + "0" * places if places else ""
    sign = "+" if signed and value > 0 else ""
    base = Locale.parse(_loc(locale)).percent_formats[None].pattern.split(";")[0]
    pattern = base.replace("#,##0", "#,##0" + digits, 1)
    text = format_decimal(
        value / 100, format=pattern, locale=_loc(locale), decimal_quantization=False
    )
    return sign + text


def day(value: date, locale: str | None = None) -> str:
    """7 Dec 2026 -> "7 déc. 2026" / "Dec 7, 2026"."""
    return format_date(value, "medium", locale=_loc(locale))


def moment(value: datetime, locale: str | None = None) -> str:
    """A date and time, in the locale's medium form ("7 déc. 2026, 14:05:00")."""
    return format_datetime(value, "medium", tzinfo=value.tzinfo, locale=_loc(locale))


def short_moment(value: datetime, locale: str | None = None) -> str:
    """Date and hour:minute: "7 déc. 2026 14:05" / "Dec 7, 2026, 2:05 PM"."""
    loc = _loc(locale)
    return f"{format_date(value, 'medium', locale=loc)} {format_time(value, 'short', tzinfo=value.tzinfo, locale=loc)}"  # noqa: E501

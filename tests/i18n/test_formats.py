"""Figures the locale's way, every digit kept (worked examples: the expected text on each line).

French groups thousands with U+202F (narrow no-break space) and puts U+00A0 (no-break space)
before € and %; English writes the symbol first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from exstrat_app.i18n import formats, use_locale

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("value", "currency", "fr", "en"),
    [
        ("1721.75", "EUR", f"1{NNBSP}721,75{NBSP}€", "€1,721.75"),
        ("13996.50", "USDT", f"13{NNBSP}996,50{NBSP}$US", "$13,996.50"),  # USD stables as $
        ("-5.10", "USD", f"-5,10{NBSP}$US", "-$5.10"),
        ("-0.00", "EUR", f"0,00{NBSP}€", "€0.00"),  # never "-0,00"
        ("0.12345678", "EUR", f"0,12345678{NBSP}€", "€0.12345678"),  # a small price: all digits
        ("0.5", "ETH", "0,5 ETH", "0.5 ETH"),  # a coin: after the number
    ],
)
def test_money(value: str, currency: str, fr: str, en: str) -> None:
    assert formats.money(D(value), currency, "fr") == fr
    assert formats.money(D(value), currency, "en") == en


def test_numbers_keep_the_digits_they_are_given() -> None:
    assert formats.number(D("13996.50"), "fr") == f"13{NNBSP}996,50"
    assert formats.number(D("13996.50"), "en") == "13,996.50"
    assert formats.number(D("3.999"), "fr") == "3,999"
    assert formats.signed_number(D("12.5"), "fr") == "+12,5"


def test_percentages() -> None:
    assert formats.percent(D("10"), "fr") == f"+10{NBSP}%"
    assert formats.percent(D("10"), "en") == "+10%"
    assert formats.percent(D("-12.5"), "fr") == f"-12,5{NBSP}%"
    assert formats.percent(D("40"), "fr", signed=False) == f"40{NBSP}%"


def test_dates_follow_the_current_locale() -> None:
    day = date(2026, 12, 7)
    when = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
    assert formats.day(day, "fr") == "7 déc. 2026"
    assert formats.day(day, "en") == "Dec 7, 2026"
    with use_locale("fr"):
        assert formats.short_moment(when) == "7 déc. 2026 14:05"
        assert formats.money(D("1721.75"), "EUR") == f"1{NNBSP}721,75{NBSP}€"

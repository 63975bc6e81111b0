"""The pages' figures in the reader's locale (state/display.py): the same digits in English
and French, written by Babel. Worked examples, the expected text on each line.

French groups thousands with U+202F (narrow no-break space) and puts U+00A0 (no-break space)
before € and %; English keeps the forms its pages always had ("+54.68 %", "2024-05-29")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from exstrat_app.i18n import use_locale
from exstrat_app.state.display import (
    DASH,
    ago_text,
    day_text,
    exact_pct_text,
    money_in,
    money_text,
    pct_text,
    price_text,
    qty_of,
    qty_text,
    signed_money_in,
    signed_money_text,
    when_text,
)

NNBSP, NBSP = "\u202f", "\u00a0"
NOW = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fn", "args", "en", "fr"),
    [
        (qty_text, ("3.999",), "3.999", "3,999"),
        (qty_text, ("0.80000000",), "0.8", "0,8"),
        (qty_text, ("1234.56789",), "1,234.56789", f"1{NNBSP}234,56789"),
        (qty_text, ("0.123456789",), "0.12345678", "0,12345678"),  # cut, never rounded up
        (qty_text, ("2.3594", 2), "2.35", "2,35"),
        (qty_text, ("1000",), "1,000", f"1{NNBSP}000"),
        (money_text, ("13996.5",), "13,996.50", f"13{NNBSP}996,50"),
        (money_text, ("1721.745",), "1,721.74", f"1{NNBSP}721,74"),  # half to even
        (money_text, ("-0.001",), "0.00", "0,00"),  # never "-0.00"
        (signed_money_text, ("12",), "+12.00", "+12,00"),
        (signed_money_text, ("-3.1",), "-3.10", "-3,10"),
        (price_text, ("2262.733333333333333333",), "2,262.73", f"2{NNBSP}262,73"),
        (price_text, ("0.05224",), "0.05224", "0,05224"),
        (price_text, ("0.1", 4), "0.1000", "0,1000"),
        (pct_text, ("54.6754",), "+54.68 %", f"+54,68{NBSP}%"),
        (pct_text, ("-2.77",), "-2.77 %", f"-2,77{NBSP}%"),
        (pct_text, ("10", 0), "+10 %", f"+10{NBSP}%"),
        (exact_pct_text, ("33.30",), "33.3 %", f"33,3{NBSP}%"),
        (money_in, ("1721.75", "EUR"), "€1,721.75", f"1{NNBSP}721,75{NBSP}€"),
        (money_in, ("13996.5", "USDT"), "$13,996.50", f"13{NNBSP}996,50{NBSP}$US"),
        (signed_money_in, ("12", "EUR"), "+€12.00", f"+12,00{NBSP}€"),
        (signed_money_in, ("-3.1", "USD"), "-$3.10", f"-3,10{NBSP}$US"),
        (qty_of, ("0.0125", "BNB"), "0.0125 BNB", "0,0125 BNB"),
        (money_text, (None,), DASH, DASH),
    ],
)
def test_figures_in_english_and_french(fn, args, en, fr) -> None:  # type: ignore[no-untyped-def]
    assert fn(*args) == en  # the default locale is English
    with use_locale("fr"):
        assert fn(*args) == fr
    with use_locale("en"):
        assert fn(*args) == en


def test_days_and_moments() -> None:
    assert day_text(date(2026, 12, 7)) == "2026-12-07"
    assert when_text(NOW) == "2026-12-07 14:05 UTC"
    with use_locale("fr"):
        assert day_text(date(2026, 12, 7)) == "7 déc. 2026"
        assert when_text(NOW) == "7 déc. 2026 14:05 UTC"
        assert when_text("2026-12-07T14:05:00Z") == "7 déc. 2026 14:05 UTC"
        assert when_text(None) == DASH


def test_relative_times() -> None:
    assert ago_text(None) == "never"
    assert ago_text(NOW - timedelta(seconds=5), NOW) == "just now"
    assert ago_text(NOW - timedelta(minutes=5), NOW) == "5 min ago"
    assert ago_text(NOW - timedelta(hours=3), NOW) == "3 h ago"
    assert ago_text(NOW - timedelta(days=3), NOW) == "2026-12-04 14:05 UTC"
    with use_locale("fr"):
        assert ago_text(None) == "jamais"
        assert ago_text(NOW - timedelta(seconds=5), NOW) == "à l'instant"
        assert ago_text(NOW - timedelta(minutes=5), NOW) == "il y a 5 min"
        assert ago_text(NOW - timedelta(hours=3), NOW) == "il y a 3 h"
        assert ago_text(NOW - timedelta(days=3), NOW) == "4 déc. 2026 14:05 UTC"


def test_exact_decimals_only() -> None:
    assert qty_text(1.5) == DASH  # a float is not an amount
    with use_locale("fr"):
        assert money_in(D("0"), "EUR") == f"0,00{NBSP}€"

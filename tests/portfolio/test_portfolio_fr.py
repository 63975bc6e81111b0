"""The portfolio's sentences in French: what could not be valued, and a refused quote."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exstrat_app import i18n
from exstrat_app.services.errors import InvalidInput
from exstrat_app.services.portfolio.token import UnvaluedGroup
from exstrat_app.services.portfolio.views import reporting_quote

NBSP = "\u00a0"


def test_unvalued_items_in_french_and_in_english() -> None:
    one = UnvaluedGroup("fee", "OLDX", 1, Decimal("0.010000000000000000"), ("t1",))
    three = UnvaluedGroup("quote", "OLDX", 3, Decimal("1234.5"), ("a", "b", "c"))
    with i18n.use_locale("fr"):
        assert one.text == f"1 frais n'a pas pu être valorisé{NBSP}: 0,01 OLDX"
        assert (
            three.text == (f"3 contreparties n'ont pas pu être valorisées{NBSP}: 1{NBSP}234,5 OLDX")
            or three.text
            == f"3 contreparties n'ont pas pu être valorisées{NBSP}: 1\u202f234,5 OLDX"
        )
    with i18n.use_locale("en"):
        assert one.text == "1 fee could not be valued: 0.01 OLDX"
        assert three.text == "3 quotes could not be valued: 1,234.5 OLDX"


def test_a_refused_quote_names_the_choices_in_french() -> None:
    with pytest.raises(InvalidInput) as caught:
        reporting_quote("GBP")
    fields = caught.value.fields
    assert fields is not None
    with i18n.use_locale("fr"):
        assert i18n.render(caught.value.message) == "Devise de référence non prise en charge."
        assert i18n.render(fields["quote"]) == (
            f"L'une des valeurs suivantes{NBSP}: USDT, USDC, USD, EUR."
        )

"""The Account page's "Reporting currency" card: USD or EUR for every figure, ladder and
export. Choosing one saves it on the account and reloads the page in it (state/locale.py)."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components.text import T
from exstrat_app.state.locale import LocaleState

CURRENCIES = ("USD", "EUR")  # codes read the same in every language


def currency_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Reporting currency"), size="4", id="currency-label"),
            rx.text(T("Every figure, ladder and export is counted in this currency."),
                    size="2", color_scheme="gray"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(code, value=code) for code in CURRENCIES],
                value=LocaleState.currency,
                # The control may hand a list (multiple choice); this one is single: a code.
                on_change=lambda code: LocaleState.switch_currency(code.to(str)),
                aria_labelledby="currency-label",
                custom_attrs={"data-testid": "currency-select"},
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="currency-card",
    )  # fmt: skip

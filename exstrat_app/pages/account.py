"""/account: the person's account over its life: the sign-in email and the password, the
reporting currency, taking all of one's data away, and deleting the account. Each card is a
view of its own (`views/account_credentials.py`, `views/account_preferences.py`,
`views/account_data.py`)."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import page_title
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.views.account_credentials import email_card, password_card
from exstrat_app.pages.views.account_data import data_export_card, delete_account_card
from exstrat_app.pages.views.account_preferences import currency_card


def account() -> rx.Component:
    return rx.fragment(
        page_title(T("Your account")),
        rx.vstack(
            email_card(),
            password_card(),
            currency_card(),
            data_export_card(),
            delete_account_card(),
            spacing="4",
            width="100%",
            id="account-cards",
        ),
    )


PAGE = protected_page(routes.ACCOUNT, "Your account", account)

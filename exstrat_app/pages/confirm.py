"""/confirm?token=…: the sign-up's emailed link. The account's password confirms the address
and signs in (the same cookie hand-over as /login); the link alone does nothing."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.i18n import N_
from exstrat_app.pages.components import auth_card, auth_form, error_callout, password_field
from exstrat_app.pages.components.phrases import phrase
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import public_page
from exstrat_app.state.auth_forms import AuthFormState


def confirm() -> rx.Component:
    return auth_card(
        T("Confirm your email"),
        error_callout(AuthFormState.error),
        auth_form(
            rx.text(T("Enter the password you chose when you signed up."), size="2",
                    color_scheme="gray"),
            password_field(T("Password"), AuthFormState.password_error),
            submit=T("Confirm and sign in"),
            busy=AuthFormState.busy,
            on_submit=AuthFormState.submit_confirm,
        ),
        rx.text(phrase(N_("Link expired? {sign_in} to get a new one."),
                       sign_in=rx.link(T("Sign in"), href=routes.LOGIN)), size="2"),
    )  # fmt: skip


PAGE = public_page(routes.CONFIRM, "Confirm your email", confirm, on_load=[AuthFormState.clear])

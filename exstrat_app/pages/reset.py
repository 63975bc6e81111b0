"""/reset?token=…: the emailed reset link. A new password, twice; then /login says
"Password changed: sign in"."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import auth_card, auth_form, error_callout, password_field
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import public_page
from exstrat_app.state.password_reset import PasswordResetState as S


def reset() -> rx.Component:
    return auth_card(
        T("Choose a new password"),
        error_callout(S.error),
        auth_form(
            password_field(T("New password (at least 10 characters)"), S.password_error,
                           auto_complete="new-password", min_length=10),
            password_field(T("New password again"), S.confirm_error, name="confirm",
                           auto_complete="new-password"),
            submit=T("Set the new password"),
            busy=S.busy,
            on_submit=S.submit_reset,
            reset_on_submit=True,
        ),
        rx.text(T("Link expired?"), " ", rx.link(T("Ask for a new one"), href=routes.FORGOT),
                size="2"),
        rx.text(
            T("Your other sessions are signed out; two-factor sign-in stays on."),
            size="1",
            color_scheme="gray",
        ),
    )  # fmt: skip


PAGE = public_page(routes.RESET, "Choose a new password", reset, on_load=[S.clear])

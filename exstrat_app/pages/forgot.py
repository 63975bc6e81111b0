"""/forgot: ask for a password reset link. The answer is the same whatever the address
("if an account exists for this address, we sent a link"); the link leads to /reset."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import auth_card, auth_form, email_field, error_callout
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import public_page
from exstrat_app.pages.styles import SUCCESS_SCHEME
from exstrat_app.state.password_reset import PasswordResetState as S


def _sent() -> rx.Component:
    return rx.callout(S.sent, icon="mail_check", color_scheme=SUCCESS_SCHEME, width="100%",
                      id="forgot-sent")  # fmt: skip


def _form() -> rx.Component:
    return auth_form(
        rx.text(T("Enter the email you sign in with: we send it a link to choose a new "
                  "password."), size="2", color_scheme="gray"),
        email_field(S.email_error),
        submit=T("Send the link"),
        busy=S.busy,
        on_submit=S.submit_forgot,
        reset_on_submit=True,
    )  # fmt: skip


def forgot() -> rx.Component:
    return auth_card(
        T("Forgot your password?"),
        error_callout(S.error),
        rx.cond(S.sent != "", _sent(), _form()),
        rx.text(T("Remembered it?"), " ", rx.link(T("Sign in"), href=routes.LOGIN), size="2"),
    )


PAGE = public_page(routes.FORGOT, "Forgot your password", forgot, on_load=[S.clear])

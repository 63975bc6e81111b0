"""/signup: create the account; "check your inbox" for any address (the link leads to
/confirm), or, for an instance's first account, the same cookie hand-over as /login."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import (
    auth_card,
    auth_form,
    email_field,
    error_callout,
    password_field,
)
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import public_page
from exstrat_app.pages.styles import SUCCESS_SCHEME
from exstrat_app.state.auth_forms import AuthFormState
from exstrat_app.state.base import SessionState


def _sent() -> rx.Component:
    """After a sign-up, whatever the address: the link (or the owner's notice) is on its way."""
    return rx.callout(AuthFormState.notice, icon="mail_check", color_scheme=SUCCESS_SCHEME,
                      width="100%", id="signup-sent")  # fmt: skip


def _form() -> rx.Component:
    return auth_form(
        email_field(AuthFormState.email_error),
        password_field(T("Password (at least 10 characters)"), AuthFormState.password_error,
                       auto_complete="new-password", min_length=10),
        password_field(T("Repeat the password"), AuthFormState.confirm_error, name="confirm",
                       auto_complete="new-password"),
        submit=T("Create account"),
        busy=AuthFormState.busy,
        on_submit=AuthFormState.submit_signup,
    )  # fmt: skip


def signup() -> rx.Component:
    return auth_card(
        T("Create your account"),
        error_callout(AuthFormState.error),
        rx.cond(AuthFormState.notice != "", _sent(), _form()),
        rx.text(T("Already registered?"), " ", rx.link(T("Sign in"), href=routes.LOGIN), size="2"),
    )


PAGE = public_page(
    routes.SIGNUP,
    "Create an account",
    signup,
    on_load=[AuthFormState.clear, SessionState.redirect_if_signed_in],
)

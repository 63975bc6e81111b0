"""/signup: create the account; "check your inbox" for any address (the link leads to
/confirm), or, for an instance's first account, the same cookie hand-over as /login."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import auth_card, error_callout, field_error, labelled
from exstrat_app.pages.site import public_page
from exstrat_app.pages.styles import SUCCESS_SCHEME
from exstrat_app.state.auth_forms import AuthFormState
from exstrat_app.state.base import SessionState


def _sent() -> rx.Component:
    """After a sign-up, whatever the address: the link (or the owner's notice) is on its way."""
    return rx.callout(AuthFormState.notice, icon="mail_check", color_scheme=SUCCESS_SCHEME,
                      width="100%", id="signup-sent")  # fmt: skip


def _form() -> rx.Component:
    return rx.form(
            rx.vstack(
                labelled(
                    "Email",
                    rx.input(name="email", type="email", required=True, auto_complete="email",
                             placeholder="you@example.com", width="100%", size="3", id="email"),
                    field_error(AuthFormState.email_error),
                ),
                labelled(
                    "Password (at least 10 characters)",
                    rx.input(name="password", type="password", required=True, min_length=10,
                             auto_complete="new-password", width="100%", size="3",
                             id="password"),
                    field_error(AuthFormState.password_error),
                ),
                labelled(
                    "Repeat the password",
                    rx.input(name="confirm", type="password", required=True,
                             auto_complete="new-password", width="100%", size="3",
                             id="confirm"),
                    field_error(AuthFormState.confirm_error),
                ),
                rx.button("Create account", type="submit", size="3", width="100%",
                          loading=AuthFormState.busy, id="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthFormState.submit_signup,
            width="100%",
        )  # fmt: skip


def signup() -> rx.Component:
    return auth_card(
        "Create your account",
        error_callout(AuthFormState.error),
        rx.cond(AuthFormState.notice != "", _sent(), _form()),
        rx.text("Already registered? ", rx.link("Sign in", href=routes.LOGIN), size="2"),
    )


PAGE = public_page(
    routes.SIGNUP,
    "Create an account",
    signup,
    on_load=[AuthFormState.clear, SessionState.redirect_if_signed_in],
)

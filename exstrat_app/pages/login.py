"""/login: email and password, checked in Python (then, for a user with two-factor on, a code
from the app or a recovery code); the API sets the httpOnly cookie."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import (
    auth_card,
    auth_form,
    email_field,
    error_callout,
    field_error,
    labelled,
    password_field,
)
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import public_page
from exstrat_app.pages.styles import SUCCESS_SCHEME
from exstrat_app.state.auth_forms import AuthFormState
from exstrat_app.state.base import SessionState
from exstrat_app.state.password_reset import PasswordResetState


def _code_form() -> rx.Component:
    """The second step for a user with two-factor on: a code from the app, or a recovery code."""
    return rx.form(
        rx.vstack(
            rx.text(T("Enter the 6-digit code from your authenticator app, or one of your "
                      "recovery codes."), size="2", color_scheme="gray"),
            labelled(
                T("Code"),
                rx.input(name="code", required=True, auto_complete="one-time-code",
                         input_mode="numeric", max_length=64, auto_focus=True,
                         placeholder="123456", width="100%", size="3", id="totp-code"),
                field_error(AuthFormState.code_error),
            ),
            rx.button(T("Verify"), type="submit", size="3", width="100%",
                      loading=AuthFormState.busy, id="totp-submit"),
            rx.button(T("Use another account"), type="button", variant="ghost", size="2",
                      on_click=AuthFormState.cancel_code, id="totp-cancel"),
            spacing="3",
            width="100%",
        ),
        on_submit=AuthFormState.submit_code,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def _password_form() -> rx.Component:
    return auth_form(
        email_field(AuthFormState.email_error),
        password_field(T("Password"), AuthFormState.password_error),
        submit=T("Sign in"),
        busy=AuthFormState.busy,
        on_submit=AuthFormState.submit_login,
    )


def login() -> rx.Component:
    return auth_card(
        T("Sign in"),
        error_callout(AuthFormState.error),
        rx.cond(AuthFormState.notice != "", rx.callout(AuthFormState.notice, icon="circle_check",
                color_scheme=SUCCESS_SCHEME, width="100%", id="login-notice")),
        rx.cond(PasswordResetState.login_notice != "",
                rx.callout(PasswordResetState.login_notice, icon="circle_check",
                           color_scheme=SUCCESS_SCHEME, width="100%", id="reset-notice")),
        rx.cond(AuthFormState.totp_step, _code_form(), _password_form()),
        rx.link(T("Forgot your password?"), href=routes.FORGOT, size="2", id="forgot-link"),
        rx.text(T("No account yet?"), " ", rx.link(T("Create one"), href=routes.SIGNUP), size="2"),
        rx.cond(
            AuthFormState.demo_available,
            rx.vstack(
                rx.separator(),
                rx.button(T("Try the demo"), on_click=AuthFormState.try_demo, variant="soft",
                          size="3", width="100%", id="try-demo"),
                rx.text(T("A demo account on a simulated exchange: no keys needed."),
                        size="1", color_scheme="gray"),
                width="100%",
                spacing="2",
            ),
        ),
    )  # fmt: skip


PAGE = public_page(
    routes.LOGIN,
    "Sign in",
    login,
    on_load=[
        AuthFormState.clear,
        PasswordResetState.read_login_notice,
        SessionState.redirect_if_signed_in,
    ],
)

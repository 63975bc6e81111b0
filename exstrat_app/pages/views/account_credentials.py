"""The "Sign-in email" and "Password" cards of /account: the current address and the form
that moves it (a link goes to the new address), and the form that changes the password."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

from exstrat_app.i18n import N_
from exstrat_app.pages.components import error_callout, field_error, labelled
from exstrat_app.pages.components.phrases import Text, phrase
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import SUCCESS_SCHEME
from exstrat_app.state.account_credentials import AccountCredentialsState as S


def _notice(message: Var[str], notice_id: str) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle_check", color_scheme=SUCCESS_SCHEME, width="100%",
                   id=notice_id),
    )  # fmt: skip


def _field(label: Text, name: str, error: Var[str], **attrs: Any) -> rx.Component:
    """A labelled input (its id: the name with dashes) and its error."""
    control = rx.input(name=name, required=True, width="100%", max_width="26em",
                       id=name.replace("_", "-"), **attrs)  # fmt: skip
    return labelled(label, control, field_error(error))


def _password(label: Text, name: str, error: Var[str], auto_complete: str) -> rx.Component:
    return _field(label, name, error, type="password", auto_complete=auto_complete)


def email_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Sign-in email"), size="4"),
            rx.text(phrase(N_("You sign in with {email}. To use another address, enter it "
                              "with your password: we send a link to it, and the address "
                              "changes when you open the link."),
                           email=rx.text.strong(S.email, id="current-email")),
                    size="2", color_scheme="gray"),
            error_callout(S.email_error),
            _notice(S.email_notice, "email-notice"),
            rx.form(
                rx.vstack(
                    _field(T("New email"), "new_email", S.new_email_error, type="email",
                           auto_complete="email", placeholder="you@example.com"),
                    _password(T("Your password"), "email_password", S.email_password_error,
                              "current-password"),
                    rx.button(T("Send the link"), type="submit", loading=S.busy == "email",
                              id="email-submit"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.submit_email,
                reset_on_submit=True,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="email-card",
        on_mount=S.load,
    )  # fmt: skip


def password_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Password"), size="4"),
            rx.text(T("Changing it signs out every other browser signed in to your account; "
                      "this one stays signed in."), size="2", color_scheme="gray"),
            error_callout(S.password_error),
            _notice(S.password_notice, "password-notice"),
            rx.form(
                rx.vstack(
                    _password(T("Current password"), "current_password", S.current_password_error,
                              "current-password"),
                    _password(T("New password (at least 10 characters)"), "new_password",
                              S.new_password_error, "new-password"),
                    _password(T("New password again"), "new_password_again", S.confirm_error,
                              "new-password"),
                    rx.button(T("Change password"), type="submit", loading=S.busy == "password",
                              id="password-submit"),
                    spacing="2",
                    width="100%",
                ),
                on_submit=S.submit_password,
                reset_on_submit=True,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="password-card",
    )  # fmt: skip

"""/security: two-factor sign-in with an authenticator app (set up, recovery codes and new
ones, turn off), where you are signed in (pages/views/sessions.py) and your personal API tokens
(pages/views/api_tokens.py)."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import error_callout, field_error, page_title
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import DANGER_SCHEME, SUCCESS_SCHEME
from exstrat_app.pages.views.api_tokens import api_tokens_card
from exstrat_app.pages.views.sessions import sessions_card
from exstrat_app.state.api_tokens import ApiTokensState
from exstrat_app.state.security import SecurityState as S
from exstrat_app.state.sessions import SessionsState


def _code_input(input_id: str) -> rx.Component:
    return rx.input(name="code", required=True, auto_complete="one-time-code",
                    input_mode="numeric", max_length=64, placeholder="123456",
                    width="12em", id=input_id)  # fmt: skip


def _off() -> rx.Component:
    return rx.vstack(
        rx.text(T("Two-factor sign-in is off. Turn it on to ask for a code from an "
                  "authenticator app (Aegis, Google Authenticator, 1Password, …) after your "
                  "password."),
                size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.text(T("Your password, to set it up (your other sessions are signed out):"),
                        size="2", color_scheme="gray"),
                rx.input(name="password", type="password", required=True,
                         auto_complete="current-password", placeholder=T("Your password"),
                         width="20em", max_width="100%", id="totp-start-password"),
                field_error(S.password_error),
                rx.button(rx.icon("shield_plus", size=16), T("Set up two-factor sign-in"),
                          type="submit", loading=S.busy, id="totp-start"),
                spacing="2",
            ),
            on_submit=S.start,
            reset_on_submit=True,
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text(T("1. Scan this code with your authenticator app, or type the key into it."),
                size="2"),
        rx.image(src=S.qr_svg, alt=T("QR code of the two-factor key"), width="200px",
                 height="200px", id="totp-qr"),
        rx.hstack(rx.text(T("Key:"), size="2", color_scheme="gray"),
                  rx.code(S.secret, id="totp-secret", size="2"), align="center", wrap="wrap"),
        rx.text(T("2. Enter the 6-digit code the app shows."), size="2"),
        rx.form(
            rx.hstack(
                _code_input("totp-confirm-code"),
                rx.button(T("Turn on"), type="submit", loading=S.busy, id="totp-confirm"),
                rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray",
                          on_click=S.cancel),
                align="center", wrap="wrap",
            ),
            field_error(S.code_error),
            on_submit=S.confirm,
            reset_on_submit=True,
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def _recovery_codes() -> rx.Component:
    return rx.callout.root(
        rx.callout.text(
            rx.text(T("Save these recovery codes now: each one signs you in once without the "
                      "app. They are not shown again."), weight="medium"),
            rx.grid(rx.foreach(S.recovery_codes,
                               lambda code: rx.code(code, class_name="recovery-code")),
                    columns="2", spacing="2", margin_y="0.75em", id="recovery-codes"),
            rx.button(T("I have saved them"), on_click=S.codes_saved, size="2",
                      id="recovery-saved"),
        ),
        color_scheme=SUCCESS_SCHEME,
        width="100%",
    )  # fmt: skip


def _regenerate() -> rx.Component:
    return rx.vstack(
        rx.heading(T("New recovery codes"), size="3", margin_top="0.5em"),
        rx.text(T("Lost them, or used most? Make ten new ones: every old code stops working."),
                size="2", color_scheme="gray"),
        rx.form(
            rx.vstack(
                rx.input(name="password", type="password", required=True,
                         auto_complete="current-password", placeholder=T("Your password"),
                         width="20em", max_width="100%", id="recovery-new-password"),
                _code_input("recovery-new-code"),
                rx.button(T("Make new recovery codes"), type="submit", variant="soft",
                          loading=S.busy, id="recovery-new"),
                spacing="2",
            ),
            on_submit=S.regenerate,
            reset_on_submit=True,
        ),
        spacing="2",
        width="100%",
    )  # fmt: skip


def _on() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.badge(T("On"), color_scheme=SUCCESS_SCHEME, id="totp-on"),
                  rx.text(T("since {day}", day=S.enabled_since), size="2", color_scheme="gray"),
                  align="center"),
        rx.text(T("{count} unused recovery codes left.", count=S.recovery_left), size="2",
                id="recovery-left"),
        rx.cond(S.recovery_codes.length() > 0, _recovery_codes()),
        _regenerate(),
        rx.heading(T("Turn off"), size="3", margin_top="0.5em"),
        rx.form(
            rx.vstack(
                rx.input(name="password", type="password", required=True,
                         auto_complete="current-password", placeholder=T("Your password"),
                         width="20em", max_width="100%", id="totp-off-password"),
                field_error(S.password_error),
                _code_input("totp-off-code"),
                field_error(S.code_error),
                rx.button(T("Turn off two-factor sign-in"), type="submit",
                          color_scheme=DANGER_SCHEME, variant="soft", loading=S.busy,
                          id="totp-disable"),
                spacing="2",
            ),
            on_submit=S.disable,
            reset_on_submit=True,
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def security() -> rx.Component:
    return rx.fragment(
        page_title(T("Security")),
        rx.card(
            rx.vstack(
                rx.heading(T("Two-factor sign-in"), size="4"),
                error_callout(S.error),
                rx.cond(S.notice != "", rx.callout(S.notice, icon="circle_check",
                                                   color_scheme=SUCCESS_SCHEME, width="100%",
                                                   id="totp-notice")),
                rx.cond(S.enabled, _on(), rx.cond(S.enrolling, _enrolment(), _off())),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
        sessions_card(),
        api_tokens_card(),
    )  # fmt: skip


PAGE = protected_page(routes.SECURITY, "Security", security,
                      on_load=[S.load, SessionsState.load, ApiTokensState.load])  # fmt: skip

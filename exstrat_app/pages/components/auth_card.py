"""The frame shared by /login, /signup and /confirm: a centred card with the brand, and the
pieces of their forms (a labelled field, the email and password fields, the submit button)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

from exstrat_app.pages.components.feedback import field_error
from exstrat_app.pages.components.phrases import Text, language_links
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import AUTH_CARD_MAX_WIDTH, BRAND_ICON_COLOR, PAGE_BACKGROUND


def auth_card(title: Text, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("chart_candlestick", size=26, color=BRAND_ICON_COLOR),
                    rx.heading("exstrat", size="6"),
                    align="center",
                    spacing="2",
                ),
                rx.heading(title, size="5"),
                *children,
                language_links(margin_top="0.5em"),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
            max_width=AUTH_CARD_MAX_WIDTH,
        ),
        min_height="100vh",
        padding="1em",
        background=PAGE_BACKGROUND,
    )


def labelled(label: Text, control: rx.Component, error: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        error,
        spacing="1",
        width="100%",
    )


def email_field(error: Var[str]) -> rx.Component:
    return labelled(
        T("Email"),
        rx.input(name="email", type="email", required=True, auto_complete="email",
                 placeholder="you@example.com", width="100%", size="3", id="email"),
        field_error(error),
    )  # fmt: skip


def password_field(
    label: Text, error: Var[str], *, name: str = "password",
    auto_complete: str = "current-password", **extra: Any,
) -> rx.Component:  # fmt: skip
    """A password input; `extra` adds attributes (e.g. `min_length=10` at sign-up)."""
    return labelled(
        label,
        rx.input(name=name, type="password", required=True, **extra,
                 auto_complete=auto_complete, width="100%", size="3", id=name),
        field_error(error),
    )  # fmt: skip


def auth_form(
    *fields: rx.Component, submit: Text, busy: Var[bool], on_submit: Any, **extra: Any
) -> rx.Component:
    """The fields and a full-width submit button (`#submit`) in one column."""
    return rx.form(
        rx.vstack(
            *fields,
            rx.button(submit, type="submit", size="3", width="100%", loading=busy, id="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        width="100%",
        **extra,
    )

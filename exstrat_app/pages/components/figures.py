"""Headings and figures: the page title row, stat cards, amounts coloured by their sign."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.styles import SIGN_SCHEMES, scheme_of


def page_title(
    title: Text, *right: rx.Component, subtitle: rx.Component | None = None
) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="7"),
            subtitle if subtitle is not None else rx.fragment(),
            spacing="1",
        ),
        rx.hstack(*right, spacing="2", align="center", wrap="wrap"),
        justify="between",
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )


def stat(label: Text, value: Var[str] | str, sub: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", color_scheme="gray", weight="medium"),
            rx.text(value, size="5", weight="bold", class_name="num"),
            sub if sub is not None else rx.fragment(),
            spacing="1",
        ),
        flex="1 1 150px",
        min_width="140px",
    )


def as_number(text: Var[str]) -> Var[int]:
    """A number from a state string (e.g. a progress percentage) for props that need one."""
    return Var(f"Number({text!s})", _var_data=text._get_all_var_data()).to(int)


def pnl_text(text: Var[str], sign: Var[str], **props: object) -> rx.Component:
    """A signed amount coloured by its sign ("1" gain, "-1" loss, "0" flat/unknown)."""
    return rx.text(text, color_scheme=scheme_of(sign, SIGN_SCHEMES), class_name="num", **props)

"""The frame shared by /login and /signup: a centred card with the brand."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.styles import AUTH_CARD_MAX_WIDTH, BRAND_ICON_COLOR, PAGE_BACKGROUND


def auth_card(title: str, *children: rx.Component) -> rx.Component:
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


def labelled(label: str, control: rx.Component, error: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        error,
        spacing="1",
        width="100%",
    )

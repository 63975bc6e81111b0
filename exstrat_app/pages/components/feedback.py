"""What a page shows instead of, or beside, its data: errors, empty states, skeletons."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.styles import ERROR_SCHEME


def error_callout(message: Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme=ERROR_SCHEME, role="alert",
                   width="100%"),
    )  # fmt: skip


def field_error(message: Var[str]) -> rx.Component:
    return rx.cond(
        message != "", rx.text(message, color_scheme=ERROR_SCHEME, size="1", role="alert")
    )


def empty_state(
    icon: str, title: Text, body: Text, action: rx.Component | None = None
) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 9)),
            rx.heading(title, size="5", align="center"),
            rx.text(body, color_scheme="gray", align="center", max_width="32em"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="3",
        ),
        padding_y="3em",
        width="100%",
    )


def not_found(title: Text, body: Text, back_href: str, back_label: Text) -> rx.Component:
    """The 404-like empty state: the same whether it does not exist or is someone else's
    (`title` "Strategy not found", `body` "This strategy does not exist, or it is not
    yours.": whole sentences, as each language words them)."""
    return empty_state(
        "search_x", title, body, rx.link(rx.button(back_label, variant="soft"), href=back_href)
    )


def skeleton_rows(columns: int, rows: int = 6) -> rx.Component:
    return rx.table.body(
        *[
            rx.table.row(
                *[
                    rx.table.cell(rx.skeleton(rx.text("loading"), loading=True))
                    for _ in range(columns)
                ]
            )
            for _ in range(rows)
        ]
    )

"""Small building blocks shared by the pages (no state of their own)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var


def page_title(
    title: str, *right: rx.Component, subtitle: rx.Component | None = None
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


def error_callout(message: Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def field_error(message: Var[str]) -> rx.Component:
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="1", role="alert"))


def empty_state(
    icon: str, title: str, body: str | Var[str], action: rx.Component | None = None
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


def not_found(what: str, back_href: str, back_label: str) -> rx.Component:
    """The 404-like empty state: the same whether it does not exist or is someone else's."""
    return empty_state(
        "search_x",
        f"{what} not found",
        f"This {what.lower()} does not exist, or it is not yours.",
        rx.link(rx.button(back_label, variant="soft"), href=back_href),
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


def stat(label: str, value: Var[str] | str, sub: rx.Component | None = None) -> rx.Component:
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
    return rx.text(
        text,
        color_scheme=rx.match(sign, ("1", "green"), ("-1", "red"), "gray"),
        class_name="num",
        **props,
    )


def table_frame(table: rx.Component) -> rx.Component:
    """Tables scroll sideways inside their card on narrow screens."""
    return rx.box(table, width="100%", overflow_x="auto")


def pager(
    page: Var[int], pages: Var[int], on_prev: rx.EventHandler, on_next: rx.EventHandler, label: str
) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron_left", size=16),
            "Previous",
            variant="soft",
            size="1",
            disabled=page <= 1,
            on_click=on_prev,
            aria_label=f"Previous page of {label}",
        ),
        rx.text("Page ", page, " of ", pages, size="1", color_scheme="gray"),
        rx.button(
            "Next",
            rx.icon("chevron_right", size=16),
            variant="soft",
            size="1",
            disabled=page >= pages,
            on_click=on_next,
            aria_label=f"Next page of {label}",
        ),
        justify="end",
        align="center",
        width="100%",
    )


# Phones (< 30em, i.e. under 480 px) get fewer table columns; the rest shows from there up.
PHONE_HIDDEN_CELL = rx.breakpoints(initial="none", xs="table-cell")
PHONE_ONLY = rx.breakpoints(initial="block", xs="none")

"""Table furniture: the sideways-scrolling frame and the pager under a paged table."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var


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

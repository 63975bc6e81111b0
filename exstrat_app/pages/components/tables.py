"""Table furniture: the sideways-scrolling frame and the pager under a paged table."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var
from reflex_components_core.react_router.dom import ReactRouterLink

from exstrat_app.i18n import N_
from exstrat_app.pages.components.phrases import Text, phrase
from exstrat_app.pages.components.text import T


def table_frame(table: rx.Component) -> rx.Component:
    """Tables scroll sideways inside their card on narrow screens."""
    return rx.box(table, width="100%", overflow_x="auto")


def pager(
    page: Var[int], pages: Var[int], on_prev: rx.EventHandler, on_next: rx.EventHandler,
    key: str, what: Text,
) -> rx.Component:  # fmt: skip
    """Previous / "Page 2 of 5" / Next under a table; `key` names the ids (`{key}-page`),
    `what` is the table's rows in words (T("trades")) for the buttons' accessible names."""
    return rx.hstack(
        rx.button(
            rx.icon("chevron_left", size=16),
            T("Previous"),
            variant="soft",
            size="1",
            disabled=page <= 1,
            on_click=on_prev,
            aria_label=T("Previous page of {rows}", rows=what),
        ),
        rx.text(
            phrase(
                N_("Page {page} of {pages}"),
                page=rx.text.span(page, id=f"{key}-page"),
                pages=rx.text.span(pages, id=f"{key}-pages"),
            ),
            size="1",
            color_scheme="gray",
        ),
        rx.button(
            T("Next"),
            rx.icon("chevron_right", size=16),
            variant="soft",
            size="1",
            disabled=page >= pages,
            on_click=on_next,
            aria_label=T("Next page of {rows}", rows=what),
        ),
        justify="end",
        align="center",
        width="100%",
    )


# ---------------------------------------------------------------- light rows
#
# A big table's rows are plain <tr>/<td> elements with Radix Themes' own class names (the same
# look as rx.table.row/cell) and static class names for alignment and the phone layout,
# styled once on the table (`LIGHT_TABLE_STYLE`). Measured on /portfolio (issue 16): a row of
# Radix components, each with its own emotion style and responsive `display`, cost ~2 ms to
# render; 1,000 of them took 2.4-2.9 s from navigation.

LIGHT_TABLE_STYLE: dict[str, object] = {
    "& .cell-end": {"text_align": "end", "white_space": "nowrap"},
    "& .phone-hidden": {"display": rx.breakpoints(initial="none", xs="table-cell")},
    "& .phone-only": {"display": rx.breakpoints(initial="block", xs="none")},
    "& .from-sm": {"display": rx.breakpoints(initial="none", sm="inline")},
    "& .cell-stack": {"display": "flex", "flex_direction": "column", "gap": "var(--space-1)"},
    "& .cell-stack > span:empty": {"display": "none"},  # an empty line takes no gap
}
TEXT_1 = "rt-Text rt-r-size-1"


def light_row(*cells: rx.Component, class_name: str, **props: object) -> rx.Component:
    return rx.el.tr(*cells, class_name=f"rt-TableRow {class_name}", **props)


def light_cell(*children: object, class_name: str = "", **props: object) -> rx.Component:
    return rx.el.td(*children, class_name=f"rt-TableCell {class_name}".strip(), **props)


def light_header_cell(*children: object, class_name: str = "") -> rx.Component:
    """The row's first cell (<th scope=row>), as rx.table.row_header_cell renders it."""
    return rx.el.th(
        *children, scope="row", class_name=f"rt-TableCell rt-TableRowHeaderCell {class_name}"
    )


def small_text(*children: object, class_name: str = "", color: object = "gray") -> rx.Component:
    """A size-1 Radix text span (`color`: a Radix scale, e.g. a state's precomputed one)."""
    return rx.el.span(
        *children, class_name=f"{TEXT_1} {class_name}".strip(), data_accent_color=color
    )


def light_link(*children: object, to: object, class_name: str = "") -> rx.Component:
    """A client-side link styled as a Radix link, without rx.link's Radix component and its
    per-element emotion style (one per row of a big table)."""
    return ReactRouterLink.create(
        *children, to=to, class_name=f"rt-Text rt-reset rt-Link rt-underline-auto {class_name}"
    )

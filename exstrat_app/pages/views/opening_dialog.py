"""The "Add an opening position" dialog of the token page: what no API can show (a delisted
pair, coins bought elsewhere) as a quantity, a total cost and a date. Saving rebuilds the
positions, so the "unexplained" badge it explains goes away."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.components.text import T
from exstrat_app.state.token import TokenState as TS


def _field(label: Text, value: rx.Var, on_change: rx.EventHandler, key: str, **props: str
           ) -> rx.Component:  # fmt: skip
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.input(value=value, on_change=on_change, aria_label=label, id=f"opening-{key}",
                 width="100%", **props),
        field_error(TS.opening_fields.get(key, "")),
        spacing="1", width="100%",
    )  # fmt: skip


def opening_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(T("Add an opening position: {asset}", asset=TS.summary["asset"])),
            rx.dialog.description(
                rx.text.span(
                    T("Coins no exchange history shows (a pair since delisted, history from "
                      "before the API, coins bought elsewhere): how many, what they cost in "
                      "total (USDT) and when. They are replayed like a buy at that date."),
                    size="2", color_scheme="gray",
                ),
            ),
            rx.vstack(
                error_callout(TS.opening_error),
                _field(T("Quantity"), TS.opening_quantity, TS.set_opening_quantity, "quantity",
                       placeholder="1.5", input_mode="decimal"),
                _field(T("Total cost (USDT)"), TS.opening_cost, TS.set_opening_cost, "totalCost",
                       placeholder="3000", input_mode="decimal"),
                _field(T("Date"), TS.opening_date, TS.set_opening_date, "at", type="date"),
                rx.hstack(
                    rx.dialog.close(rx.button(T("Cancel"), variant="soft", color_scheme="gray")),
                    rx.button(T("Add"), on_click=TS.save_opening, loading=TS.opening_saving,
                              id="save-opening"),
                    justify="end", width="100%",
                ),
                spacing="3", width="100%", margin_top="1em",
            ),
            max_width="440px",
        ),
        open=TS.opening_open,
        on_open_change=TS.set_opening_open,
    )  # fmt: skip

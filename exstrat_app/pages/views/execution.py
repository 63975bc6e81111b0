"""The strategy page's order execution card: mode, paper flag, trading key status, the mode
form (asks for the password again), each step's order (with Cancel while it is open on the
exchange) and the audit trail."""

from __future__ import annotations

import reflex as rx

from exstrat_app.i18n import N_
from exstrat_app.pages.components import error_callout, table_frame
from exstrat_app.pages.components.phrases import label_of, phrase
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import DANGER_SCHEME
from exstrat_app.state.execution import ExecutionState

E = ExecutionState
# The modes (the state's keys, sent with the form) in the reader's words.
MODES = (("alert", T("alert")), ("confirm", T("confirm")), ("auto", T("auto")))
CHECKS = {"ok": T("ok"), "refused": T("refused")}  # an audit line's outcome


def _mode_choice() -> rx.Component:
    return rx.radio_group.root(
        rx.flex(
            *[rx.el.label(rx.radio_group.item(value=mode), rx.text(label, size="2"),
                          display="flex", align_items="center", gap="0.5em", cursor="pointer")
              for mode, label in MODES],
            direction="row", spacing="4",
        ),
        name="mode", default_value=E.mode, id="mode-choice",
    )  # fmt: skip


def _mode_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _mode_choice(),
            rx.text(
                rx.checkbox(T("Paper mode (fills simulated at the trigger price, nothing is "
                              "sent)"),
                            name="paper", default_checked=E.paper, id="mode-paper"),
                as_="label", size="2",
            ),
            rx.text(T("Your password (changing the mode decides whether exstrat may sell for "
                      "you)"),
                    size="1", color_scheme="gray"),
            rx.input(name="password", type="password", placeholder=T("Password"),
                     auto_complete="current-password", id="mode-password", width="100%"),
            error_callout(E.error),
            rx.hstack(
                rx.button(T("Cancel"), type="button", variant="soft", color_scheme="gray",
                          on_click=E.set_editing(False)),
                rx.button(T("Save mode"), type="submit", id="save-mode"),
                justify="end", width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=E.change_mode,
        reset_on_submit=False,
        id="mode-form",
        width="100%",
    )  # fmt: skip


def _order_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["step"], class_name="order-step"),
        rx.table.cell(
            rx.text(row["state"], white_space="normal", class_name="order-state"),
            rx.cond(row["paper"] != "", rx.badge(T("paper"), size="1")),
        ),
        rx.table.cell(row["exchange_id"], class_name="order-exchange-id"),
        rx.table.cell(row["filled"], " / ", row["qty"], text_align="end",
                      class_name="num order-filled", white_space="nowrap"),
        rx.table.cell(row["avg_price"], text_align="end", class_name="num order-avg"),
        rx.table.cell(
            rx.cond(row["cancellable"] != "",
                    rx.button(T("Cancel"), size="1", variant="soft", color_scheme=DANGER_SCHEME,
                              loading=E.cancelling == row["id"],
                              on_click=E.cancel_order(row["id"]), class_name="order-cancel")),
            text_align="end",
        ),
        class_name="order-row",
    )  # fmt: skip


def _audit_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.text(T("Step {number}", number=row["step"]), size="1", weight="bold"),
            rx.text(row["when"], size="1", color_scheme="gray"),
            rx.badge(row["action"], size="1"),
            rx.badge(label_of(row["ok"], CHECKS), size="1",
                     color_scheme=rx.cond(row["ok"] == "ok", "green", "red")),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.code(row["request"], size="1", display="block", white_space="pre-wrap",
                overflow_wrap="anywhere"),
        rx.code(row["response"], size="1", display="block", white_space="pre-wrap",
                overflow_wrap="anywhere"),
        class_name="audit-row",
        width="100%",
    )  # fmt: skip


ORDER_HEADERS = ((T("Step"), "start"), (T("Order"), "start"),
                 (T("Exchange order id"), "start"), (T("Filled"), "end"),
                 (T("Average price"), "end"), ("", "end"))  # fmt: skip


def execution_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(T("Order execution"), size="4"),
                rx.spacer(),
                rx.cond(~E.editing,
                        rx.button(T("Change mode"), size="1", variant="soft", id="change-mode",
                                  on_click=E.set_editing(True))),
                width="100%", align="center",
            ),
            rx.text(phrase(N_("Mode: {mode}"),
                           mode=rx.text.span(E.mode_text, id="execution-mode")),
                    rx.cond(E.paper, rx.badge(T("paper"), margin_left="0.5em",
                                              id="execution-paper")), size="2"),
            rx.text(phrase(N_("Trading key: {status}"),
                           status=rx.text.span(E.key_status, id="trading-key-status")),
                    size="2"),
            rx.cond(E.saved != "", rx.text(E.saved, size="2", color_scheme="green",
                                           id="mode-saved")),
            rx.cond(E.editing, _mode_form()),
            rx.cond(
                E.orders.length() == 0,
                rx.text(T("No order yet."), size="2", color_scheme="gray"),
                table_frame(rx.table.root(
                    rx.table.header(rx.table.row(*[
                        rx.table.column_header_cell(h, text_align=align)
                        for h, align in ORDER_HEADERS
                    ])),
                    rx.table.body(rx.foreach(E.orders, _order_row)),
                    width="100%",
                )),
            ),
            rx.cond(
                E.audit.length() > 0,
                rx.vstack(rx.heading(T("Audit trail"), size="3"),
                          rx.foreach(E.audit, _audit_row), spacing="2", width="100%",
                          id="order-audit"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="execution",
    )  # fmt: skip

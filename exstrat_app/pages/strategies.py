"""/strategies (list with progress and distance to the next target) and /strategies/[id]."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.i18n import N_
from exstrat_app.pages.components import (
    empty_state,
    error_callout,
    not_found,
    page_title,
    pager,
    skeleton_rows,
    stat,
    table_frame,
)
from exstrat_app.pages.components.phrases import label_of, phrase
from exstrat_app.pages.components.tables import (
    LIGHT_TABLE_STYLE,
    light_cell,
    light_header_cell,
    light_link,
    light_row,
    small_text,
)
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import (
    FALLBACK_SCHEME,
    FROM_SM_BLOCK,
    PHONE_HIDDEN_CELL,
    STEP_STATE_SCHEMES,
    STRATEGY_STATUS_SCHEMES,
    scheme_of,
)
from exstrat_app.pages.views.execution import execution_card
from exstrat_app.pages.views.strategy_dialog import strategy_dialog
from exstrat_app.state.execution import ExecutionState
from exstrat_app.state.strategies import StrategiesState, StrategyDetailState
from exstrat_app.state.strategy_dialog import StrategyDialogState

# A strategy's status and a step's state: the state's keys (also the colour keys), in words.
STATUS_WORDS = {"active": T("active"), "paused": T("paused"), "completed": T("completed")}
STEP_STATE_WORDS = {"pending": T("pending"), "armed": T("armed"), "triggered": T("triggered"),
                    "done": T("done")}  # fmt: skip


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(
        label_of(status, STATUS_WORDS),
        color_scheme=scheme_of(status, STRATEGY_STATUS_SCHEMES),
        variant="soft",
        class_name="strategy-status",
    )


def _scheme(value: rx.Var[str], schemes: dict[str, str]) -> rx.Var[str]:
    """A colour scheme looked up in a JS object (one property read per row, no rx.match)."""
    table: rx.Var = rx.Var.create({**schemes})
    return (table[value] | FALLBACK_SCHEME).to(str)  # type: ignore[index]


def _light_badge(status: rx.Var[str]) -> rx.Component:
    return rx.el.span(
        label_of(status, STATUS_WORDS),
        class_name="rt-reset rt-Badge rt-r-size-1 rt-variant-soft strategy-status",
        data_accent_color=_scheme(status, STRATEGY_STATUS_SCHEMES),
    )


LIST_STYLE = {
    **LIGHT_TABLE_STYLE,
    "& progress": {"width": "64px", "height": "4px", "accent_color": rx.color("accent", 9)},
    "& .row-link": {"color": "inherit", "text_decoration": "none"},
}


def _list_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    """Plain cells with precomputed text (see tables.LIGHT_TABLE_STYLE)."""
    return light_row(
        light_header_cell(
            light_link(
                rx.el.div(
                    rx.el.span(row["asset"], class_name="rt-Text rt-r-weight-bold"),
                    small_text(row["name"]),
                    rx.el.div(_light_badge(row["status"]), class_name="phone-only"),
                    class_name="cell-stack",
                ),
                to=routes.strategy_href(row["id"]),
                class_name="row-link",
            )
        ),
        light_cell(_light_badge(row["status"]), class_name="phone-hidden"),
        light_cell(
            rx.el.div(
                rx.el.span(row["progress"], class_name="rt-Text rt-r-size-2 num"),
                rx.el.progress(value=row["progress_pct"], max=100),
                class_name="cell-stack",
            )
        ),
        light_cell(
            rx.el.div(
                rx.el.span(row["next_target"], class_name="rt-Text num"),
                small_text(row["next_pct"]),
                small_text(T("{distance} away", distance=row["distance"]), class_name="phone-only"),
                class_name="cell-stack",
            ),
            class_name="cell-end",
        ),
        light_cell(row["distance"], class_name="num distance cell-end phone-hidden"),
        light_cell(row["price"], class_name="num cell-end phone-hidden"),
        class_name="strategy-row",
    )  # fmt: skip


def strategies_list() -> rx.Component:
    headers = (T("Asset"), T("Status"), T("Steps reached"), T("Next target"), T("Distance"),
               T("Price"))  # fmt: skip
    return rx.fragment(
        page_title(
            T("Strategies"),
            rx.button(rx.icon("plus", size=16), T("New strategy"),
                      on_click=StrategyDialogState.open_blank, id="new-strategy"),
            subtitle=rx.text(
                phrase(
                    N_("{shown} of {total} strategies"),
                    shown=rx.text.span(StrategiesState.rows.length().to_string(),
                                       id="strategies-shown"),
                    total=rx.text.span(StrategiesState.total.to_string(),
                                       id="strategies-total"),
                ),
                size="2", color_scheme="gray",
            ),
        ),
        error_callout(StrategiesState.error),
        rx.cond(
            StrategiesState.loaded & (StrategiesState.rows.length() == 0),
            rx.card(
                empty_state(
                    "list_checks",
                    T("No strategy yet"),
                    T("A strategy sells part of a position at each price target (a take-profit "
                      "ladder). Create one from a row of your portfolio, or here."),
                    rx.link(rx.button(T("Go to the portfolio"), variant="soft"),
                            href=routes.PORTFOLIO),
                ),
                width="100%",
            ),
            rx.card(
                table_frame(
                    rx.table.root(
                        rx.table.header(rx.table.row(*[
                            rx.table.column_header_cell(
                                h, text_align="end" if i >= 3 else "start", white_space="nowrap",
                                display=PHONE_HIDDEN_CELL if i in (1, 4, 5) else None,
                            ) for i, h in enumerate(headers)
                        ])),
                        rx.cond(
                            StrategiesState.loaded,
                            rx.table.body(rx.foreach(StrategiesState.rows, _list_row)),
                            skeleton_rows(len(headers), 3),
                        ),
                        width="100%",
                        style=LIST_STYLE,
                    )
                ),
                rx.cond(
                    StrategiesState.pages > 1,
                    pager(StrategiesState.page, StrategiesState.pages,
                          StrategiesState.to_page(StrategiesState.page - 1),
                          StrategiesState.to_page(StrategiesState.page + 1), "strategies",
                          T("strategies")),
                ),
                width="100%",
            ),
        ),
        strategy_dialog(),
    )  # fmt: skip


# ---------------------------------------------------------------- detail

D = StrategyDetailState


def _step_row(step: rx.Var[dict[str, str]]) -> rx.Component:
    def num(text: rx.Var[str], phone: bool = True) -> rx.Component:
        return rx.table.cell(
            text,
            text_align="end",
            class_name="num",
            white_space="nowrap",
            display=None if phone else PHONE_HIDDEN_CELL,
        )

    return rx.table.row(
        rx.table.cell(step["number"], display=PHONE_HIDDEN_CELL),
        rx.table.cell(
            rx.text(step["target_price"], class_name="num"),
            rx.text(step["target_pct"], size="1", color_scheme="gray"),
            rx.cond(step["rule"] != "",
                    rx.text(step["rule"], size="1", color_scheme="blue", white_space="normal",
                            class_name="step-rule")),
            white_space="nowrap",
        ),
        num(step["sell_pct"], phone=False),
        num(step["qty_to_sell"]),
        num(step["proceeds"], phone=False),
        rx.table.cell(
            rx.vstack(
                rx.badge(label_of(step["state"], STEP_STATE_WORDS),
                         color_scheme=scheme_of(step["state"], STEP_STATE_SCHEMES),
                         class_name="step-state"),
                rx.cond(step["triggered_at"] != "",
                        rx.text(step["triggered_at"], " @ ", step["triggered_price"], size="1",
                                color_scheme="gray", display=FROM_SM_BLOCK)),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.cond(
                step["state"] == "triggered",
                rx.button(T("Mark sold"), size="1", variant="soft",
                          on_click=D.mark_done(step["id"]), class_name="mark-done"),
            ),
            text_align="end",
        ),
        class_name="step-row",
    )  # fmt: skip


def _execution_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]),
        rx.table.cell(row["type"], display=PHONE_HIDDEN_CELL),
        rx.table.cell(row["qty"], text_align="end", class_name="num"),
        rx.table.cell(row["price"], text_align="end", class_name="num"),
        rx.table.cell(row["status"], display=PHONE_HIDDEN_CELL),
    )


EXECUTION_HEADERS = ((T("When"), "start", None), (T("Type"), "start", PHONE_HIDDEN_CELL),
                     (T("Quantity"), "end", None), (T("Price"), "end", None),
                     (T("Status"), "start", PHONE_HIDDEN_CELL))  # fmt: skip


def _actions() -> rx.Component:
    status = D.summary["status"]
    return rx.hstack(
        rx.cond(status == "active",
                rx.button(rx.icon("pause", size=14), T("Pause"), variant="soft",
                          on_click=D.act("pause"), id="pause")),
        rx.cond(status == "paused",
                rx.button(rx.icon("play", size=14), T("Resume"), variant="soft",
                          on_click=D.act("resume"), id="resume")),
        rx.cond(status != "completed",
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(
                        rx.button(rx.icon("check", size=14), T("Complete"), variant="soft",
                                  color_scheme="gray", id="complete")),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(T("Complete this strategy?")),
                        rx.alert_dialog.description(
                            T("No more alerts will be sent for it. This cannot be undone.")),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button(T("Keep it"), variant="soft",
                                                             color_scheme="gray")),
                            rx.alert_dialog.action(rx.button(T("Complete"),
                                                             on_click=D.act("complete"))),
                            justify="end", margin_top="1em",
                        ),
                    ),
                )),
        spacing="2",
        wrap="wrap",
    )  # fmt: skip


def _detail_body() -> rx.Component:
    s = D.summary
    step_headers = (("#", "start", PHONE_HIDDEN_CELL), (T("Target"), "start", None),
                    (T("Sell"), "end", PHONE_HIDDEN_CELL), (T("Quantity"), "end", None),
                    (T("Proceeds"), "end", PHONE_HIDDEN_CELL), (T("State"), "start", None),
                    ("", "start", None))  # fmt: skip
    return rx.vstack(
        page_title(
            s["name"],
            status_badge(s["status"]),
            _actions(),
            subtitle=rx.text(
                T("Reference {price} {quote} ({kind}) · created {day}", price=s["reference"],
                  quote=s["quote"], kind=s["reference_type"], day=s["created"]),
                size="2", color_scheme="gray",
            ),
        ),
        rx.flex(
            stat(T("Base quantity"), s["base_qty"]),
            stat(T("Steps reached"), s["progress"]),
            stat(T("Next target"), s["next_target"],
                 rx.text(T("distance {distance}", distance=s["distance"]), size="1",
                         color_scheme="gray")),
            stat(T("Price now"), s["price"]),
            stat(T("Left after all steps"), s["remaining"]),
            stat(T("Proceeds if all sell"), s["proceeds"]),
            spacing="3", wrap="wrap", width="100%",
        ),
        rx.cond(s["stop"] != "",
                rx.text(T("Stop-loss {stop}", stop=s["stop"]), size="2", color_scheme="gray",
                        id="strategy-stop")),
        rx.card(
            rx.heading(T("Steps"), size="4", margin_bottom="0.5em"),
            table_frame(rx.table.root(
                rx.table.header(rx.table.row(*[
                    rx.table.column_header_cell(h, text_align=align, display=shown)
                    for h, align, shown in step_headers
                ])),
                rx.table.body(rx.foreach(D.steps, _step_row)),
                width="100%",
            )),
            width="100%",
        ),
        execution_card(),
        rx.card(
            rx.heading(T("Executions"), size="4", margin_bottom="0.5em"),
            rx.cond(
                D.executions.length() == 0,
                rx.text(T("No step has been reached yet."), color_scheme="gray", size="2"),
                table_frame(rx.table.root(
                    rx.table.header(rx.table.row(*[
                        rx.table.column_header_cell(h, text_align=align, display=shown)
                        for h, align, shown in EXECUTION_HEADERS
                    ])),
                    rx.table.body(rx.foreach(D.executions, _execution_row)),
                    width="100%",
                )),
            ),
            width="100%",
        ),
        rx.link(T("← All strategies"), href=routes.STRATEGIES, size="2"),
        spacing="4",
        width="100%",
    )  # fmt: skip


def strategy_detail() -> rx.Component:
    return rx.cond(
        D.found,
        _detail_body(),
        rx.cond(
            D.loading,
            rx.vstack(rx.skeleton(height="40px", width="60%"), rx.skeleton(height="120px",
                      width="100%"), rx.skeleton(height="240px", width="100%"), width="100%"),
            rx.card(not_found(T("Strategy not found"),
                              T("This strategy does not exist, or it is not yours."),
                              routes.STRATEGIES, T("All strategies")),
                    width="100%", id="not-found"),
        ),
    )  # fmt: skip


LIST_PAGE = protected_page(
    routes.STRATEGIES, "Strategies", strategies_list, on_load=[StrategiesState.load]
)
DETAIL_PAGE = protected_page(
    routes.STRATEGY_DETAIL,
    "Strategy",
    strategy_detail,
    on_load=[StrategyDetailState.load, ExecutionState.load],
)

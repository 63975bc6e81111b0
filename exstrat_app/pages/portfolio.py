"""/portfolio: totals, allocation pie, the sortable positions table, "Create strategy" per row."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.i18n import N_
from exstrat_app.pages.components import (
    empty_state,
    error_callout,
    page_title,
    skeleton_rows,
    stat,
    table_frame,
)
from exstrat_app.pages.components.charts import (
    history_building,
    last_point_caption,
    range_selector,
    value_history_chart,
)
from exstrat_app.pages.components.phrases import Text, phrase
from exstrat_app.pages.components.tables import (
    LIGHT_TABLE_STYLE,
    TEXT_1,
    light_cell,
    light_header_cell,
    light_link,
    light_row,
    small_text,
)
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import (
    ACCENT,
    NOTICE_SCHEME,
    PHONE_HIDDEN_CELL,
    SIGN_SCHEMES,
    chart_color,
)
from exstrat_app.pages.views.export_buttons import portfolio_exports
from exstrat_app.pages.views.strategy_dialog import strategy_dialog
from exstrat_app.state.history import PortfolioHistoryState
from exstrat_app.state.portfolio import QUOTES, PortfolioState
from exstrat_app.state.strategy_dialog import StrategyDialogState

# Shown on every width; the others from 480 px up (phones get a summary line instead).
ALWAYS = ("asset", "value")
COLUMNS = (
    (T("Asset"), "asset"),
    (T("Quantity"), "quantity"),
    (T("Avg price"), "avgPrice"),
    (T("Price"), "price"),
    (T("Value"), "value"),
    (T("P&L %"), "pnlPct"),
)


def _header(label: Text, column: str) -> rx.Component:
    active = PortfolioState.sort_column == column
    return rx.table.column_header_cell(
        rx.button(
            label,
            rx.cond(active, rx.cond(PortfolioState.sort_desc, rx.icon("arrow_down", size=14),
                                    rx.icon("arrow_up", size=14))),
            variant="ghost",
            size="1",
            color_scheme=rx.cond(active, ACCENT, "gray"),
            on_click=PortfolioState.sort_by(column),
            aria_label=T("Sort by {column}", column=label),
            aria_sort=rx.cond(active, rx.cond(PortfolioState.sort_desc, "descending",
                                                "ascending"), "none"),
        ),
        white_space="nowrap",
        text_align="start" if column == "asset" else "end",
        display=None if column in ALWAYS else PHONE_HIDDEN_CELL,
    )  # fmt: skip


HISTORY_CAPTION = (("value", T("value")), ("invested", T("net invested")),
                   ("unrealized", T("unrealized")), ("realized", T("realized")))  # fmt: skip
ROWS_STYLE = {
    **LIGHT_TABLE_STYLE,
    # A P&L's colour by the sign the state gives ("1" gain, "-1" loss), set once for the table
    # instead of a colour scheme matched in every cell.
    **{f"& [data-sign='{sign}']": {"color": rx.color(scheme, 11)}
       for sign, scheme in SIGN_SCHEMES.items()},
}  # fmt: skip


def _unexplained(row: rx.Var[dict[str, str]]) -> rx.Component:
    """Rare (a balance the history does not explain): rendered only on the rows that have it."""
    return rx.cond(
        row["unexplained"] != "",
        rx.fragment(
            rx.tooltip(
                rx.badge(T("unexplained: {quantity}", quantity=row["unexplained"]),
                         color_scheme=NOTICE_SCHEME, size="1", variant="soft",
                         class_name="unexplained"),
                content=T("Live balances differ from what trades and transfers explain "
                          "(e.g. an airdrop or a reward the read endpoints do not show)."),
            ),
            rx.link(T("Add an opening position"), href=routes.asset_href(row["asset"])
                    + "?opening=1", size="1", class_name="add-opening"),
        ),
    )  # fmt: skip


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    """One position: plain cells with precomputed text (see tables.LIGHT_TABLE_STYLE)."""
    pnl = "rt-Text num"
    return light_row(
        light_header_cell(
            rx.el.div(
                light_link(row["asset"], to=routes.asset_href(row["asset"]),
                           class_name="rt-r-weight-bold"),
                small_text(row["quantity"], " @ ", row["avg_price"], class_name="num phone-only"),
                _unexplained(row),
                class_name="cell-stack",
            ),
        ),
        light_cell(row["quantity"], class_name="num cell-end phone-hidden"),
        light_cell(row["avg_price"], class_name="num cell-end phone-hidden"),
        light_cell(row["price"], class_name="num cell-end phone-hidden"),
        light_cell(
            rx.el.span(row["value"], class_name="rt-Text num"),
            rx.el.span(row["pnl_pct"], class_name=f"{TEXT_1} num phone-only",
                       data_sign=row["pnl_sign"]),
            class_name="cell-end",
        ),
        light_cell(rx.el.span(row["pnl_pct"], class_name=pnl, data_sign=row["pnl_sign"]),
                   class_name="cell-end phone-hidden"),
        light_cell(
            rx.cond(row["stable"] == "", rx.el.button(
                "+", rx.el.span(T("Strategy"), class_name="from-sm"),
                class_name="rt-reset rt-BaseButton rt-r-size-1 rt-variant-soft rt-Button "
                           "create-strategy",
                on_click=StrategyDialogState.open_for(row["asset"]),
                aria_label=T("Create strategy for {asset}", asset=row["asset"]),
            )),
            class_name="cell-end",
        ),
        class_name="position-row",
        data_asset=row["asset"],
    )  # fmt: skip


def _table() -> rx.Component:
    return rx.card(
        table_frame(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[_header(label, column) for label, column in COLUMNS],
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.cond(
                    PortfolioState.loaded,
                    rx.table.body(rx.foreach(PortfolioState.rows, _row)),
                    skeleton_rows(len(COLUMNS) + 1),
                ),
                size="2",
                width="100%",
                id="positions",
                style=ROWS_STYLE,
            )
        ),
        width="100%",
    )


def _chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(T("Allocation"), weight="bold"),
            rx.cond(
                PortfolioState.loaded,
                rx.flex(
                    rx.recharts.pie_chart(
                        rx.recharts.pie(
                            rx.foreach(PortfolioState.chart,
                                       lambda _, i: rx.recharts.cell(fill=chart_color(i))),
                            data=PortfolioState.chart,
                            data_key="value",
                            name_key="name",
                            inner_radius="55%",
                            outer_radius="90%",
                            is_animation_active=False,
                            stroke="none",
                        ),
                        width=180,
                        height=180,
                    ),
                    rx.vstack(
                        rx.foreach(
                            PortfolioState.chart,
                            lambda s, i: rx.hstack(
                                rx.box(width="10px", height="10px", border_radius="2px",
                                       background=chart_color(i)),
                                rx.text(s["name"], size="2", weight="medium"),
                                rx.text(s["share"], size="2", color_scheme="gray",
                                        class_name="num"),
                                align="center",
                                spacing="2",
                            ),
                        ),
                        spacing="1",
                    ),
                    align="center",
                    spacing="4",
                    wrap="wrap",
                ),
                rx.skeleton(height="180px", width="100%"),
            ),
            spacing="2",
            width="100%",
        ),
        flex="1 1 320px",
    )  # fmt: skip


def _history() -> rx.Component:
    """Value and net invested over time, with its range and the last day."""
    h = PortfolioHistoryState
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(T("Value over time"), weight="bold"),
                range_selector(h.range_, h.set_range, "history"),
                justify="between", align="center", width="100%", wrap="wrap", spacing="2",
            ),
            rx.cond(
                h.points.length() == 0,
                rx.cond(
                    h.building,
                    history_building(h.progress),
                    rx.cond(
                        h.loaded,
                        rx.text(T("No history yet."), size="2", color_scheme="gray"),
                        rx.skeleton(height="260px", width="100%"),
                    ),
                ),
                rx.vstack(
                    value_history_chart(h.points, h.unit),
                    last_point_caption(h.last, HISTORY_CAPTION, "history"),
                    rx.cond(h.gap_note != "", rx.text(h.gap_note, size="1", color_scheme="gray",
                                                      id="history-gaps")),
                    rx.text.span(h.points.length().to_string(), id="history-points",
                                 display="none"),
                    width="100%", spacing="1",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="value-history",
    )  # fmt: skip


def _total(key: str) -> rx.Var:
    """A total once loaded: the bare figure in a USD quote (named under the value), with the
    currency's sign in euros ("€14,000.00" / "14 000,00 €")."""
    t = PortfolioState.totals
    shown = rx.cond(PortfolioState.money_signed, t[f"{key}_money"], t[key])
    return rx.cond(PortfolioState.loaded, shown, "…")


def _totals() -> rx.Component:
    return rx.grid(
        stat(
            T("Total value"),
            _total("value"),
            rx.text(PortfolioState.quote, size="1", color_scheme="gray"),
        ),
        stat(
            T("Unrealized P&L"),
            _total("pnl"),
            rx.text(T("at the last prices"), size="1", color_scheme="gray"),
        ),
        stat(T("Realized P&L"), _total("realized")),
        stat(T("Assets"), PortfolioState.asset_count.to_string()),
        columns="2",
        spacing="3",
        flex="1 1 320px",
    )


def _no_accounts() -> rx.Component:
    return rx.card(
        empty_state(
            "plug",
            T("Connect your first exchange"),
            T("Add a read-only API key from Binance or Coinbase: exstrat imports your balances, "
              "trades and transfers and shows your positions, average prices and value here."),
            rx.link(rx.button(rx.icon("plus", size=16), T("Add an exchange"), size="3"),
                    href=routes.EXCHANGES),
        ),
        width="100%",
    )  # fmt: skip


def _no_positions() -> rx.Component:
    return rx.card(
        empty_state(
            "hourglass",
            T("No positions yet"),
            T("Your exchange is connected; positions appear here once the first sync is done."),
            rx.link(rx.button(T("See sync progress"), variant="soft"), href=routes.EXCHANGES),
        ),
        width="100%",
    )


def portfolio() -> rx.Component:
    # Leaving the page empties its rows (the server keeps them): coming back, the first
    # screen is drawn before the rest instead of every row at once from the saved state.
    return rx.fragment(
        rx.box(on_unmount=PortfolioState.leave, display="none"),
        page_title(
            T("Portfolio"),
            rx.segmented_control.root(
                *[rx.segmented_control.item(q, value=q) for q in QUOTES],
                value=PortfolioState.quote,
                on_change=PortfolioState.set_quote,
                size="1",
                aria_label=T("Quote currency"),
            ),
            rx.icon_button(
                rx.icon("refresh_cw", size=16),
                variant="soft",
                loading=PortfolioState.loading,
                on_click=PortfolioState.load,
                aria_label=T("Refresh"),
            ),
            subtitle=rx.text(
                phrase(N_("Last sync: {when}"),
                       when=rx.text.span(PortfolioState.last_sync, id="last-sync")),
                size="2", color_scheme="gray",
            ),
        ),
        error_callout(PortfolioState.error),
        rx.cond(
            PortfolioState.loaded & ~PortfolioState.has_accounts,
            _no_accounts(),
            rx.cond(
                PortfolioState.loaded & (PortfolioState.rows.length() == 0),
                _no_positions(),
                rx.vstack(
                    rx.flex(_totals(), _chart(), spacing="3", wrap="wrap", width="100%"),
                    _history(),
                    _table(),
                    spacing="4",
                    width="100%",
                ),
            ),
        ),
        rx.cond(PortfolioState.loaded & PortfolioState.has_accounts, portfolio_exports()),
        strategy_dialog(),
    )  # fmt: skip


PAGE = protected_page(
    routes.PORTFOLIO,
    "Portfolio",
    portfolio,
    on_load=[PortfolioState.load],  # which then loads the history (PortfolioHistoryState)
)

"""/tokens/[symbol]: position, P&L, price chart with the average and ladder targets, history."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import (
    error_callout,
    not_found,
    page_title,
    pager,
    pnl_text,
    stat,
    table_frame,
)
from exstrat_app.pages.components.charts import (
    last_point_caption,
    position_history_chart,
    range_selector,
)
from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import (
    AVERAGE_LABEL,
    AVERAGE_LINE,
    NOTICE_SCHEME,
    PHONE_HIDDEN_CELL,
    PRICE_LINE,
    TARGET_LABEL,
    TARGET_LINE,
)
from exstrat_app.pages.views.export_buttons import token_exports
from exstrat_app.pages.views.opening_dialog import opening_dialog
from exstrat_app.state.history import PositionHistoryState
from exstrat_app.state.token import TokenState as TS

POSITION_CAPTION = (("quantity", T("quantity")), ("value", T("value")),
                    ("avg", T("average price")))  # fmt: skip

# (header, the row's key): the key names the cell, the header is only shown.
TRADE_COLUMNS = ((T("When"), "when"), (T("Pair"), "symbol"), (T("Side"), "side"),
                 (T("Amount"), "amount"), (T("Price"), "price"), (T("Cost"), "cost"),
                 (T("Fee"), "fee"))  # fmt: skip
TRANSFER_COLUMNS = ((T("When"), "when"), (T("Type"), "type"), (T("Amount"), "amount"),
                    (T("Fee"), "fee"), (T("Status"), "status"))  # fmt: skip
NUMERIC = {"amount", "price", "cost", "fee"}
MOVEMENT_COLUMNS = ((T("When"), "when"), (T("Kind"), "label"), (T("Amount"), "amount"),
                    (T("Detail"), "detail"), (T("Account"), "account"))  # fmt: skip
PHONE_COLUMNS = {"when", "side", "type", "amount", "label"}  # the rest from 480 px up


def _movements() -> rx.Component:
    def row(item: rx.Var[dict[str, str]]) -> rx.Component:
        return rx.table.row(
            rx.table.cell(item["when"]),
            rx.table.cell(rx.badge(item["label"], variant="soft", size="1",
                                   class_name="kind-" + item["kind"])),
            rx.table.cell(item["amount"], text_align="end", class_name="num",
                          white_space="nowrap"),
            rx.table.cell(item["detail"], display=PHONE_HIDDEN_CELL),
            rx.table.cell(item["account"], display=PHONE_HIDDEN_CELL),
        )  # fmt: skip

    return rx.card(
        rx.heading(T("Movements"), size="4", margin_bottom="0.5em"),
        rx.cond(
            TS.movements.length() == 0,
            rx.text(T("No movements for this asset."), color_scheme="gray", size="2"),
            table_frame(
                rx.table.root(
                    rx.table.header(rx.table.row(*[
                        rx.table.column_header_cell(
                            label, text_align="end" if key == "amount" else "start",
                            display=None if key in PHONE_COLUMNS else PHONE_HIDDEN_CELL)
                        for label, key in MOVEMENT_COLUMNS
                    ])),
                    rx.table.body(rx.foreach(TS.movements, row)),
                    width="100%", size="1",
                )
            ),
        ),
        width="100%",
        id="movements",
    )  # fmt: skip


def _holdings() -> rx.Component:
    return rx.card(
        rx.heading(T("Where the coins sit"), size="4", margin_bottom="0.5em"),
        rx.cond(
            TS.holdings.length() == 0,
            rx.text(T("No balance of this asset on your accounts."), color_scheme="gray",
                    size="2"),
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(T("Account")),
                    rx.table.column_header_cell(T("Wallet")),
                    rx.table.column_header_cell(T("Quantity"), text_align="end"))),
                rx.table.body(rx.foreach(TS.holdings, lambda h: rx.table.row(
                    rx.table.cell(h["account"]), rx.table.cell(h["wallet"]),
                    rx.table.cell(h["quantity"], text_align="end", class_name="num")))),
                width="100%", size="1",
            ),
        ),
        width="100%",
        id="holdings",
    )  # fmt: skip


def _unvalued() -> rx.Component:
    return rx.cond(
        TS.unvalued.length() > 0,
        rx.callout(
            rx.vstack(
                rx.foreach(TS.unvalued, lambda text: rx.text(text, size="2")),
                rx.text(T("They count at 0 in the cost and P&L; every other figure is exact."),
                        size="1", color_scheme="gray"),
                spacing="1",
            ),
            icon="info", color_scheme=NOTICE_SCHEME, id="unvalued", width="100%",
        ),
    )  # fmt: skip


def _history_table(
    title: Text,
    empty: Text,
    columns: tuple[tuple[Text, str], ...],
    rows: rx.Var,
    pager_: rx.Component,
    kind: str,
) -> rx.Component:
    def row(item: rx.Var[dict[str, str]]) -> rx.Component:
        return rx.table.row(
            *[
                rx.table.cell(item[key], white_space="nowrap" if key in NUMERIC else "normal",
                              text_align="end" if key in NUMERIC else "start",
                              class_name="num" if key in NUMERIC else "",
                              display=None if key in PHONE_COLUMNS else PHONE_HIDDEN_CELL)
                for _, key in columns
            ],
            class_name=f"{kind}-row",
        )  # fmt: skip

    return rx.card(
        rx.heading(title, size="4", margin_bottom="0.5em"),
        rx.cond(
            rows.length() == 0,
            rx.text(empty, color_scheme="gray", size="2"),
            rx.vstack(
                table_frame(
                    rx.table.root(
                        rx.table.header(rx.table.row(*[
                            rx.table.column_header_cell(
                                label, text_align="end" if key in NUMERIC else "start",
                                display=None if key in PHONE_COLUMNS else PHONE_HIDDEN_CELL)
                            for label, key in columns
                        ])),
                        rx.table.body(rx.foreach(rows, row)),
                        width="100%", size="1",
                    )
                ),
                pager_,
                width="100%",
            ),
        ),
        width="100%",
        id=f"{kind}s",
    )  # fmt: skip


def _chart() -> rx.Component:
    return rx.card(
        rx.heading(T("Price ({quote}, daily close)", quote=TS.chart_quote), size="4",
                   margin_bottom="0.5em"),
        rx.cond(
            TS.chart.length() == 0,
            rx.text(T("No price history available."), color_scheme="gray", size="2"),
            rx.recharts.line_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="day", min_tick_gap=24, tick_size=4),
                rx.recharts.y_axis(domain=["auto", "auto"], width=64, type_="number"),
                rx.recharts.tooltip(),
                rx.recharts.line(data_key="close", stroke=PRICE_LINE, dot=False,
                                 stroke_width=2, is_animation_active=False, type_="monotone"),
                rx.cond(
                    TS.avg_line != "",
                    rx.recharts.reference_line(
                        rx.recharts.label(value=T("average"), position="insideBottomLeft",
                                          fill=AVERAGE_LABEL, font_size=11),
                        y=TS.avg_line, stroke=AVERAGE_LINE, stroke_dasharray="4 4",
                        if_overflow="extendDomain",
                    ),
                ),
                rx.foreach(
                    TS.targets,
                    lambda t: rx.recharts.reference_line(
                        rx.recharts.label(value=t["label"], position="insideTopLeft",
                                          fill=TARGET_LABEL, font_size=11),
                        y=t["price"], stroke=TARGET_LINE, stroke_dasharray="2 3",
                        if_overflow="extendDomain",
                    ),
                ),
                data=TS.chart,
                width="100%",
                height=280,
                margin={"top": 10, "right": 10, "left": 0, "bottom": 0},
            ),
        ),
        width="100%",
        id="price-chart",
    )  # fmt: skip


def _position_chart() -> rx.Component:
    """The position's value and its average price over time, beside the price."""
    h = PositionHistoryState
    return rx.card(
        rx.flex(
            rx.heading(T("Position over time"), size="4"),
            range_selector(h.range_, h.set_range, "position"),
            justify="between", align="center", width="100%", wrap="wrap", spacing="2",
            margin_bottom="0.5em",
        ),
        rx.cond(
            h.points.length() == 0,
            rx.text(T("No position history yet."), color_scheme="gray", size="2"),
            rx.vstack(
                position_history_chart(h.points, h.unit),
                last_point_caption(h.last, POSITION_CAPTION, "position"),
                width="100%", spacing="1",
            ),
        ),
        width="100%",
        id="position-history",
    )  # fmt: skip


def _money(key: str) -> rx.Var:
    """A summary figure: bare in USDT (as the page always showed it), with the currency's
    sign in euros ("€2,000.00" / "2 000,00 €")."""
    return rx.cond(TS.money_signed, TS.summary[f"{key}_money"], TS.summary[key])


def _body() -> rx.Component:
    s = TS.summary
    return rx.vstack(
        page_title(s["asset"], rx.link(rx.button(T("← Portfolio"), variant="soft", size="1"),
                                       href=routes.PORTFOLIO)),
        rx.flex(
            stat(T("Quantity"), s["quantity"],
                 rx.cond(s["unexplained"] != "",
                         rx.vstack(
                             rx.badge(T("unexplained: {quantity}", quantity=s["unexplained"]),
                                      color_scheme=NOTICE_SCHEME, size="1",
                                      class_name="unexplained"),
                             rx.button(T("Add an opening position"), size="1", variant="soft",
                                       on_click=TS.open_opening, id="add-opening"),
                             spacing="1"))),
            stat(T("Average buy price"), _money("avg_price")),
            stat(T("Price"), _money("price")),
            stat(T("Value"), _money("value")),
            stat(T("Unrealized P&L"), _money("unrealized"),
                 pnl_text(s["pnl_pct"], s["unrealized_sign"], size="1")),
            stat(T("Realized P&L"), _money("realized")),
            rx.box(stat(T("Income"), _money("income")), id="income-stat", display="contents"),
            spacing="3", wrap="wrap", width="100%",
        ),
        _unvalued(),
        rx.grid(
            _chart(),
            _position_chart(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _holdings(),
        _movements(),
        _history_table(T("Trades"), T("No trades for this asset."), TRADE_COLUMNS, TS.trades,
                       pager(TS.trades_page, TS.trades_pages, TS.trades_to(TS.trades_page - 1),
                             TS.trades_to(TS.trades_page + 1), "trades", T("trades")),
                       "trade"),
        token_exports(s["asset"]),
        _history_table(T("Transfers"), T("No transfers for this asset."), TRANSFER_COLUMNS,
                       TS.transfers,
                       pager(TS.transfers_page, TS.transfers_pages,
                             TS.transfers_to(TS.transfers_page - 1),
                             TS.transfers_to(TS.transfers_page + 1), "transfers",
                             T("transfers")), "transfer"),
        spacing="4",
        width="100%",
    )  # fmt: skip


def token() -> rx.Component:
    return rx.fragment(
        error_callout(TS.error),
        opening_dialog(),
        rx.cond(
            TS.found,
            _body(),
            rx.cond(
                TS.loading,
                rx.vstack(rx.skeleton(height="40px", width="40%"),
                          rx.skeleton(height="100px", width="100%"),
                          rx.skeleton(height="280px", width="100%"), width="100%"),
                rx.card(not_found(T("Asset not found"),
                                  T("This asset does not exist, or it is not yours."),
                                  routes.PORTFOLIO, T("Back to the portfolio")),
                        width="100%", id="not-found"),
            ),
        ),
    )  # fmt: skip


PAGE = protected_page(routes.ASSET_DETAIL, "Token", token, on_load=[TS.open_page])

"""/exchanges: connect a read-only key (tested at once), the accounts with live sync progress,
each with its optional trading key (issue 15)."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import (
    as_number,
    empty_state,
    error_callout,
    field_error,
    page_title,
)
from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import (
    ACCOUNT_STATUS_SCHEMES,
    DANGER_SCHEME,
    ERROR_SCHEME,
    NOTICE_SCHEME,
    SUCCESS_SCHEME,
    scheme_of,
)
from exstrat_app.pages.views.trading_key import trading_key_section
from exstrat_app.state.exchanges import EXCHANGES
from exstrat_app.state.exchanges import ExchangesState as X
from exstrat_app.state.trading_key import TradingKeyState as TK


def _field(label: Text, control: rx.Component, error: rx.Component | None = None) -> rx.Component:
    return rx.vstack(
        rx.text(label, as_="label", size="2", weight="medium"),
        control,
        error if error is not None else rx.fragment(),
        spacing="1",
        width="100%",
    )


def _add_form() -> rx.Component:
    return rx.card(
        rx.heading(T("Connect an exchange"), size="4"),
        rx.text(
            T("Create an API key with reading rights only: exstrat refuses keys that can trade "
              "or withdraw. The secret is encrypted at rest and never shown again."),
            size="2", color_scheme="gray", margin_y="0.5em",
        ),
        rx.form(
            rx.vstack(
                _field(T("Exchange"), rx.select.root(
                    rx.select.trigger(width="100%", id="exchange-select"),
                    rx.select.content(*[rx.select.item(label, value=key)
                                        for key, label in EXCHANGES.items()]),
                    value=X.exchange, on_change=X.set_exchange,
                )),
                _field(T("API key"), rx.input(name="api_key", required=True, auto_complete="off",
                                           spell_check=False, width="100%", id="api-key"),
                       field_error(X.error_for_key)),
                _field(T("API secret"), rx.input(name="api_secret", type="password", required=True,
                                              auto_complete="new-password", width="100%",
                                              id="api-secret"),
                       field_error(X.error_for_secret)),
                rx.cond(X.needs_passphrase,
                        _field(T("Passphrase"), rx.input(name="api_pass", type="password",
                                                      auto_complete="off", width="100%"))),
                _field(T("Nickname (optional)"), rx.input(name="nickname", max_length=100,
                                                          placeholder=T("e.g. Binance main"),
                                                       width="100%", id="nickname")),
                error_callout(X.add_error),
                rx.cond(X.add_result != "",
                        rx.callout(X.add_result, icon="circle_check", color_scheme=SUCCESS_SCHEME,
                                   width="100%", id="add-result")),
                rx.button(rx.icon("plug", size=16), T("Test and connect"), type="submit",
                          loading=X.adding, id="connect"),
                spacing="3",
                width="100%",
            ),
            on_submit=X.add,
            reset_on_submit=True,
            width="100%",
        ),
        width="100%",
        max_width=["100%", "100%", "420px"],
        flex_shrink="0",
    )  # fmt: skip


def _account(a: rx.Var[dict[str, str]]) -> rx.Component:
    syncing = (a["status"] == "syncing") | (a["status"] == "queued")
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.text(a["nickname"], weight="bold"),
                    rx.text(a["exchange"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.cond(a["demo"] != "", rx.badge(T("Demo · simulated exchange"),
                                                  color_scheme=NOTICE_SCHEME,
                                                  class_name="demo-badge")),
                rx.badge(a["status_text"],
                         color_scheme=scheme_of(a["status"], ACCOUNT_STATUS_SCHEMES),
                         class_name="account-status"),
                width="100%",
                align="center",
            ),
            rx.cond(
                syncing,
                rx.vstack(
                    rx.progress(value=as_number(a["progress"]), max=100, width="100%",
                                class_name="sync-progress"),
                    rx.text(T("Syncing: {progress}", progress=a["progress_text"]), size="1",
                            color_scheme="gray"),
                    width="100%", spacing="1",
                ),
                rx.text(T("Last sync: {when}", when=a["last_sync"]), size="1", color_scheme="gray",
                        class_name="last-sync"),
            ),
            rx.cond(a["last_error"] != "",
                    rx.callout(a["last_error"], icon="triangle_alert", color_scheme=ERROR_SCHEME,
                               size="1", width="100%")),
            rx.hstack(
                rx.button(rx.icon("refresh_cw", size=14), T("Sync now"), size="1", variant="soft",
                          on_click=X.sync_now(a["id"]), disabled=syncing, class_name="sync-now"),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button(rx.icon("trash_2", size=14), T("Delete"),
                                                      size="1", variant="soft",
                                                      color_scheme=DANGER_SCHEME)),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(T("Remove this exchange account?")),
                        rx.alert_dialog.description(
                            T("Its key, balances, trades and transfers are deleted from "
                              "exstrat. Nothing changes on the exchange.")),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button(T("Keep it"), variant="soft",
                                                             color_scheme="gray")),
                            rx.alert_dialog.action(rx.button(T("Remove"),
                                                             color_scheme=DANGER_SCHEME,
                                                             on_click=X.delete(a["id"]))),
                            justify="end", margin_top="1em",
                        ),
                    ),
                ),
                spacing="2",
            ),
            trading_key_section(a["id"]),
            spacing="3",
            width="100%",
        ),
        width="100%",
        class_name="account-card",
    )  # fmt: skip


def _accounts() -> rx.Component:
    return rx.vstack(
        rx.heading(T("Your accounts"), size="4"),
        rx.cond(
            ~X.loaded,
            rx.vstack(rx.skeleton(height="110px", width="100%"),
                      rx.skeleton(height="110px", width="100%"), width="100%"),
            rx.cond(
                X.accounts.length() == 0,
                rx.card(empty_state("plug", T("No exchange connected"),
                                    T("Connect one with the form: its balances and history "
                                      "are imported right away.")), width="100%"),
                rx.vstack(rx.foreach(X.accounts, _account), width="100%", spacing="3"),
            ),
        ),
        width="100%",
        spacing="3",
    )  # fmt: skip


def exchanges() -> rx.Component:
    return rx.fragment(
        page_title(T("Exchanges")),
        error_callout(X.error),
        error_callout(TK.load_error),
        rx.flex(
            _add_form(),
            _accounts(),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
            align="start",
        ),
    )


PAGE = protected_page(routes.EXCHANGES, "Exchanges", exchanges, on_load=[X.load, TK.load])

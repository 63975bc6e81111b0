"""The Account page's "Take your data with you" and "Delete your account" cards
(state/account_data.py; what is in the zip and what deleting removes: docs/account-data.md)."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import DANGER_SCHEME, NOTICE_SCHEME
from exstrat_app.state.account_data import CONFIRM_WORD
from exstrat_app.state.account_data import AccountDataState as S

DELETED_ITEMS = (
    T("your exchange accounts and their API keys (read-only and trading keys)"),
    T(
        "the trades, transfers, balances and positions synced from them, your opening "
        "positions and the value history"
    ),
    T("your strategies, their steps, alerts, orders and the orders' audit trail"),
    T("your alert channels, API tokens, two-factor set-up and sign-in sessions"),
)


def data_export_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Take your data with you"), size="4"),
            rx.text(T("One zip with everything exstrat stores about you: a JSON file per kind "
                      "of data (exchange accounts, trades, transfers, balances, positions, "
                      "strategies and steps, alerts, orders, channels, value history…) and the "
                      "portfolio's CSV files. Amounts are exact, times in UTC. Secrets stay "
                      "out: no password, no API key or secret, no channel URL."),
                    size="2", color_scheme="gray"),
            rx.button(rx.icon("download", size=16), T("Download all my data"),
                      on_click=S.download_all, variant="soft", id="download-all-data"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="account-data-export",
    )  # fmt: skip


def _explanation() -> rx.Component:
    return rx.vstack(
        rx.text(T("Deleting your account removes, at once and for good:"), size="2"),
        rx.unordered_list(*[rx.list_item(rx.text(item, size="2")) for item in DELETED_ITEMS]),
        rx.callout(
            T("exstrat forgets your exchange API keys, but they still exist at the exchange: "
              "delete them there too. Orders left open on the exchange stay open until you "
              "cancel them. Nothing can be brought back: download your data first if you "
              "want to keep it."),
            icon="triangle_alert", color_scheme=NOTICE_SCHEME, size="1", width="100%",
        ),
        spacing="2",
        width="100%",
    )  # fmt: skip


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.input(name="password", type="password", required=True,
                     auto_complete="current-password", placeholder=T("Your password"),
                     width="20em", max_width="100%", id="delete-password"),
            field_error(S.password_error),
            rx.cond(
                S.two_factor,
                rx.input(name="code", required=True, auto_complete="one-time-code",
                         max_length=64, placeholder=T("Code from your app, or a recovery code"),
                         width="20em", max_width="100%", id="delete-code"),
            ),
            field_error(S.code_error),
            # The word itself stays as it is in every language: the state compares it.
            rx.text(T("Type {word} to confirm:", word=CONFIRM_WORD), size="2",
                    color_scheme="gray"),
            rx.input(name="confirm", required=True, auto_complete="off",
                     placeholder=CONFIRM_WORD, width="12em", id="delete-confirm"),
            field_error(S.confirm_error),
            rx.button(rx.icon("trash_2", size=16), T("Delete my account"), type="submit",
                      color_scheme=DANGER_SCHEME, loading=S.busy, id="delete-account"),
            spacing="2",
        ),
        on_submit=S.delete_account,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def delete_account_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Delete your account"), size="4"),
            _explanation(),
            error_callout(S.error),
            _form(),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="account-delete",
        on_mount=S.load,
    )

"""The "Trading key (optional)" section of each account card on /exchanges: its status, the
form that adds or replaces it and the one that removes it, both asking for the password."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components.phrases import label_of
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import DANGER_SCHEME, ERROR_SCHEME, SUCCESS_SCHEME, scheme_of
from exstrat_app.state.trading_key import TradingKeyState as TK

KEY_SCHEMES = {"ok": SUCCESS_SCHEME, "refused": ERROR_SCHEME}
# The key's status (the state's word, also the badge's colour key) in the reader's words.
KEY_STATUS = {"none": T("none"), "ok": T("ok"), "refused": T("refused")}
# The same words as state/trading_key.py's HELP, written here so the page shows them in
# the reader's language.
HELP = T(
    "Optional, for placing orders (confirm and auto modes). Create a second key restricted "
    "to this server's IP address that may trade spot ('Enable Spot & Margin Trading' on "
    "Binance, 'Trade' on Coinbase) and never withdraw or transfer: exstrat refuses any other. "
    "The secret is encrypted at rest and never shown again."
)


def _status(account_id: rx.Var[str]) -> rx.Component:
    key = TK.keys.get(account_id, {"status": "none", "detail": ""})
    status = key.to(dict[str, str])["status"].to(str)
    return rx.hstack(
        rx.text(T("Status:"), size="1", color_scheme="gray"),
        rx.badge(
            label_of(status, KEY_STATUS),
            color_scheme=scheme_of(status, KEY_SCHEMES),
            class_name="trading-key-status",
        ),
        rx.text(key.to(dict[str, str])["detail"].to(str), size="1", color_scheme="gray",
                class_name="trading-key-detail"),
        align="center",
        spacing="2",
        wrap="wrap",
    )  # fmt: skip


def _password(name: str, class_name: str) -> rx.Component:
    return rx.input(name=name, type="password", placeholder=T("Your exstrat password"),
                    required=True,
                    auto_complete="current-password", width="100%", size="1",
                    class_name=class_name)  # fmt: skip


def _error(account_id: rx.Var[str]) -> rx.Component:
    error = TK.errors.get(account_id, "").to(str)
    return rx.cond(error != "",
                   rx.callout(error, icon="triangle_alert", color_scheme=ERROR_SCHEME, size="1",
                              width="100%", class_name="trading-key-error"))  # fmt: skip


def _form(account_id: rx.Var[str]) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="account_id", value=account_id),
            rx.input(name="tk_api_key", placeholder=T("Trading API key"), required=True,
                     auto_complete="off", spell_check=False, width="100%", size="1",
                     class_name="trading-key-input"),
            rx.input(name="tk_api_secret", type="password", placeholder=T("Trading API secret"),
                     required=True, auto_complete="new-password", width="100%", size="1",
                     class_name="trading-secret-input"),
            _password("tk_password", "trading-key-password"),
            rx.button(rx.icon("key_round", size=14), T("Check and save"), type="submit", size="1",
                      loading=TK.saving == account_id, class_name="trading-key-save"),
            spacing="2",
            width="100%",
        ),
        on_submit=TK.save,
        reset_on_submit=True,
        width="100%",
        class_name="trading-key-form",
    )  # fmt: skip


def _remove_form(account_id: rx.Var[str]) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="account_id", value=account_id),
            rx.box(_password("password", "trading-key-remove-password"), flex_grow="1"),
            rx.button(rx.icon("trash_2", size=14), T("Remove trading key"), type="submit",
                      size="1", variant="soft", color_scheme=DANGER_SCHEME,
                      class_name="trading-key-remove"),
            spacing="2",
            align="center",
            width="100%",
        ),
        on_submit=TK.remove,
        reset_on_submit=True,
        width="100%",
        class_name="trading-key-remove-form",
    )  # fmt: skip


def trading_key_section(account_id: rx.Var[str]) -> rx.Component:
    status = TK.keys.get(account_id, {"status": "none"}).to(dict[str, str])["status"].to(str)
    return rx.vstack(
        rx.separator(size="4"),
        rx.text(T("Trading key (optional)"), size="2", weight="medium"),
        rx.text(HELP, size="1", color_scheme="gray"),
        _status(account_id),
        _error(account_id),
        _form(account_id),
        rx.cond(status != "none", _remove_form(account_id)),
        spacing="2",
        width="100%",
        class_name="trading-key",
    )  # fmt: skip

"""The "Download CSV" buttons (issue 16): the files of /api/export, built on the server."""

from __future__ import annotations

from typing import Any

import reflex as rx

from exstrat_app.pages.components import error_callout
from exstrat_app.pages.components.phrases import Text
from exstrat_app.pages.components.text import T
from exstrat_app.state.export import ALL, ExportState

LABELS = (
    ("positions", T("Positions")),
    ("history", T("Value history")),
    ("trades", T("Trades")),
    ("transfers", T("Transfers")),
)


def _button(label: Text, event: Any, element_id: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14),
        label,
        size="1",
        variant="soft",
        on_click=event,
        id=element_id,
    )


def portfolio_exports() -> rx.Component:
    """One button per export of every account (the portfolio page)."""
    return rx.vstack(
        error_callout(ExportState.error),
        rx.flex(
            rx.text(T("Download CSV:"), size="2", color_scheme="gray"),
            *[
                _button(label, ExportState.download(kind), f"download-{kind}")
                for kind, label in LABELS[:2]
            ],
            _account_picker(),
            *[
                _button(label, ExportState.download(kind), f"download-{kind}")
                for kind, label in LABELS[2:]
            ],
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        width="100%",
        id="csv-downloads",
        on_mount=ExportState.load_accounts,
    )


def _account_picker() -> rx.Component:
    """Which account's trades and transfers (positions and history cover every account)."""
    return rx.select.root(
        rx.select.trigger(
            aria_label=T("Account of the trades and transfers"), id="download-account"
        ),
        rx.select.content(
            rx.select.item(T("All accounts"), value=ALL),
            rx.foreach(
                ExportState.accounts,
                lambda a: rx.select.item(a["label"], value=a["value"]),
            ),
        ),
        value=ExportState.account,
        on_change=ExportState.set_account,
        size="1",
    )


def token_exports(asset: rx.Var[str]) -> rx.Component:
    """The token page's trades as CSV."""
    return rx.vstack(
        error_callout(ExportState.error),
        _button(
            T("Download CSV"), ExportState.download_token_trades(asset), "download-token-trades"
        ),
        width="100%",
    )

"""The "Personal API tokens" card of /security: make a token (name, scope, expiry), see it
once with a copy button and "Done", and the list of tokens with Revoke."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.styles import DANGER_SCHEME, SUCCESS_SCHEME
from exstrat_app.state.api_tokens import COPY_TOKEN_SCRIPT, TOKEN_ELEMENT
from exstrat_app.state.api_tokens import ApiTokensState as T

HELP = (
    "For your own scripts: send it to /api in the header Authorization: Bearer <token>. A "
    "read token only reads; a write token may also change your portfolio, strategies, openings and "
    "notifications. No token can manage your account, its security, exchange keys or orders."
)


def _created() -> rx.Component:
    return rx.callout.root(
        rx.callout.text(
            rx.text("Copy your new token now: it is not shown again.", weight="medium"),
            rx.hstack(
                # Filled by script once (state/api_tokens.py): the token is in no state var.
                rx.code("", id=TOKEN_ELEMENT, size="2", style={"word_break": "break-all"}),
                rx.button(rx.icon("copy", size=14), "Copy", size="1", variant="soft",
                          on_click=rx.call_script(COPY_TOKEN_SCRIPT), id="api-token-copy"),
                align="center", wrap="wrap", margin_y="0.75em",
            ),
            rx.button("Done", on_click=T.done, size="2", id="api-token-done"),
        ),
        color_scheme=SUCCESS_SCHEME,
        width="100%",
        id="api-token-created",
    )  # fmt: skip


def _form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(
                rx.input(name="name", placeholder="Name, e.g. backup script", required=True,
                         max_length=100, width="16em", id="api-token-name"),
                field_error(T.name_error),
                spacing="1",
            ),
            rx.select(["read", "write"], name="scope", default_value="read",
                      id="api-token-scope"),
            rx.vstack(
                rx.input(name="days", type="number", min=1, max=365, default_value="90",
                         placeholder="never", width="8em", id="api-token-days",
                         title="Days until it expires (1-365); empty: never"),
                field_error(T.days_error),
                spacing="1",
            ),
            rx.button(rx.icon("key_round", size=16), "Create token", type="submit",
                      loading=T.busy, id="api-token-create"),
            align="start", wrap="wrap", spacing="2",
        ),
        rx.text("Expires after the number of days (1-365); leave it empty for a token that "
                "never expires.", size="1", color_scheme="gray", margin_top="0.25em"),
        on_submit=T.create,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def _token(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(row["name"], weight="medium", size="2"),
                rx.badge(row["scope"], color_scheme=rx.cond(row["scope"] == "write",
                                                             "orange", "gray")),
                rx.code(row["hint"], size="1", class_name="api-token-hint"),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.text("made ", row["created"], " · expires ", row["expires"], " · last used ",
                    row["last_used"], size="1", color_scheme="gray"),
            spacing="1",
            flex_grow="1",
            min_width="0",
        ),
        rx.button("Revoke", size="1", variant="soft", color_scheme=DANGER_SCHEME,
                  loading=T.busy, on_click=T.revoke(row["id"]), class_name="api-token-revoke"),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.5em",
        class_name="api-token-row",
    )  # fmt: skip


def api_tokens_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Personal API tokens", size="4"),
            rx.text(HELP, size="2", color_scheme="gray"),
            error_callout(T.error),
            rx.cond(T.token_shown, _created()),
            _form(),
            rx.cond(
                T.tokens.length() > 0,
                rx.vstack(rx.foreach(T.tokens, _token), spacing="0", width="100%",
                          id="api-token-list"),
                rx.text("No tokens yet.", size="2", color_scheme="gray",
                        id="api-token-none"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="api-tokens-card",
    )  # fmt: skip

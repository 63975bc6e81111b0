"""The "Personal API tokens" card of /security: make a token (name, scope, expiry), see it
once with a copy button and "Done", and the list of tokens with Revoke."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout, field_error
from exstrat_app.pages.components.phrases import label_of
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import DANGER_SCHEME, SUCCESS_SCHEME
from exstrat_app.state.api_tokens import COPY_TOKEN_SCRIPT, TOKEN_ELEMENT
from exstrat_app.state.api_tokens import ApiTokensState as S

HELP = T(
    "For your own scripts: send it to /api in the header Authorization: Bearer <token>. A "
    "read token only reads; a write token may also change your portfolio, strategies, openings and "
    "notifications. No token can manage your account, its security, exchange keys or orders."
)
SCOPES = {"read": T("read"), "write": T("write")}


def _created() -> rx.Component:
    return rx.callout.root(
        rx.callout.text(
            rx.text(T("Copy your new token now: it is not shown again."), weight="medium"),
            rx.hstack(
                # Filled by script once (state/api_tokens.py): the token is in no state var.
                rx.code("", id=TOKEN_ELEMENT, size="2", style={"word_break": "break-all"}),
                rx.button(rx.icon("copy", size=14), T("Copy"), size="1", variant="soft",
                          on_click=rx.call_script(COPY_TOKEN_SCRIPT), id="api-token-copy"),
                align="center", wrap="wrap", margin_y="0.75em",
            ),
            rx.button(T("Done"), on_click=S.done, size="2", id="api-token-done"),
        ),
        color_scheme=SUCCESS_SCHEME,
        width="100%",
        id="api-token-created",
    )  # fmt: skip


def _form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(
                rx.input(name="name", placeholder=T("Name, e.g. backup script"), required=True,
                         max_length=100, width="16em", id="api-token-name"),
                field_error(S.name_error),
                spacing="1",
            ),
            rx.select.root(
                rx.select.trigger(id="api-token-scope", aria_label=T("Scope")),
                rx.select.content(*[rx.select.item(label, value=scope)
                                    for scope, label in SCOPES.items()]),
                name="scope", default_value="read",
            ),
            rx.vstack(
                rx.input(name="days", type="number", min=1, max=365, default_value="90",
                         placeholder=T("never"), width="8em", id="api-token-days",
                         title=T("Days until it expires (1-365); empty: never")),
                field_error(S.days_error),
                spacing="1",
            ),
            rx.button(rx.icon("key_round", size=16), T("Create token"), type="submit",
                      loading=S.busy, id="api-token-create"),
            align="start", wrap="wrap", spacing="2",
        ),
        rx.text(T("Expires after the number of days (1-365); leave it empty for a token "
                  "that never expires."), size="1", color_scheme="gray", margin_top="0.25em"),
        on_submit=S.create,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def _token(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(row["name"], weight="medium", size="2"),
                rx.badge(label_of(row["scope"], SCOPES),
                         color_scheme=rx.cond(row["scope"] == "write", "orange", "gray")),
                rx.code(row["hint"], size="1", class_name="api-token-hint"),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.text(T("made {created} · expires {expires} · last used {last_used}",
                      created=row["created"], expires=row["expires"],
                      last_used=row["last_used"]), size="1", color_scheme="gray"),
            spacing="1",
            flex_grow="1",
            min_width="0",
        ),
        rx.button(T("Revoke"), size="1", variant="soft", color_scheme=DANGER_SCHEME,
                  loading=S.busy, on_click=S.revoke(row["id"]), class_name="api-token-revoke"),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.5em",
        class_name="api-token-row",
    )  # fmt: skip


def api_tokens_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Personal API tokens"), size="4"),
            rx.text(HELP, size="2", color_scheme="gray"),
            error_callout(S.error),
            rx.cond(S.token_shown, _created()),
            _form(),
            rx.cond(
                S.tokens.length() > 0,
                rx.vstack(rx.foreach(S.tokens, _token), spacing="0", width="100%",
                          id="api-token-list"),
                rx.text(T("No tokens yet."), size="2", color_scheme="gray",
                        id="api-token-none"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="api-tokens-card",
    )  # fmt: skip

"""/channels: where alerts go besides the tab and the inbox: this browser's web push, and
Apprise URLs (Telegram, Discord, Slack, ntfy, Gotify, Matrix, Pushover, JSON webhooks, ...)."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components import error_callout, field_error, page_title
from exstrat_app.pages.components.text import T
from exstrat_app.pages.site import protected_page
from exstrat_app.pages.styles import DANGER_SCHEME, SUCCESS_SCHEME
from exstrat_app.state.channels import LABEL_MAX_CHARS, URL_MAX_CHARS
from exstrat_app.state.channels import ChannelsState as S


def _test_result(row: rx.Var) -> rx.Component:
    scheme = rx.match(
        row["test_state"], ("sent", SUCCESS_SCHEME), ("failed", DANGER_SCHEME), "gray"
    )
    return rx.cond(
        row["test_state"] != "",
        rx.tooltip(
            rx.badge(row["test_words"], color_scheme=scheme, variant="soft",
                     class_name="channel-test-state", data_state=row["test_state"]),
            content=rx.cond(row["test_message"] != "", row["test_message"], row["test_words"]),
        ),
    )  # fmt: skip


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(
            rx.text(row["label"], weight="medium"),
            _test_result(row),
            rx.cond(row["test_state"] == "failed",
                    rx.text(row["test_message"], size="1", color_scheme=DANGER_SCHEME,
                            class_name="channel-test-message")),
            spacing="1",
        )),
        rx.table.cell(rx.badge(row["kind"], variant="soft")),
        rx.table.cell(rx.code(row["hint"], size="1")),
        rx.table.cell(rx.text(row["added"], size="1", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                rx.button(rx.icon("send", size=14), T("Send a test"), size="1", variant="soft",
                          on_click=S.send_test(row["id"]), loading=S.busy,
                          disabled=row["test_state"] == "queued", class_name="channel-test"),
                rx.button(rx.icon("trash_2", size=14), T("Remove"), size="1", variant="ghost",
                          color_scheme=DANGER_SCHEME, on_click=S.remove(row["id"]),
                          class_name="channel-remove"),
                spacing="2",
            )
        ),
        class_name="channel-row",
    )  # fmt: skip


def _list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(T("Channel")),
                rx.table.column_header_cell(T("Kind")),
                rx.table.column_header_cell(T("Where")),
                rx.table.column_header_cell(T("Added")),
                rx.table.column_header_cell(""),
            )),
            rx.table.body(rx.foreach(S.rows, _row)),
            width="100%",
            id="channels-table",
        ),
        rx.text(T("No channel yet: alerts reach this site's bell and your email only."),
                size="2", color_scheme="gray", id="channels-empty"),
    )  # fmt: skip


def _web_push() -> rx.Component:
    return rx.vstack(
        rx.heading(T("Web push"), size="4"),
        rx.text(T("Alerts reach this browser even with every tab closed (on a phone: add the "
                  "site to the home screen first). A click opens the strategy."),
                size="2", color_scheme="gray"),
        rx.cond(
            S.push_state == "subscribed",
            rx.badge(T("On for this browser"), color_scheme=SUCCESS_SCHEME, id="push-on"),
            rx.button(rx.icon("bell_plus", size=16), T("Turn on web push for this browser"),
                      on_click=S.subscribe_push, disabled=S.push_state == "unsupported",
                      id="push-subscribe"),
        ),
        rx.cond(S.push_message != "", rx.text(S.push_message, size="2", id="push-message")),
        spacing="3",
        width="100%",
    )  # fmt: skip


def _apprise_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(T("Add an Apprise URL"), size="4"),
            rx.text(T("One URL per service, e.g. tgram://bot-token/chat-id, ntfy://topic, "
                      "discord://webhook-id/token, json://host/path. It holds the service's "
                      "token: it is stored sealed and never shown again. Addresses inside this "
                      "server's network are refused unless the instance's owner allows them."),
                    size="2", color_scheme="gray"),
            # A password input: the URL is not echoed on screen nor kept by the browser.
            rx.input(name="url", type="password", required=True, auto_complete="off",
                     placeholder="tgram://…", max_length=URL_MAX_CHARS, width="100%",
                     id="channel-url"),
            field_error(S.url_error),
            rx.input(name="label", placeholder=T("Label (optional), e.g. My phone"),
                     max_length=LABEL_MAX_CHARS, width="100%", id="channel-label"),
            field_error(S.label_error),
            rx.button(rx.icon("plus", size=16), T("Add channel"), type="submit", loading=S.busy,
                      id="channel-add"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.add,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def channels() -> rx.Component:
    return rx.fragment(
        page_title(T("Alert channels")),
        rx.vstack(
            error_callout(S.error),
            rx.cond(S.notice != "", rx.callout(S.notice, icon="circle_check",
                                               color_scheme=SUCCESS_SCHEME, width="100%",
                                               id="channels-notice")),
            rx.card(_list(), width="100%"),
            rx.card(_web_push(), width="100%"),
            rx.card(_apprise_form(), width="100%"),
            spacing="4",
            width="100%",
        ),
    )  # fmt: skip


PAGE = protected_page(routes.CHANNELS, "Alert channels", channels, on_load=[S.load])

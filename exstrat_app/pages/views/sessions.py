"""The "Where you're signed in" card of /security: each live session (this device marked),
a "Sign out" for every other one, and "Sign out everywhere else"."""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages.components import error_callout
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import DANGER_SCHEME, SUCCESS_SCHEME
from exstrat_app.state.sessions import SessionsState as S


def _session(row: rx.Var[dict[str, str]]) -> rx.Component:
    current = row["current"] != ""
    return rx.hstack(
        rx.icon("monitor_smartphone", size=20, color=rx.color("gray", 10)),
        rx.vstack(
            rx.hstack(
                rx.text(row["browser"], weight="medium", size="2", title=row["user_agent"]),
                rx.cond(current, rx.badge(T("This device"), color_scheme=SUCCESS_SCHEME,
                                          class_name="session-this-device")),
                align="center", spacing="2", wrap="wrap",
            ),
            rx.text(T("{ip} · signed in {created} · last seen {last_seen}", ip=row["ip"],
                      created=row["created"], last_seen=row["last_seen"]),
                    size="1", color_scheme="gray"),
            spacing="1",
            flex_grow="1",
            min_width="0",
        ),
        rx.cond(
            current,
            rx.fragment(),
            rx.button(T("Sign out"), size="1", variant="soft", color_scheme=DANGER_SCHEME,
                      loading=S.busy, on_click=S.sign_out(row["id"]),
                      class_name="session-sign-out"),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.5em",
        class_name="session-row",
    )  # fmt: skip


def sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(T("Where you're signed in"), size="4"),
            rx.text(T("Every browser signed in to your account. Sign out any you do not "
                      "recognise, and change your password if you are worried."),
                    size="2", color_scheme="gray"),
            error_callout(S.error),
            rx.cond(S.notice != "", rx.callout(S.notice, icon="circle_check",
                                               color_scheme=SUCCESS_SCHEME, width="100%",
                                               id="sessions-notice")),
            rx.vstack(rx.foreach(S.sessions, _session), spacing="0", width="100%",
                      id="sessions-list"),
            rx.cond(
                S.others > 0,
                rx.button(rx.icon("log_out", size=16), T("Sign out everywhere else"),
                          variant="soft", color_scheme=DANGER_SCHEME, loading=S.busy,
                          on_click=S.sign_out_others, id="sessions-sign-out-others"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="sessions-card",
    )  # fmt: skip

"""The signed-in shell around every protected page: the top bar (brand, nav, language menu,
alert bell, account menu), the alerts drawer and the live toast."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.components.phrases import LANGUAGES, Text
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import (
    ACCENT,
    BORDER,
    BRAND_ICON_COLOR,
    CONTENT_MAX_WIDTH,
    DANGER_SCHEME,
    MOBILE_ONLY,
    PAGE_BACKGROUND,
    SURFACE,
)
from exstrat_app.pages.views.alerts import alert_toast, alerts_drawer, bell
from exstrat_app.state.alerts import AlertsState
from exstrat_app.state.base import SessionState
from exstrat_app.state.locale import LocaleState

NAV = ((T("Portfolio"), routes.PORTFOLIO, "wallet"),
       (T("Strategies"), routes.STRATEGIES, "list_checks"),
       (T("Exchanges"), routes.EXCHANGES, "plug"))  # fmt: skip


def _language_menu() -> rx.Component:
    """English / Français beside the bell (`locale-menu`): the chosen one ticked; picking the
    other saves it on the account and reloads the page in it (state/locale.py)."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("languages", size=18), variant="ghost", size="3",
                           aria_label=T("Language"),
                           custom_attrs={"data-testid": "locale-menu"}),
        ),
        rx.menu.content(
            *[
                rx.menu.item(
                    rx.cond(LocaleState.locale == code, rx.icon("check", size=14),
                            rx.box(width="14px")),
                    name,
                    on_click=LocaleState.switch(code),
                    lang=code,
                    custom_attrs={"data-testid": f"locale-{code}"},
                )
                for code, name in LANGUAGES
            ],
            align="end",
        ),
    )  # fmt: skip


def _nav_link(label: Text, href: str, icon: str) -> rx.Component:
    active = rx.State.router.url.path.startswith(href)
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center"),
        href=href,
        underline="none",
        weight=rx.cond(active, "bold", "regular"),
        color_scheme=rx.cond(active, ACCENT, "gray"),
        high_contrast=active,
        padding_x="0.6em",
        padding_y="0.35em",
        border_radius="var(--radius-2)",
        background=rx.cond(active, rx.color(ACCENT, 3), "transparent"),
    )


def _account_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(
                rx.icon("menu", size=18), variant="ghost", size="3", aria_label=T("Menu")
            )
        ),
        rx.menu.content(
            rx.box(
                rx.text(SessionState.email, size="1", color_scheme="gray"),
                padding_x="0.75em",
                padding_y="0.35em",
            ),
            # The nav links live here on phones (the top bar shows them from tablets up).
            *[
                rx.menu.item(
                    rx.icon(icon, size=14), label, on_click=rx.redirect(href), display=MOBILE_ONLY
                )
                for label, href, icon in NAV
            ],
            rx.menu.separator(display=MOBILE_ONLY),
            rx.menu.item(
                rx.icon("user_cog", size=14),
                T("Account"),
                on_click=rx.redirect(routes.ACCOUNT),
                id="menu-account",
            ),
            rx.menu.item(
                rx.icon("shield_check", size=14),
                T("Security"),
                on_click=rx.redirect(routes.SECURITY),
                id="menu-security",
            ),
            rx.menu.item(
                rx.icon("bell_ring", size=14),
                T("Alert channels"),
                on_click=rx.redirect(routes.CHANNELS),
                id="menu-channels",
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("log_out", size=14),
                T("Sign out"),
                # The tab stops following the user's alerts before the session ends.
                on_click=[AlertsState.unlink_feed, SessionState.logout],
                color=DANGER_SCHEME,
                id="logout",
            ),
            align="end",
        ),
    )


def navbar() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("chart_candlestick", size=22, color=BRAND_ICON_COLOR),
                    rx.heading("exstrat", size="5"),
                    spacing="2",
                    align="center",
                ),
                href=routes.PORTFOLIO,
                underline="none",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.tablet_and_desktop(
                rx.hstack(*[_nav_link(*item) for item in NAV], spacing="1"),
            ),
            rx.spacer(),
            _language_menu(),
            bell(),
            _account_menu(),
            align="center",
            spacing="4",
            max_width=CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x="1em",
            height="56px",
        ),
        border_bottom=BORDER,
        background=SURFACE,
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def shell(*children: rx.Component) -> rx.Component:
    return rx.box(
        navbar(),
        rx.vstack(
            *children,
            spacing="5",
            max_width=CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x="1em",
            padding_y="1.5em",
            width="100%",
        ),
        alerts_drawer(),
        alert_toast(),
        min_height="100vh",
        background=PAGE_BACKGROUND,
    )

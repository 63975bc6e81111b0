"""The signed-in shell: top bar (nav, alert bell, account menu), the alerts drawer, the toast.

`protected_page` registers a page behind the sign-in check: `SessionState.require_login` runs
first in its on_load (and every state re-checks the cookie on a new websocket).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from exstrat_app.pages.alert_toast import alert_toast
from exstrat_app.state.alerts import AlertsState, UserFeed
from exstrat_app.state.session import SessionState

NAV = (("Portfolio", "/portfolio", "wallet"), ("Strategies", "/strategies", "list_checks"),
       ("Exchanges", "/exchanges", "plug"))  # fmt: skip
CONTENT_MAX_WIDTH = "1200px"
MOBILE_ONLY = rx.breakpoints(initial="flex", sm="none")


def _nav_link(label: str, href: str, icon: str) -> rx.Component:
    active = rx.State.router.url.path.startswith(href)
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center"),
        href=href,
        underline="none",
        weight=rx.cond(active, "bold", "regular"),
        color_scheme=rx.cond(active, "teal", "gray"),
        high_contrast=active,
        padding_x="0.6em",
        padding_y="0.35em",
        border_radius="var(--radius-2)",
        background=rx.cond(active, rx.color("teal", 3), "transparent"),
    )


def _bell() -> rx.Component:
    unread = UserFeed.unread
    return rx.box(
        rx.icon_button(
            rx.icon("bell", size=18),
            variant="ghost",
            size="3",
            on_click=AlertsState.set_open(True),
            aria_label="Alerts",
            id="alert-bell",
        ),
        rx.cond(
            unread > 0,
            rx.badge(
                unread,
                color_scheme="red",
                variant="solid",
                radius="full",
                size="1",
                position="absolute",
                top="-4px",
                right="-6px",
                id="alert-count",
            ),
        ),
        position="relative",
    )


def _account_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("menu", size=18), variant="ghost", size="3", aria_label="Menu")
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
                rx.icon("log_out", size=14),
                "Sign out",
                on_click=SessionState.logout,
                color="red",
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
                    rx.icon("chart_candlestick", size=22, color=rx.color("teal", 9)),
                    rx.heading("exstrat", size="5"),
                    spacing="2",
                    align="center",
                ),
                href="/portfolio",
                underline="none",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.tablet_and_desktop(
                rx.hstack(*[_nav_link(*item) for item in NAV], spacing="1"),
            ),
            rx.spacer(),
            _bell(),
            _account_menu(),
            align="center",
            spacing="4",
            max_width=CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x="1em",
            height="56px",
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def _alert_item(item: rx.Var[dict[str, str]]) -> rx.Component:
    unread = item["read"] == ""
    when = rx.Var(f"new Date({item['createdAt']!s}).toLocaleString()").to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(unread, rx.box(width="8px", height="8px", border_radius="50%",
                                       background=rx.color("red", 9), flex_shrink="0")),
                rx.text(item["title"], weight="bold", size="2"),
                align="center",
                spacing="2",
            ),
            rx.text(item["body"], size="2", overflow_wrap="anywhere"),
            rx.hstack(
                rx.text(when, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.cond(
                    item["strategyId"] != "",
                    rx.link("Open strategy", href="/strategies/" + item["strategyId"], size="1",
                            on_click=AlertsState.set_open(False)),
                ),
                rx.cond(
                    unread,
                    rx.button("Mark read", size="1", variant="soft",
                              on_click=UserFeed.mark_read(item["id"])),
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        class_name="alert-item",
    )  # fmt: skip


def alerts_drawer() -> rx.Component:
    return rx.drawer.root(
        rx.drawer.overlay(z_index="20"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.heading("Alerts", size="5"),
                        rx.spacer(),
                        rx.button("Mark all read", size="1", variant="soft",
                                  on_click=UserFeed.mark_all_read,
                                  disabled=UserFeed.unread == 0),
                        rx.drawer.close(
                            rx.icon_button(rx.icon("x", size=16), variant="ghost",
                                           aria_label="Close alerts")
                        ),
                        width="100%",
                        align="center",
                    ),
                    rx.cond(
                        UserFeed.latest.length() == 0,
                        rx.text("No alerts yet. When a step of a strategy reaches its target, "
                                "it shows up here.", color_scheme="gray", size="2"),
                        rx.vstack(rx.foreach(UserFeed.latest, _alert_item), width="100%",
                                  spacing="2"),
                    ),
                    spacing="3",
                    width="100%",
                ),
                top="0",
                right="0",
                left="auto",
                height="100%",
                width="min(420px, 100vw)",
                padding="1em",
                overflow_y="auto",
                background=rx.color("gray", 1),
                z_index="30",
                id="alerts-drawer",
            )
        ),
        direction="right",
        open=AlertsState.open,
        on_open_change=AlertsState.set_open,
    )  # fmt: skip


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
        background=rx.color("gray", 2),
    )


def protected_page(
    route: str, title: str, on_load: list[Any] | None = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """@rx.page behind the sign-in check, inside the shell."""

    def decorate(body: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        def page() -> rx.Component:
            return shell(body())

        page.__name__ = body.__name__
        return rx.page(
            route=route,
            title=f"{title} · exstrat",
            on_load=[SessionState.require_login, *(on_load or [])],
        )(page)

    return decorate

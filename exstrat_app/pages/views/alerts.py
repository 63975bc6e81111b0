"""The alert bell, the alerts drawer and the live toast, drawn from the shared `UserFeed`
(live count and newest alerts) and the per-tab `AlertsState` (drawer open, toast baseline).

The toast: the shared feed's newest alert id changes when the relay pushes an alert; a React
effect on that id shows a sonner toast (the Toaster is in Reflex's app wrap). It stays quiet for
the alert that was already newest when the tab linked to the feed (`AlertsState.baseline_id`),
and shows each id once per tab even across page changes (sessionStorage).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var, VarData
from reflex_base.utils.format import format_queue_events
from reflex_base.utils.imports import ImportVar

from exstrat_app import routes
from exstrat_app.pages.components.text import T
from exstrat_app.pages.styles import SURFACE, UNREAD_SCHEME
from exstrat_app.state.alerts import AlertsState, UserFeed
from exstrat_app.state.confirm import ConfirmState
from exstrat_app.state.locale import LocaleState

_TOAST_STORAGE_KEY = "exstrat-last-alert-toast"
_CLOCK_MS = 60_000  # while the drawer is open, "N min left" is reloaded this often


def bell() -> rx.Component:
    unread = UserFeed.unread
    return rx.box(
        rx.icon_button(
            rx.icon("bell", size=18),
            variant="ghost",
            size="3",
            # Reloaded on open: each confirm alert's window and order state as of now.
            on_click=[AlertsState.set_open(True), UserFeed.refresh],
            aria_label=T("Alerts"),
            id="alert-bell",
        ),
        rx.cond(
            unread > 0,
            rx.badge(
                unread,
                color_scheme=UNREAD_SCHEME,
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


def _alert_item(item: rx.Var[dict[str, str]]) -> rx.Component:
    unread = item["read"] == ""
    # The alert's time as the reader's language writes dates, in the browser's time zone.
    locale = LocaleState.locale
    when = rx.Var(f"new Date({item['createdAt']!s}).toLocaleString({locale!s})",
                  _var_data=locale._get_all_var_data()).to(str)  # fmt: skip
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(unread, rx.box(width="8px", height="8px", border_radius="50%",
                                       background=rx.color(UNREAD_SCHEME, 9), flex_shrink="0")),
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
                    rx.link(T("Open strategy"), href=routes.strategy_href(item["strategyId"]),
                            size="1", on_click=AlertsState.set_open(False)),
                ),
                rx.cond(  # "Confirm (12 min left)" while valid, else "expired", "filled"...
                    item["canConfirm"] != "",
                    rx.button(item["confirm"], size="1", class_name="confirm-order",
                              on_click=ConfirmState.confirm(item["strategyId"], item["stepId"])),
                    rx.cond(item["confirm"] != "",
                            rx.text(item["confirm"], size="1", color_scheme="gray",
                                    class_name="confirm-status")),
                ),
                rx.cond(
                    unread,
                    rx.button(T("Mark read"), size="1", variant="soft",
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
                        rx.heading(T("Alerts"), size="5"),
                        rx.spacer(),
                        rx.button(T("Mark all read"), size="1", variant="soft",
                                  on_click=UserFeed.mark_all_read,
                                  disabled=UserFeed.unread == 0),
                        rx.drawer.close(
                            rx.icon_button(rx.icon("x", size=16), variant="ghost",
                                           aria_label=T("Close alerts"))
                        ),
                        width="100%",
                        align="center",
                    ),
                    rx.cond(
                        UserFeed.latest.length() == 0,
                        rx.text(T("No alerts yet. When a step of a strategy reaches its "
                                  "target, it shows up here."), color_scheme="gray", size="2"),
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
                background=SURFACE,
                z_index="30",
                id="alerts-drawer",
            )
        ),
        direction="right",
        open=AlertsState.open,
        on_open_change=AlertsState.set_open,
    )  # fmt: skip


class _AlertToast(rx.Fragment):
    """Renders nothing; its hook does the work."""

    def add_hooks(self) -> list[str | Var]:
        latest, title, body = UserFeed.latest_id, UserFeed.latest_title, UserFeed.latest_body
        baseline = AlertsState.baseline_id
        kind, step = UserFeed.latest_kind, UserFeed.latest_step_id
        confirm = format_queue_events(ConfirmState.confirm(UserFeed.latest_strategy_id, step))
        label = rx.Var.create(T("Confirm")).to(str)  # the toast's button, in the reader's words
        code = f"""
useEffect(() => {{
  const id = {latest!s};
  if (!id || id === {baseline!s}) return;
  if (window.sessionStorage.getItem("{_TOAST_STORAGE_KEY}") === id) return;
  window.sessionStorage.setItem("{_TOAST_STORAGE_KEY}", id);
  const options = {{description: {body!s}, duration: 8000, className: "alert-toast"}};
  if ({kind!s} === "order_confirm" && {step!s}) {{
    // "Sell 0.8 ETH now": confirm right here, while the validity window is open.
    const confirm = {confirm!s};
    options.duration = 60000;
    options.action = {{label: {label!s}, onClick: () => confirm()}};
  }}
  refs["__toast"]?.({title!s}, options);
}}, [{latest!s}, {baseline!s}]);"""
        var_data = VarData.merge(
            latest._get_all_var_data(),
            title._get_all_var_data(),
            body._get_all_var_data(),
            baseline._get_all_var_data(),
            kind._get_all_var_data(),
            step._get_all_var_data(),
            confirm._get_all_var_data(),
            label._get_all_var_data(),
            VarData(
                imports={
                    "react": [ImportVar(tag="useEffect")],
                    "$/utils/state": [ImportVar(tag="refs")],
                }
            ),
        )
        return [Var(_js_expr=code, _var_data=var_data)]


class _ConfirmClock(rx.Fragment):
    """Renders nothing; while the drawer is open it reloads the feed once a minute, so a
    confirm alert counts its minutes down and turns "expired" without a click."""

    def add_hooks(self) -> list[str | Var]:
        is_open = AlertsState.open
        refresh = format_queue_events(UserFeed.refresh)
        code = f"""
useEffect(() => {{
  if (!{is_open!s}) return;
  const refresh = {refresh!s};
  const timer = window.setInterval(() => refresh(), {_CLOCK_MS});
  return () => window.clearInterval(timer);
}}, [{is_open!s}]);"""
        var_data = VarData.merge(
            is_open._get_all_var_data(),
            refresh._get_all_var_data(),
            VarData(imports={"react": [ImportVar(tag="useEffect")]}),
        )
        return [Var(_js_expr=code, _var_data=var_data)]


def alert_toast() -> rx.Component:
    return rx.fragment(_AlertToast.create(), _ConfirmClock.create())

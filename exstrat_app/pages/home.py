"""`/`: straight to the portfolio when signed in, else to /login."""

from __future__ import annotations

import reflex as rx

from exstrat_app.state.session import SessionState


@rx.page(route="/", title="exstrat", on_load=SessionState.route_home)
def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")

"""`/`: straight to the portfolio when signed in, else to /login."""

from __future__ import annotations

import reflex as rx

from exstrat_app import routes
from exstrat_app.pages.site import Page
from exstrat_app.state.base import SessionState


def index() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")


PAGE = Page(routes.HOME, "exstrat", index, on_load=[SessionState.route_home])

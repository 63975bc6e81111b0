"""Placeholder landing page until the app's pages exist."""

import reflex as rx


@rx.page(route="/", title="exstrat")
def index() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("exstrat", size="8"),
            rx.text("Your exchange portfolio, average prices and take-profit ladders."),
            rx.link("Sign in", href="/login"),
            align="center",
        ),
        height="100vh",
    )

"""The Reflex app: pages, the /api routes mounted beside them, and the live-push relay."""

from __future__ import annotations

import reflex as rx

from exstrat_app.api import create_api
from exstrat_app.infra.logging import configure_logging
from exstrat_app.pages import add_pages
from exstrat_app.pages.styles import APP_STYLE
from exstrat_app.state.feed_relay import relay_push_events

# The web process (Reflex's backend server imports this module) handles sign-ups, logins and
# new API keys: its log lines must be the same JSON as the other processes', at
# EXSTRAT_LOG_LEVEL. Without this only `python -m exstrat_app ...` configured logging, and
# this process logged nothing below WARNING (and that as plain text, without correlation ids).
configure_logging()

app = rx.App(
    api_transformer=create_api(),
    style=APP_STYLE,
)
# Once, here: see pages/site.py for why not `@rx.page`.
add_pages(app)

# Alerts published by workers on Redis reach every open tab through the shared UserFeed.
app.register_lifespan_task(relay_push_events)

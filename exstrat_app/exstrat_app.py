"""The Reflex app: pages, the /api routes mounted beside them, and the live-push relay."""

import reflex as rx

from exstrat_app import pages  # noqa: F401 - registers every @rx.page
from exstrat_app.api import create_api

app = rx.App(
    api_transformer=create_api(),
    theme=rx.theme(appearance="light", accent_color="teal", radius="medium"),
)

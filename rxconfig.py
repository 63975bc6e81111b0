"""Reflex configuration. The database is ours (exstrat_app.infra.db.engine), not Reflex's."""

import os

import reflex as rx

config = rx.Config(
    app_name="exstrat_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    cors_allowed_origins=[os.environ.get("EXSTRAT_PUBLIC_URL", "http://localhost:3000")],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="teal", radius="medium")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)

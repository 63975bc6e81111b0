"""Reflex configuration. The database is ours (exstrat_app.infra.db.engine), not Reflex's."""

import os

import reflex as rx

from exstrat_app.settings import get_settings

# Reflex's saved states live in the data dir (0700), not in the checkout: the web process
# runs with umask 077 (exstrat_app.py), so every state file is 0600. They never hold the
# session cookie: the socket's door (state/guard.py) keeps it out of Reflex.
_states_dir = get_settings().ensure_data_dir().resolve() / "states"
os.environ.setdefault("REFLEX_STATES_WORKDIR", str(_states_dir))
# The largest socket frame Engine.IO accepts (Reflex's default: 1 MB). Events are refused
# above 64 KB with a message (state/guard.py); a frame this big closes the connection.
os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(256 * 1024))

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

"""Every page module registers itself with @rx.page on import."""

from exstrat_app.pages import home  # noqa: F401

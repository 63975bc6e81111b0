"""Every page module registers itself with @rx.page on import."""

from exstrat_app.pages import (  # noqa: F401
    exchanges,
    home,
    login,
    portfolio,
    signup,
    strategies,
    token,
)

"""The site map: every page, registered once on the app (`add_pages`).

Stateless building blocks are in `components/`, state-bound pieces shared by several pages in
`views/`, design tokens in `styles.py`, the page kinds in `site.py`; one module per route (or
two close routes) here. Pages draw states; they never import services, adapters or models.
"""

from __future__ import annotations

import reflex as rx

from exstrat_app.pages import (
    account,
    channels,
    confirm,
    exchanges,
    forgot,
    home,
    login,
    portfolio,
    reset,
    security,
    signup,
    strategies,
    token,
)
from exstrat_app.pages.site import Page

PAGES: tuple[Page, ...] = (
    home.PAGE,
    login.PAGE,
    signup.PAGE,
    confirm.PAGE,
    forgot.PAGE,
    reset.PAGE,
    portfolio.PAGE,
    exchanges.PAGE,
    strategies.LIST_PAGE,
    strategies.DETAIL_PAGE,
    token.PAGE,
    security.PAGE,
    channels.PAGE,
    account.PAGE,
)


def add_pages(app: rx.App) -> None:
    for page in PAGES:
        page.add_to(app)

"""What a page is, and the two kinds the site has.

Pages are registered once, from one table (`pages/__init__.py: add_pages`), with
`app.add_page`, not with `@rx.page`: Reflex re-applies the `@rx.page` list on every compile of
the app, and a production run compiles twice in one process line (`reflex run --env prod`
compiles, then each backend worker forked from it compiles again in `App.__call__`), so every
decorated page was added a second time ("Page ... is being redefined with the same
component"). A page added directly is in the app already and is not added again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from exstrat_app.pages.views.shell import shell
from exstrat_app.state.alerts import AlertsState
from exstrat_app.state.base import SessionState
from exstrat_app.state.locale import LocaleState

TITLE_SUFFIX = " · exstrat"


@dataclass(frozen=True)
class Page:
    route: str
    title: str
    render: Callable[[], rx.Component]
    on_load: Sequence[Any] = ()

    def add_to(self, app: rx.App) -> None:
        # The language first: every later load writes in it (state/locale.py).
        app.add_page(
            self.render, route=self.route, title=self.title,
            on_load=[LocaleState.pick, *self.on_load],
        )  # fmt: skip


def public_page(
    route: str, title: str, render: Callable[[], rx.Component], on_load: Sequence[Any] = ()
) -> Page:
    return Page(route, title + TITLE_SUFFIX, render, on_load)


def protected_page(
    route: str, title: str, body: Callable[[], rx.Component], on_load: Sequence[Any] = ()
) -> Page:
    """A page behind the sign-in check, inside the shell. `require_login` runs first (it
    sends signed-out visitors to /login; every state re-checks the cookie on a new
    websocket), then the tab links to the user's alert feed, then the page's own loads."""

    def render() -> rx.Component:
        return shell(body())

    render.__name__ = body.__name__  # Reflex names the page's component after it
    loads = (SessionState.require_login, AlertsState.link_feed, *on_load)
    return Page(route, title + TITLE_SUFFIX, render, loads)

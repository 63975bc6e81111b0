"""The "Where you're signed in" card of /security (services/auth/session_list.py): the live
sessions, this browser's marked, each other one signed out with a click, or all of them.

The same use cases as `/api/auth/sessions`, each in its own `bootstrap.unit_of_work()`. Which
session is this browser's is worked out in the handler from the socket's session (its `jti`
only, never the cookie); the page gets digests as ids, never a `jti` (docs/api-tokens-and-
sessions.md). A session signed out here is refused at once by the API, and its open tabs
are sent to /login at once through the alert relay (state/feed_relay.py); were Redis down,
at their next page load or first click after the sign-in recheck period (state/base.py
`RECHECK_SECONDS`).
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import _
from exstrat_app.services.auth import session_list
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.notifications import push
from exstrat_app.state.base import load_for_user, request_session_token, user_data
from exstrat_app.state.display import ago_text, when_text
from exstrat_app.state.field_errors import error_text

ID_MAX_CHARS = 64
# The first match names it: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"))  # fmt: skip
SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"),
           ("iPad", "iPadOS"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))  # fmt: skip
_PRODUCT = re.compile(r"^[A-Za-z][\w.-]{0,40}")


def browser_words(user_agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent header; its first word when unknown."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    if browser and system:
        return _("{browser} on {system}", browser=browser, system=system)
    if browser or system:
        return browser or _("A browser on {system}", system=system)
    found = _PRODUCT.match(user_agent.strip())
    return found.group(0) if found else _("Unknown browser")


def session_row(view: session_list.SessionView) -> dict[str, str]:
    return {
        "id": view.id,
        "current": "1" if view.current else "",
        "browser": browser_words(view.user_agent),
        "user_agent": view.user_agent,
        "ip": view.ip or _("unknown address"),
        "created": when_text(view.created_at),
        "last_seen": ago_text(view.last_seen_at),
    }


def _list(user_id: str, current_jti: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        views = session_list.list_sessions(session, user_id, current_jti=current_jti)
    return [session_row(view) for view in views]


def _end_one(user_id: str, session_id: str, current_jti: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        session_list.end_session(session, user_id, session_id)
    # Committed: the relay now finds the session revoked and sends its tabs to /login.
    push.announce_signed_out(bootstrap.redis(), user_id=user_id)
    return _list(user_id, current_jti)


def _end_others(user_id: str, current_jti: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        session_list.end_all_but(session, user_id, keep_jti=current_jti)
    push.announce_signed_out(bootstrap.redis(), user_id=user_id)
    return _list(user_id, current_jti)


@user_data
class SessionsState(rx.State):
    # One dict per live session: id (a digest), current ("1" for this browser), browser,
    # user_agent, ip, created, last_seen; never a jti or a cookie.
    sessions: list[dict[str, str]] = []
    loaded: bool = False
    busy: bool = False
    error: str = ""
    notice: str = ""

    @rx.var
    def others(self) -> int:
        return sum(1 for row in self.sessions if not row.get("current"))

    def _current_jti(self) -> str:
        return session_jti(bootstrap.settings(), request_session_token(self))

    def _show(self, rows: list[dict[str, str]]) -> None:
        self.sessions, self.loaded, self.busy = rows, True, False

    def _failed(self, exc: ServiceError) -> None:
        self.busy, self.error = False, error_text(exc)

    def _begin(self) -> None:
        self.busy, self.error, self.notice = True, "", ""

    @rx.event
    async def load(self) -> Any:
        self.error, self.notice = "", ""
        current = self._current_jti()
        return await load_for_user(
            self, lambda user_id: _list(user_id, current), self._show, failed=self._failed
        )

    def _signed_out(self, rows: list[dict[str, str]]) -> None:
        self._show(rows)
        self.notice = _("Signed out.")

    @rx.event
    async def sign_out(self, session_id: str) -> Any:
        """Sign one other session out (its id is checked against the user's own)."""
        target = str(session_id)[:ID_MAX_CHARS]
        current = self._current_jti()
        return await load_for_user(
            self,
            lambda user_id: _end_one(user_id, target, current),
            self._signed_out,
            failed=self._failed,
            start=self._begin,
        )

    def _others_signed_out(self, rows: list[dict[str, str]]) -> None:
        self._show(rows)
        self.notice = _("Every other session is signed out.")

    @rx.event
    async def sign_out_others(self) -> Any:
        current = self._current_jti()
        return await load_for_user(
            self,
            lambda user_id: _end_others(user_id, current),
            self._others_signed_out,
            failed=self._failed,
            start=self._begin,
        )

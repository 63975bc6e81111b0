"""Who is signed in, for every page but /login and /signup.

The session is the httpOnly `exstrat_session` cookie set by `/api/auth/complete`. The browser
sends it with the websocket handshake; Reflex keeps those headers for the life of that one
connection (`self.router.headers.cookie`, server side only since 0.10). So the check runs
again whenever the websocket session id changes (a reload, a reconnect, another tab), and at
least every `RECHECK_SECONDS` so that a logout elsewhere (revoked `jti`) is noticed.

Other states ask with `await current_user_id(self)`; protected pages put
`SessionState.require_login` first in their `on_load`.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import quote

import reflex as rx
from starlette.requests import cookie_parser

from exstrat_app.infra.db.engine import session_scope
from exstrat_app.services.auth import core as auth
from exstrat_app.services.errors import NotFound, Unauthorized

SESSION_COOKIE = "exstrat_session"
RECHECK_SECONDS = 30.0
PUBLIC_PATHS = ("/login", "/signup")

# States holding one user's data: emptied on logout and when another user signs in.
_USER_STATES: list[type[rx.State]] = []


def user_data(cls: type[rx.State]) -> type[rx.State]:
    """Class decorator: this state holds the signed-in user's data."""
    _USER_STATES.append(cls)
    return cls


def session_cookie(cookie_header: str) -> str:
    if not cookie_header or SESSION_COOKIE not in cookie_header:
        return ""
    return cookie_parser(cookie_header).get(SESSION_COOKIE, "")


def _verify(token: str) -> tuple[str, str] | None:
    """(user id, email) for a valid session token, else None."""
    if not token:
        return None
    with session_scope() as session:
        try:
            user_id = auth.verify_session_token(session, token)
            return user_id, auth.get_user(session, user_id).email
        except (Unauthorized, NotFound):
            return None


def _revoke(token: str) -> None:
    if token:
        with session_scope() as session:
            auth.revoke_session_token(session, token)


def login_url(path: str) -> str:
    """/login, remembering where to come back to."""
    if not path or path == "/" or path.startswith(PUBLIC_PATHS):
        return "/login"
    return f"/login?next={quote(path, safe='/')}"


def go_to(url: str) -> rx.event.EventSpec:
    """A full page load (not a client-side route change): a new websocket, new cookies."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


class SessionState(rx.State):
    """The signed-in user, checked from the cookie; only the email reaches the browser."""

    email: str = ""  # shown in the account menu
    _user_id: str = ""
    _checked_sid: str = ""
    _checked_at: float = 0.0
    _linked: str = ""  # "<websocket sid>:<user id>" the alert feed was linked for

    async def _current_user_id(self) -> str | None:
        """The user id for this websocket's cookie (re-verified when the connection changes)."""
        sid = self.router.session.session_id
        fresh = time.monotonic() - self._checked_at < RECHECK_SECONDS
        if sid and sid == self._checked_sid and fresh:
            return self._user_id or None
        token = session_cookie(self.router.headers.cookie)
        found = await asyncio.to_thread(_verify, token)
        user_id, email = found if found else ("", "")
        if self._user_id and user_id != self._user_id:
            await self._forget_user_data()
        self._user_id, self.email = user_id, email
        self._checked_sid, self._checked_at = sid, time.monotonic()
        return user_id or None

    async def _forget_user_data(self) -> None:
        for cls in _USER_STATES:
            (await self.get_state(cls)).reset()

    async def _unlink_feed(self) -> None:
        from exstrat_app.state.feed import UserFeed

        feed = await self.get_state(UserFeed)
        if feed._linked_to:
            await feed._unlink()

    async def _link_feed(self, user_id: str) -> None:
        """Link this tab to the user's live alert feed, once per connection.

        Only from a regular event handler: a background task's state proxy cannot link.
        """
        key = f"{self.router.session.session_id}:{user_id}"
        if self._linked == key:
            return
        from exstrat_app.state.alerts import link_feed  # lazy: alerts imports this module

        await link_feed(self, user_id)
        self._linked = key

    @rx.event
    async def require_login(self) -> rx.event.EventSpec | None:
        """on_load of every protected page: send signed-out visitors to /login, link the
        signed-in tab to its alert feed."""
        user_id = await self._current_user_id()
        if user_id is None:
            return go_to(login_url(self.router.url.path))
        await self._link_feed(user_id)
        return None

    @rx.event
    async def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """on_load of /login and /signup (and /): a signed-in visitor goes to the portfolio."""
        if await self._current_user_id() is not None:
            return rx.redirect("/portfolio")
        return None

    @rx.event
    async def route_home(self) -> rx.event.EventSpec:
        """on_load of `/`."""
        if await self._current_user_id() is not None:
            return rx.redirect("/portfolio")
        return rx.redirect("/login")

    @rx.event
    async def logout(self) -> rx.event.EventSpec:
        """Revoke the token, empty every user state, then let the API clear the cookie."""
        await asyncio.to_thread(_revoke, session_cookie(self.router.headers.cookie))
        await self._unlink_feed()
        await self._forget_user_data()
        self._user_id, self.email = "", ""
        self._checked_sid, self._checked_at, self._linked = "", 0.0, ""
        # The cookie is httpOnly: only a response can clear it. POST /api/auth/logout
        # (same origin, passes the CSRF check) does, then a full load of /login.
        return rx.call_script(
            "fetch('/api/auth/logout', {method: 'POST', credentials: 'same-origin'})"
            ".finally(() => window.location.assign('/login'))"
        )


async def current_user_id(state: rx.State) -> str | None:
    """The signed-in user's id, from any state's event handler (hold the state lock)."""
    session = await state.get_state(SessionState)
    return await session._current_user_id()


# What a handler returns when the cookie no longer verifies (e.g. after a reconnect):
# the same check as on_load, which sends the browser to /login.
TO_LOGIN = SessionState.require_login

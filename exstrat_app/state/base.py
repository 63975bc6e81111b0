"""What every page state stands on: who is signed in, and the one shape of a handler that
loads the signed-in user's data.

The session is the httpOnly session cookie set by `/api/auth/complete`. The browser sends it
with the websocket handshake; the socket's door keeps it, per connection, for the life of that
connection (`request_session_token`, see below). So the check runs again whenever
the websocket session id changes (a reload, a reconnect, another tab), and at least every
`RECHECK_SECONDS` so that a logout elsewhere (revoked `jti`) is noticed.

Other states ask with `await current_user_id(self)`, or let `load_for_user` do the whole
round (check, service call in a thread, show the result or the error). Protected pages put
`SessionState.require_login` first in their `on_load`. This module knows nothing of the alert
feed: the alerts state links it after the check (state/alerts.py), never the reverse; what
must happen at sign-out registers itself with `on_sign_out` (the feed unlinks there).

The cookie is read from the socket's door (`state/guard.connection_session`): the door takes it
out of the handshake headers, so Reflex never stores it in `router_data` or a saved state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx
from starlette.requests import cookie_parser

from exstrat_app import bootstrap, routes
from exstrat_app.services import auth
from exstrat_app.services.errors import NotFound, ServiceError, Unauthorized
from exstrat_app.state.door_registry import DoorSession
from exstrat_app.state.guard import connection_session, forget_connection_session

RECHECK_SECONDS = 30.0
LOGOUT_SCRIPT = (
    # The cookie is httpOnly: only a response can clear it. POST /api/auth/logout (same
    # origin, passes the CSRF check) does, then a full load of /login.
    "fetch('/api/auth/logout', {method: 'POST', credentials: 'same-origin'})"
    f".finally(() => window.location.assign('{routes.LOGIN}'))"
)

T = TypeVar("T")

# States holding one user's data: emptied on logout and when another user signs in.
_USER_STATES: list[type[rx.State]] = []


def user_data(cls: type[rx.State]) -> type[rx.State]:
    """Class decorator: this state holds the signed-in user's data."""
    _USER_STATES.append(cls)
    return cls


# Run (with the session state) when the signed-in user goes: logout, or a failed recheck.
_SIGN_OUT_HOOKS: list[Callable[[rx.State], Awaitable[None]]] = []


def on_sign_out(
    hook: Callable[[rx.State], Awaitable[None]],
) -> Callable[[rx.State], Awaitable[None]]:
    _SIGN_OUT_HOOKS.append(hook)
    return hook


def request_session_token(state: rx.State) -> str:
    """This connection's session cookie: kept by the socket's door (never in the state);
    the header itself only where no door ran (a state built in a unit test)."""
    return connection_session(state.router.session.client_token) or session_cookie(
        state.router.headers.cookie
    )


def session_cookie(cookie_header: str) -> str:
    if not cookie_header or auth.SESSION_COOKIE not in cookie_header:
        return ""
    return cookie_parser(cookie_header).get(auth.SESSION_COOKIE, "")


def login_url(path: str) -> str:
    """/login, remembering where to come back to."""
    if not path or path == routes.HOME or path.startswith(routes.PUBLIC):
        return routes.LOGIN
    return f"{routes.LOGIN}?next={quote(path, safe='/')}"


def go_to(url: str) -> rx.event.EventSpec:
    """A full page load (not a client-side route change): a new websocket, new cookies."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


def _verify(token: str) -> tuple[str, str] | None:
    """(user id, email) for a valid session token, else None (runs in a thread)."""
    if not token:
        return None
    with bootstrap.unit_of_work() as session:
        try:
            user_id = auth.verify_session_token(session, bootstrap.settings(), token)
            return user_id, auth.get_user(session, user_id).email
        except (Unauthorized, NotFound):
            return None


def identity_verifies(identity: DoorSession) -> bool:
    """Whether a socket's recorded session (its claims, state/door_registry.py) is still
    good: not expired, not revoked, its user there (database check; runs in a thread)."""
    with bootstrap.unit_of_work() as session:
        return auth.verify_session_claims(
            session, user_id=identity.user_id, jti=identity.jti, expires_at=identity.expires_at
        )


def _revoke(token: str) -> None:
    if token:
        with bootstrap.unit_of_work() as session:
            auth.revoke_session_token(session, bootstrap.settings(), token)


class SessionState(rx.State):
    """The signed-in user, checked from the cookie; only the email reaches the browser."""

    email: str = ""  # shown in the account menu
    _user_id: str = ""
    _checked_sid: str = ""
    _checked_at: float = 0.0

    async def _current_user_id(self) -> str | None:
        """The user id for this websocket's cookie (re-verified when the connection changes)."""
        sid = self.router.session.session_id
        fresh = time.monotonic() - self._checked_at < RECHECK_SECONDS
        if sid and sid == self._checked_sid and fresh:
            return self._user_id or None
        token = request_session_token(self)
        found = await asyncio.to_thread(_verify, token)
        user_id, email = found if found else ("", "")
        if self._user_id and user_id != self._user_id:
            await self._forget_user_data()
        self._user_id, self.email = user_id, email
        self._checked_sid, self._checked_at = sid, time.monotonic()
        return user_id or None

    async def _forget_user_data(self) -> None:
        for hook in _SIGN_OUT_HOOKS:
            await hook(self)
        for cls in _USER_STATES:
            (await self.get_state(cls)).reset()

    @rx.event
    async def require_login(self) -> rx.event.EventSpec | None:
        """on_load of every protected page: send signed-out visitors to /login."""
        if await self._current_user_id() is None:
            return go_to(login_url(self.router.url.path))
        return None

    @rx.event
    async def redirect_if_signed_in(self) -> rx.event.EventSpec | None:
        """on_load of /login and /signup: a signed-in visitor goes to the portfolio."""
        if await self._current_user_id() is not None:
            return rx.redirect(routes.PORTFOLIO)
        return None

    @rx.event
    async def route_home(self) -> rx.event.EventSpec:
        """on_load of `/`."""
        if await self._current_user_id() is not None:
            return rx.redirect(routes.PORTFOLIO)
        return rx.redirect(routes.LOGIN)

    @rx.event
    async def logout(self) -> rx.event.EventSpec:
        """Revoke the token, empty every user state, then let the API clear the cookie.

        The page unlinks the alert feed first (`AlertsState.unlink_feed`, same click)."""
        await asyncio.to_thread(_revoke, request_session_token(self))
        forget_connection_session(self.router.session.client_token)
        await self._forget_user_data()
        self._user_id, self.email = "", ""
        self._checked_sid, self._checked_at = "", 0.0
        return rx.call_script(LOGOUT_SCRIPT)


async def current_user_id(state: rx.State) -> str | None:
    """The signed-in user's id, from any state's event handler (hold the state lock)."""
    session = await state.get_state(SessionState)
    return await session._current_user_id()


# What a handler returns when the cookie no longer verifies (e.g. after a reconnect):
# the same check as on_load, which sends the browser to /login.
TO_LOGIN = SessionState.require_login


async def load_for_user(
    state: rx.State,
    fetch: Callable[[str], T],
    show: Callable[[T], Any],
    *,
    failed: Callable[[ServiceError], Any],
    start: Callable[[], Any] | None = None,
) -> Any:
    """The one round of a handler that loads (or changes) the signed-in user's data:

    1. under the state lock: the sign-in check (signed out: TO_LOGIN, nothing else runs),
       then `start()` (e.g. `self.loading = True`);
    2. outside the lock, in a worker thread: `fetch(user_id)` (it opens its own unit of
       work, `bootstrap.unit_of_work()`, so the database never blocks the event loop);
    3. under the lock again: `show(value)`, or `failed(error)` when the service raised a
       `ServiceError` (its `message` is what the page shows). Anything else propagates.

    Returns what `show`/`failed` return (events for the browser). Works in background
    handlers (`async with` takes the lock of the state proxy) and in regular ones (where
    the handler holds the lock already and `async with` does nothing). Pass bound methods
    of the handler's own `self`: Reflex rebinds them to the proxy, so they write to the
    fresh state the lock hands over.
    """
    async with state:
        user_id = await current_user_id(state)
        if user_id is None:
            return TO_LOGIN
        if start is not None:
            start()
    try:
        value = await asyncio.to_thread(fetch, user_id)
    except ServiceError as exc:
        async with state:
            return failed(exc)
    async with state:
        return show(value)

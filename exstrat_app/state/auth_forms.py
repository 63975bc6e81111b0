"""/login and /signup: the password is checked here, the cookie is set by the API.

Reflex cannot set an httpOnly cookie, so a successful form stores a single-use ticket (Redis,
60 s) and sends the browser to `/api/auth/complete?ticket=...`: that full page load sets the
cookie and redirects. The password only passes through the handler's arguments (the inputs
are uncontrolled); it is never kept in state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from exstrat_app import bootstrap, routes
from exstrat_app.demo import mode as demo
from exstrat_app.services import auth
from exstrat_app.services.errors import ServiceError
from exstrat_app.state.base import go_to

DEFAULT_NEXT = routes.PORTFOLIO
EXPIRED = "Your sign-in link expired or was already used; please sign in again."


def _complete_url(user_id: str, next_path: str) -> str:
    ticket = auth.create_login_ticket(user_id=user_id, redis=bootstrap.redis())
    # /api/auth/complete only follows a same-site path (api.auth.safe_next).
    return "/api/auth/complete?" + urlencode({"ticket": ticket, "next": next_path})


def _login(email: str, password: str, ip: str, next_path: str) -> str:
    throttle = bootstrap.auth_throttle()
    with bootstrap.unit_of_work() as session:
        user = auth.login(session, email=email, password=password, ip=ip, throttle=throttle)
        user_id = user.id
    # The ticket only once the unit of work is committed (a rehashed password is stored).
    return _complete_url(user_id, next_path)


def _signup(email: str, password: str, ip: str) -> str:
    bootstrap.auth_throttle().hit_ip("signup", ip)
    with bootstrap.unit_of_work() as session:
        user = auth.signup(session, email=email, password=password)
        user_id = user.id
    # The ticket only once the account is committed: /api/auth/complete must find the user.
    return _complete_url(user_id, DEFAULT_NEXT)


def _demo(ip: str) -> str:
    bootstrap.auth_throttle().hit_ip("demo", ip)
    return _complete_url(demo.demo_user_id(), DEFAULT_NEXT)


class AuthFormState(rx.State):
    """Errors and the busy flag of the two forms (never the password)."""

    error: str = ""
    field_errors: dict[str, str] = {}
    busy: bool = False
    demo_available: bool = False

    @rx.var
    def email_error(self) -> str:
        return self.field_errors.get("email", "")

    @rx.var
    def password_error(self) -> str:
        return self.field_errors.get("password", "")

    @rx.var
    def confirm_error(self) -> str:
        return self.field_errors.get("confirm", "")

    @rx.event
    def clear(self) -> None:
        self.error, self.field_errors, self.busy = "", {}, False
        self.demo_available = demo.demo_enabled()
        if self.router.url.query_parameters.get("error") == "expired":
            self.error = EXPIRED

    @rx.event
    async def submit_login(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        next_path = self.router.url.query_parameters.get("next", DEFAULT_NEXT)
        ip = self.router.session.client_ip
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        async for event in self._run(_login, email, password, ip, next_path):
            yield event

    @rx.event
    async def submit_signup(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if password != str(form.get("confirm", "")):
            self.error, self.field_errors = "", {"confirm": "The two passwords differ."}
            return
        async for event in self._run(_signup, email, password, self.router.session.client_ip):
            yield event

    @rx.event
    async def try_demo(self) -> AsyncIterator[Any]:
        async for event in self._run(_demo, self.router.session.client_ip):
            yield event

    async def _run(self, fn: Callable[..., str], *args: str) -> AsyncIterator[Any]:
        """Show the busy state, call the service in a thread, then hand over or show errors."""
        self.busy, self.error, self.field_errors = True, "", {}
        yield None
        try:
            url = await asyncio.to_thread(fn, *args)
        except ServiceError as exc:
            self.busy, self.error, self.field_errors = False, exc.message, dict(exc.fields)
            return
        yield go_to(url)  # busy stays on while the browser leaves the page

"""/login, /signup and /confirm: the password is checked here, the cookie is set by the API.

Sign-up answers "check your inbox" for a new and a taken email alike; the emailed
link opens /confirm, where the account's password confirms the address and signs in.

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
from exstrat_app.i18n import N_, _, render
from exstrat_app.services import auth
from exstrat_app.services.auth import confirmation, second_step
from exstrat_app.services.errors import ServiceError
from exstrat_app.state.account_data import deleted_notice
from exstrat_app.state.base import go_to
from exstrat_app.state.field_errors import FieldErrors, error_text, field_texts

DEFAULT_NEXT = routes.PORTFOLIO
# What `_login` returns instead of a URL when the user has two-factor on: this, then the
# pending ticket (the browser gets neither; the code step sends it back to the server).
SECOND_STEP = "second-step:"
# What `_signup` returns when the page must say "check your inbox" (never a URL).
CHECK_INBOX = "check-inbox:"
EXPIRED = N_("Your sign-in link expired or was already used; please sign in again.")
SIGNUP_TAKEN = N_("An account with this email already exists.")
SIGNUP_TAKEN_FIELD = N_("This email is already registered.")


def _complete_url(user_id: str, next_path: str) -> str:
    ticket = auth.create_login_ticket(user_id=user_id, redis=bootstrap.redis())
    # /api/auth/complete only follows a same-site path (api.auth.safe_next).
    return "/api/auth/complete?" + urlencode({"ticket": ticket, "next": next_path})


def _login(email: str, password: str, ip: str, next_path: str) -> str:
    throttle = bootstrap.auth_throttle()
    link: str | None = None  # set: the address is not confirmed ("" = a link went out lately)
    with bootstrap.unit_of_work() as session:
        user = auth.login(session, email=email, password=password, ip=ip, throttle=throttle)
        user_id, address = user.id, user.email
        if not auth.is_confirmed(user):
            link = confirmation.issue_link(session, user_id, only_if_quiet=True) or ""
        elif second_step.needs_second_step(user):
            return SECOND_STEP + second_step.start_second_step(
                user_id=user_id, redis=bootstrap.redis()
            )
    if link is not None:  # only after the right password: it reveals nothing
        if link:
            confirmation.send_link(bootstrap.settings(), address, link)
        raise auth.EmailUnconfirmed(auth.CONFIRM_FIRST)
    # The ticket only once the unit of work is committed (a rehashed password is stored).
    return _complete_url(user_id, next_path)


def _second_step(ticket: str, code: str, ip: str, next_path: str) -> str:
    bootstrap.auth_throttle().hit_ip("login-totp", ip)
    with bootstrap.unit_of_work() as session:
        user_id = second_step.finish_second_step(
            session, bootstrap.secret_box(), bootstrap.redis(), ticket=ticket, code=code
        )
    # The login ticket only once the accepted step / spent recovery code is committed.
    return _complete_url(user_id, next_path)


def _signup(email: str, password: str, ip: str) -> str:
    """The hand-over URL when the new account may sign in now, else CHECK_INBOX (the same
    for a new, a taken and a waiting address: only the email sent differs)."""
    bootstrap.auth_throttle().hit_ip("signup", ip)
    settings = bootstrap.settings()
    required = settings.require_email_confirmation
    with bootstrap.unit_of_work() as session:
        outcome = auth.register(
            session, email=email, password=password, require_confirmation=required
        )
    # The emails and the ticket only once the account and its link are committed.
    auth.tell_signup_outcome(settings, outcome, redis=bootstrap.redis())
    if outcome.created and outcome.confirmed:  # the first account, or confirmation off
        return _complete_url(outcome.user_id, DEFAULT_NEXT)
    if not required and not outcome.confirmation_token and not outcome.waiting:
        # Confirmation off (the self-hoster's choice): the page signs new accounts straight
        # in, so a taken email cannot get the same answer; it says so.
        raise ServiceError(SIGNUP_TAKEN, fields={"email": SIGNUP_TAKEN_FIELD})
    return CHECK_INBOX


def _confirm(token: str, password: str, ip: str) -> str:
    bootstrap.auth_throttle().hit_ip("confirm", ip)
    with bootstrap.unit_of_work() as session:
        user_id = confirmation.confirm(session, token=token, password=password).id
    # The ticket only once the confirmation is committed.
    return _complete_url(user_id, DEFAULT_NEXT)


def _demo(ip: str) -> str:
    bootstrap.auth_throttle().hit_ip("demo", ip)
    return _complete_url(demo.demo_user_id(), DEFAULT_NEXT)


class AuthFormState(FieldErrors, rx.State):
    """Errors and the busy flag of the two forms (never the password)."""

    error: str = ""
    busy: bool = False
    demo_available: bool = False
    totp_step: bool = False  # the password was right; the form asks for the code
    notice: str = ""  # "check your inbox" after a sign-up
    _pending_ticket: str = ""  # server side only (second_step.py), never sent to the browser

    @rx.var
    def code_error(self) -> str:
        return self.field_errors.get("code", "")

    @rx.event
    def clear(self) -> None:
        self.error, self.field_errors, self.busy = "", {}, False
        self.totp_step, self._pending_ticket, self.notice = False, "", ""
        self.demo_available = demo.demo_enabled()
        if self.router.url.query_parameters.get("error") == "expired":
            self.error = render(EXPIRED)
        self.notice = deleted_notice(self.router.url.query_parameters)  # after a deletion

    @rx.event
    async def submit_login(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        next_path = self.router.url.query_parameters.get("next", DEFAULT_NEXT)
        ip = self.router.session.client_ip
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        async for event in self._run(_login, email, password, ip, next_path):
            yield event

    @rx.event
    async def submit_code(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        """The second step: the 6-digit code (or a recovery code) for the pending ticket."""
        next_path = self.router.url.query_parameters.get("next", DEFAULT_NEXT)
        code = str(form.get("code", ""))[:64]
        ticket, ip = self._pending_ticket, self.router.session.client_ip
        if not ticket:
            self.totp_step, self.error = False, render(second_step.PENDING_INVALID)
            return
        async for event in self._run(_second_step, ticket, code, ip, next_path):
            yield event

    @rx.event
    def cancel_code(self) -> None:
        """Back to the password step (the pending ticket is dropped)."""
        self.totp_step, self._pending_ticket = False, ""
        self.error, self.field_errors, self.busy = "", {}, False

    @rx.event
    async def submit_signup(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if password != str(form.get("confirm", "")):
            self.error, self.field_errors = "", {"confirm": _("The two passwords differ.")}
            return
        async for event in self._run(_signup, email, password, self.router.session.client_ip):
            yield event

    @rx.event
    async def submit_confirm(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        """/confirm?token=…: the emailed link's token and the account's password."""
        token = str(self.router.url.query_parameters.get("token", ""))[:200]
        password = str(form.get("password", ""))
        async for event in self._run(_confirm, token, password, self.router.session.client_ip):
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
            self.busy, self.error = False, error_text(exc)
            self.field_errors = field_texts(exc.fields)
            if exc.message == second_step.PENDING_INVALID:  # the ticket is gone: start again
                self.totp_step, self._pending_ticket = False, ""
            return
        if url == CHECK_INBOX:
            self.busy, self.notice = False, render(auth.CHECK_INBOX)
            return
        if url.startswith(SECOND_STEP):
            self._pending_ticket = url.removeprefix(SECOND_STEP)
            self.totp_step, self.busy = True, False
            return
        yield go_to(url)  # busy stays on while the browser leaves the page

"""/forgot, /reset and the notice /login shows after a reset (docs/account.md).

/forgot answers `password_reset.SENT` whatever the address, before any look-up: the answer is
shown first, then the request is handled (the same use case as `POST
/api/auth/password/forgot`). /reset reads the link's token from the URL when the form is
sent (it is never kept in the state) and, once the password is set, sends the browser to
/login with a notice. Passwords only pass through the handlers' form arguments.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from exstrat_app import bootstrap, routes
from exstrat_app.i18n import N_, render
from exstrat_app.services.auth import account_mail, password_reset
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.notifications import push
from exstrat_app.state.base import go_to
from exstrat_app.state.field_errors import FieldErrors, error_text, field_texts

EMAIL_MAX_CHARS = 1000
PASSWORD_MAX_CHARS = 4096
EMAIL_REQUIRED = N_("Enter your email address.")
PASSWORDS_DIFFER = N_("The two passwords differ.")
NOTICE_PARAM, PASSWORD_CHANGED = "notice", "password-changed"
PASSWORD_CHANGED_NOTICE = N_("Password changed: sign in with your new password.")


def _check_ip(ip: str) -> None:
    bootstrap.auth_throttle().hit_ip("forgot", ip)


def _forgot(email: str) -> None:
    """The whole request, after the page has shown its answer."""
    with bootstrap.unit_of_work() as session:
        link = password_reset.request_reset(session, email, throttle=bootstrap.auth_throttle())
    if link is not None:  # after the commit: the link works when it arrives
        password_reset.send_reset_link(bootstrap.settings(), link)


def _reset(token: str, password: str, ip: str) -> None:
    bootstrap.auth_throttle().hit_ip("reset", ip)
    with bootstrap.unit_of_work() as session:
        user = password_reset.reset_password(session, token=token, password=password)
        email, user_id, locale = user.email, user.id, user.locale
    account_mail.send_password_changed(bootstrap.settings(), email, kept_one=False, locale=locale)
    push.announce_signed_out(bootstrap.redis(), user_id=user_id)


def login_after_reset() -> str:
    return f"{routes.LOGIN}?{urlencode({NOTICE_PARAM: PASSWORD_CHANGED})}"


class PasswordResetState(FieldErrors, rx.State):
    """Errors, the busy flag and the notices of /forgot, /reset and /login (never a token
    or a password)."""

    error: str = ""
    busy: bool = False
    sent: str = ""  # /forgot's answer, the same for every address
    login_notice: str = ""  # /login, after a reset

    @rx.event
    def clear(self) -> None:
        self.error, self.field_errors, self.busy, self.sent = "", {}, False, ""

    @rx.event
    def read_login_notice(self) -> None:
        """on_load of /login: "Password changed" when a reset sent the browser there."""
        changed = self.router.url.query_parameters.get(NOTICE_PARAM) == PASSWORD_CHANGED
        self.login_notice = render(PASSWORD_CHANGED_NOTICE) if changed else ""

    @rx.event
    async def submit_forgot(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        email = str(form.get("email") or "")[:EMAIL_MAX_CHARS].strip()
        form.clear()
        self.error, self.field_errors = "", {}
        if not email:
            self.field_errors = {"email": render(EMAIL_REQUIRED)}
            return
        try:
            await asyncio.to_thread(_check_ip, self.router.session.client_ip)
        except ServiceError as exc:  # too many from this network: says nothing of the address
            self.error = error_text(exc)
            return
        self.sent = render(password_reset.SENT)
        yield  # the answer is on the page before the address is even looked up
        await asyncio.to_thread(_forgot, email)

    @rx.event
    async def submit_reset(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        token = str(self.router.url.query_parameters.get("token", ""))[:EMAIL_MAX_CHARS]
        password = str(form.get("password") or "")[:PASSWORD_MAX_CHARS]
        again = str(form.get("confirm") or "")[:PASSWORD_MAX_CHARS]
        form.clear()
        self.error, self.field_errors = "", {}
        if password != again:
            self.field_errors = {"confirm": render(PASSWORDS_DIFFER)}
            return
        self.busy = True
        yield
        try:
            await asyncio.to_thread(_reset, token, password, self.router.session.client_ip)
        except ServiceError as exc:
            self.busy, self.error = False, error_text(exc)
            self.field_errors = field_texts(exc.fields)
            return
        yield go_to(login_after_reset())  # busy stays on while the browser leaves

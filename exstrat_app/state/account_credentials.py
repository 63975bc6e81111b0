"""The "Sign-in email" and "Password" cards of /account (docs/account.md).

The same use cases as `POST /api/auth/email/change` and `POST /api/auth/password/change`,
each in its own `bootstrap.unit_of_work()`; their emails go out once it has committed. The
passwords and the new address pass through the handlers' form arguments only (uncontrolled
inputs, the forms reset on submit); the state keeps the current address and the notices.

The email change link (`GET /api/auth/email/confirm`) lands here with `?email_change=`
changed, taken or invalid: the card says how it went.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, render
from exstrat_app.services import auth
from exstrat_app.services.auth import account_mail, email_change, password_change
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.notifications import push
from exstrat_app.state.base import (
    TO_LOGIN,
    current_user_id,
    load_for_user,
    request_session_token,
    user_data,
)
from exstrat_app.state.field_errors import error_text, field_texts

EMAIL_MAX_CHARS = 1000
PASSWORD_MAX_CHARS = 4096
PASSWORDS_DIFFER = N_("The two new passwords differ.")
PASSWORD_CHANGED = N_(
    "Password changed. Every other browser signed in to this account was signed out."
)
LINK_PARAM = "email_change"  # set by the link's redirect (api/credentials.py)
LINK_NOTICES = {
    "changed": N_("Done: this is your sign-in email now."),
    "taken": N_(
        "That address became another account's before the link was opened: nothing was changed."
    ),
}


def _email_of(user_id: str) -> str:
    with bootstrap.unit_of_work() as session:
        return auth.get_user(session, user_id).email


def _ask_email_change(user_id: str, new_email: str, password: str) -> str:
    with bootstrap.unit_of_work() as session:
        request = email_change.request_email_change(
            session, user_id, new_email=new_email, password=password,
            password_throttle=bootstrap.password_throttle(), limits=bootstrap.auth_throttle(),
        )  # fmt: skip
    email_change.send_change_emails(bootstrap.settings(), request)
    return email_change.sent_message(request.new_email)


def _change_password(user_id: str, current: str, new: str, keep_jti: str) -> None:
    with bootstrap.unit_of_work() as session:
        user = password_change.change_password(
            session, user_id, current=current, new=new, keep_jti=keep_jti,
            throttle=bootstrap.password_throttle(),
        )  # fmt: skip
        email, locale = user.email, user.locale
    account_mail.send_password_changed(bootstrap.settings(), email, kept_one=True, locale=locale)
    push.announce_signed_out(bootstrap.redis(), user_id=user_id)


def _form_text(form: dict[str, Any], name: str, limit: int) -> str:
    return str(form.get(name) or "")[:limit]


@user_data
class AccountCredentialsState(rx.State):
    email: str = ""  # the current sign-in address
    email_notice: str = ""
    email_error: str = ""
    email_fields: dict[str, str] = {}  # newEmail, password
    password_notice: str = ""
    password_error: str = ""
    password_fields: dict[str, str] = {}  # currentPassword, newPassword, confirm
    busy: str = ""  # "email" | "password": the form being sent

    @rx.var
    def new_email_error(self) -> str:
        return self.email_fields.get(email_change.NEW_EMAIL, "")

    @rx.var
    def email_password_error(self) -> str:
        return self.email_fields.get("password", "")

    @rx.var
    def current_password_error(self) -> str:
        return self.password_fields.get(password_change.CURRENT, "")

    @rx.var
    def new_password_error(self) -> str:
        return self.password_fields.get(password_change.NEW, "")

    @rx.var
    def confirm_error(self) -> str:
        return self.password_fields.get("confirm", "")

    def _loaded(self, email: str) -> None:
        self.email, self.email_error, self.email_notice = email, "", ""
        outcome = self.router.url.query_parameters.get(LINK_PARAM, "")
        if outcome == "invalid":
            self.email_error = render(email_change.LINK_INVALID)
        elif outcome in LINK_NOTICES:
            self.email_notice = render(LINK_NOTICES[outcome])

    def _load_failed(self, exc: ServiceError) -> None:
        self.email_error = error_text(exc)

    @rx.event
    async def load(self) -> Any:
        """on_mount of the email card: the address, and how a link just opened went."""
        return await load_for_user(self, _email_of, self._loaded, failed=self._load_failed)

    @rx.event
    async def submit_email(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        new_email = _form_text(form, "new_email", EMAIL_MAX_CHARS)
        password = _form_text(form, "email_password", PASSWORD_MAX_CHARS)
        form.clear()
        user_id = await current_user_id(self)
        if user_id is None:
            yield TO_LOGIN
            return
        self.busy, self.email_error, self.email_notice, self.email_fields = "email", "", "", {}
        yield
        try:
            notice = await asyncio.to_thread(_ask_email_change, user_id, new_email, password)
        except ServiceError as exc:
            self.email_error, self.email_fields = error_text(exc), field_texts(exc.fields)
            return
        finally:
            self.busy = ""
        self.email_notice = render(notice)

    @rx.event
    async def submit_password(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        current = _form_text(form, "current_password", PASSWORD_MAX_CHARS)
        new = _form_text(form, "new_password", PASSWORD_MAX_CHARS)
        again = _form_text(form, "new_password_again", PASSWORD_MAX_CHARS)
        form.clear()
        user_id = await current_user_id(self)
        if user_id is None:
            yield TO_LOGIN
            return
        self.password_error, self.password_notice, self.password_fields = "", "", {}
        if new != again:
            self.password_fields = {"confirm": render(PASSWORDS_DIFFER)}
            return
        keep = session_jti(bootstrap.settings(), request_session_token(self))
        self.busy = "password"
        yield
        try:
            await asyncio.to_thread(_change_password, user_id, current, new, keep)
        except ServiceError as exc:
            self.password_error = error_text(exc)
            self.password_fields = field_texts(exc.fields)
            return
        finally:
            self.busy = ""
        self.password_notice = render(PASSWORD_CHANGED)

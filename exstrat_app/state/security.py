"""/security: two-factor sign-in (services/auth/totp.py): set it up, see it on, make new
recovery codes (the old die), turn it off.

Set-up asks for the password first (a stolen session must not enrol its own app) and ends
the user's other sessions, this one kept; it shows the new secret (its QR code and the text
to type) until the first code from the app confirms it; the ten recovery codes are shown
once, then dropped from the state as soon as the person says they are saved. The password
and codes only pass through the handlers' arguments (uncontrolled inputs); they are never
kept here.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import _
from exstrat_app.services.auth import totp
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.notifications import push
from exstrat_app.state.base import load_for_user, request_session_token, user_data
from exstrat_app.state.display import ago_text
from exstrat_app.state.field_errors import error_text, field_texts


def _status(user_id: str) -> totp.TotpStatus:
    with bootstrap.unit_of_work() as session:
        return totp.status(session, user_id)


def _start(user_id: str, password: str, keep_jti: str) -> totp.Enrolment:
    with bootstrap.unit_of_work() as session:
        enrolment = totp.start_enrolment(
            session, bootstrap.secret_box(), user_id, password=password,
            throttle=bootstrap.password_throttle(), keep_jti=keep_jti,
        )  # fmt: skip
    # After the commit: the ended sessions' open tabs are sent to sign in at once.
    push.announce_signed_out(bootstrap.redis(), user_id=user_id)
    return enrolment


def _confirm(user_id: str, code: str) -> tuple[list[str], totp.TotpStatus]:
    with bootstrap.unit_of_work() as session:
        codes = totp.confirm_enrolment(session, bootstrap.secret_box(), user_id, code)
        return codes, totp.status(session, user_id)


def _disable(user_id: str, password: str, code: str) -> totp.TotpStatus:
    with bootstrap.unit_of_work() as session:
        totp.disable(
            session,
            bootstrap.secret_box(),
            bootstrap.redis(),
            user_id,
            password=password,
            code=code,
        )
        return totp.status(session, user_id)


def _regenerate(user_id: str, password: str, code: str) -> tuple[list[str], totp.TotpStatus]:
    with bootstrap.unit_of_work() as session:
        codes = totp.regenerate_recovery_codes(
            session,
            bootstrap.secret_box(),
            bootstrap.redis(),
            user_id,
            password=password,
            code=code,
        )
        return codes, totp.status(session, user_id)


@user_data
class SecurityState(rx.State):
    loaded: bool = False
    enabled: bool = False
    enabled_since: str = ""
    recovery_left: int = 0
    # Set-up in progress: what the authenticator app needs (cleared once confirmed).
    secret: str = ""
    otpauth_uri: str = ""
    qr_svg: str = ""
    # Shown once, right after set-up.
    recovery_codes: list[str] = []
    busy: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}
    notice: str = ""

    @rx.var
    def enrolling(self) -> bool:
        return self.secret != ""

    @rx.var
    def code_error(self) -> str:
        return self.field_errors.get("code", "")

    @rx.var
    def password_error(self) -> str:
        return self.field_errors.get("password", "")

    def _show_status(self, view: totp.TotpStatus) -> None:
        self.loaded, self.busy = True, False
        self.enabled = view.enabled
        self.enabled_since = ago_text(view.enabled_at) if view.enabled_at else ""
        self.recovery_left = view.recovery_codes_left

    def _failed(self, exc: ServiceError) -> None:
        self.busy, self.error = False, error_text(exc)
        self.field_errors = field_texts(exc.fields)

    def _begin(self) -> None:
        self.busy, self.error, self.field_errors, self.notice = True, "", {}, ""

    @rx.event
    async def load(self) -> Any:
        self.secret, self.otpauth_uri, self.qr_svg, self.recovery_codes = "", "", "", []
        self.error, self.field_errors, self.notice = "", {}, ""
        return await load_for_user(self, _status, self._show_status, failed=self._failed)

    def _show_enrolment(self, enrolment: totp.Enrolment) -> None:
        self.busy = False
        self.secret, self.otpauth_uri = enrolment.secret, enrolment.uri
        self.qr_svg = totp.qr_data_uri(enrolment.uri)

    @rx.event
    async def start(self, form: dict[str, Any]) -> Any:
        """Set-up, after the password (read from the form once, never kept)."""
        password = str(form.get("password", ""))[:4096]
        form.clear()
        keep_jti = session_jti(bootstrap.settings(), request_session_token(self))
        return await load_for_user(
            self,
            lambda user_id: _start(user_id, password, keep_jti),
            self._show_enrolment,
            failed=self._failed,
            start=self._begin,
        )

    @rx.event
    def cancel(self) -> None:
        self.secret, self.otpauth_uri, self.qr_svg = "", "", ""
        self.error, self.field_errors = "", {}

    def _show_confirmed(self, result: tuple[list[str], totp.TotpStatus]) -> None:
        codes, view = result
        self._show_status(view)
        self.secret, self.otpauth_uri, self.qr_svg = "", "", ""
        self.recovery_codes = codes
        self.notice = _("Two-factor sign-in is on.")

    @rx.event
    async def confirm(self, form: dict[str, Any]) -> Any:
        code = str(form.get("code", ""))[:64]
        return await load_for_user(
            self,
            lambda user_id: _confirm(user_id, code),
            self._show_confirmed,
            failed=self._failed,
            start=self._begin,
        )

    @rx.event
    def codes_saved(self) -> None:
        self.recovery_codes = []

    def _show_disabled(self, view: totp.TotpStatus) -> None:
        self._show_status(view)
        self.notice = _("Two-factor sign-in is off.")

    @rx.event
    async def disable(self, form: dict[str, Any]) -> Any:
        password = str(form.get("password", ""))[:4096]
        code = str(form.get("code", ""))[:64]
        return await load_for_user(
            self,
            lambda user_id: _disable(user_id, password, code),
            self._show_disabled,
            failed=self._failed,
            start=self._begin,
        )

    def _show_regenerated(self, result: tuple[list[str], totp.TotpStatus]) -> None:
        codes, view = result
        self._show_status(view)
        self.recovery_codes = codes
        self.notice = _("New recovery codes made: the old ones no longer work.")

    @rx.event
    async def regenerate(self, form: dict[str, Any]) -> Any:
        """Ten new recovery codes for the password and a current code from the app."""
        password = str(form.get("password", ""))[:4096]
        code = str(form.get("code", ""))[:64]
        return await load_for_user(
            self,
            lambda user_id: _regenerate(user_id, password, code),
            self._show_regenerated,
            failed=self._failed,
            start=self._begin,
        )

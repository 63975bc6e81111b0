"""/account: take all my data away, and delete my account (services/account,
docs/account-data.md).

The download is the API's own file: the button has the browser fetch `GET /api/me/export`
(same origin, carried by the httpOnly cookie: no token in any URL), streamed from a spooled
file, so a big account's zip never passes through the websocket or a state variable.

The deletion reads the password, the code and the typed confirmation from the submitted form
once (uncontrolled inputs); they are never kept here. Once the account is gone, this tab
signs out as logout does and lands on /login, which says the account was deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from exstrat_app import bootstrap, routes
from exstrat_app.i18n import N_, render
from exstrat_app.services.account import archive, erasure
from exstrat_app.services.auth import totp
from exstrat_app.services.errors import ServiceError
from exstrat_app.state.base import (
    TO_LOGIN,
    SessionState,
    current_user_id,
    load_for_user,
    user_data,
)
from exstrat_app.state.field_errors import FieldErrors, error_text, field_texts
from exstrat_app.state.guard import forget_connection_session

EXPORT_URL = "/api/me/export"
CONFIRM_WORD = "DELETE"
TYPE_DELETE = N_("Type {word} (in capitals) to confirm.", word=CONFIRM_WORD)
DELETED = "deleted"  # what the deletion's round returns once the account is gone
NOTICE_PARAM, NOTICE_DELETED = "notice", "account-deleted"
DELETED_MESSAGE = N_(
    "Your account and all its data were deleted, and a goodbye email is on its way. "
    "Remember to delete your API keys at the exchange too."
)
# The cookie is httpOnly: only a response clears it (POST /api/auth/logout, as logout does),
# then a full load of /login with the notice.
SIGNED_OUT_SCRIPT = (
    "fetch('/api/auth/logout', {method: 'POST', credentials: 'same-origin'})"
    f".finally(() => window.location.assign('{routes.LOGIN}?{NOTICE_PARAM}={NOTICE_DELETED}'))"
)


def deleted_notice(query: Mapping[str, Any]) -> str:
    """What /login says after a deletion (its query string), else ""."""
    return render(DELETED_MESSAGE) if query.get(NOTICE_PARAM) == NOTICE_DELETED else ""


def _two_factor_on(user_id: str) -> bool:
    with bootstrap.unit_of_work() as session:
        return totp.status(session, user_id).enabled


def _delete(user_id: str, password: str, code: str) -> str:
    with bootstrap.unit_of_work() as session:
        farewell = erasure.delete_account(
            session, bootstrap.secret_box(), bootstrap.redis(), user_id,
            password=password, code=code, throttle=bootstrap.password_throttle(),
        )  # fmt: skip
    # Committed: now the queued jobs can go and the goodbye be sent.
    erasure.after_deletion(farewell, redis=bootstrap.redis(), settings=bootstrap.settings())
    return DELETED


@user_data
class AccountDataState(FieldErrors, rx.State):
    two_factor: bool = False  # the deletion asks for a code too
    busy: bool = False
    error: str = ""

    @rx.var
    def code_error(self) -> str:
        return self.field_errors.get(erasure.CODE_FIELD, "")

    def _failed(self, exc: ServiceError) -> None:
        self.busy, self.error = False, error_text(exc)
        self.field_errors = field_texts(exc.fields)

    def _begin(self) -> None:
        self.busy, self.error, self.field_errors = True, "", {}

    def _show_two_factor(self, on: bool) -> None:
        self.two_factor = on

    @rx.event
    async def load(self) -> Any:
        self.busy, self.error, self.field_errors = False, "", {}
        return await load_for_user(self, _two_factor_on, self._show_two_factor,
                                   failed=self._failed)  # fmt: skip

    @rx.event
    async def download_all(self) -> Any:
        """The browser fetches the zip from the API, with its own cookie."""
        if await current_user_id(self) is None:
            return TO_LOGIN
        return rx.download(
            url=EXPORT_URL, filename=archive.archive_filename(datetime.now(UTC).date())
        )

    def _deleted(self, outcome: str) -> str:
        self.busy = False
        return outcome

    @rx.event
    async def delete_account(self, form: dict[str, Any]) -> Any:
        password = str(form.get("password", ""))[:4096]
        code = str(form.get("code", ""))[:64]
        confirmed = str(form.get("confirm", "")).strip() == CONFIRM_WORD
        form.clear()
        if not confirmed:
            self.error, self.field_errors = "", {"confirm": render(TYPE_DELETE)}
            return None
        outcome = await load_for_user(
            self,
            lambda user_id: _delete(user_id, password, code),
            self._deleted,
            failed=self._failed,
            start=self._begin,
        )
        if outcome != DELETED:
            return outcome
        return await self._sign_out()

    async def _sign_out(self) -> rx.event.EventSpec:
        """What logout does, with nothing to revoke: the session died with its user."""
        forget_connection_session(self.router.session.client_token)
        signed_in = await self.get_state(SessionState)
        await signed_in._forget_user_data()
        signed_in._user_id, signed_in.email = "", ""
        signed_in._checked_sid, signed_in._checked_at = "", 0.0
        return rx.call_script(SIGNED_OUT_SCRIPT)

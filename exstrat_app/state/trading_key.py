"""The trading key of each exchange account on /exchanges: its status, the form
that adds (or replaces) it, and its removal.

The same use cases as `PUT|DELETE /api/exchanges/{id}/trading-key`
(`services.execution.with_password`: both need the password again), each in its own
`bootstrap.unit_of_work()` that commits when the block ends. Like the read-key form, the key,
secret and password inputs are uncontrolled form fields: their values pass through `save` or
`remove` only, go straight to the service (which checks the password, then checks the key with
the exchange and seals it) and are cleared after the call; they are never kept in a state
var, sent back or logged. The forms are reset after submit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _, render
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.exchanges import accounts
from exstrat_app.services.execution import trading_keys, with_password
from exstrat_app.services.execution.trading_keys import TradingKeyView
from exstrat_app.state.base import TO_LOGIN, current_user_id, load_for_user, user_data
from exstrat_app.state.display import when_text
from exstrat_app.state.field_errors import error_text
from exstrat_app.state.field_limits import (
    EXCHANGE_FIELD_MAX_CHARS,
    invalid_fields_text,
    text_refusal,
)

log = logging.getLogger(__name__)

HELP = N_(
    "Optional, for placing orders (confirm and auto modes). Create a second key restricted "
    "to this server's IP address that may trade spot ('Enable Spot & Margin Trading' on "
    "Binance, 'Trade' on Coinbase) and never withdraw or transfer: exstrat refuses any other. "
    "The secret is encrypted at rest and never shown again."
)
ID_MAX_CHARS = 64
PASSWORD_MAX_CHARS = 4096
# The form's input names -> the limits the read-key form applies to the same fields.
FIELDS = {"tk_api_key": "api_key", "tk_api_secret": "api_secret"}


STATUS_WORDS = {"none": N_("none"), "ok": N_("ok"), "refused": N_("refused")}


def key_status(view: TradingKeyView | None) -> dict[str, str]:
    """The status (none / ok / refused, what the page compares), its word in the reader's
    language (`status_text`) and its detail."""
    if view is None:
        status, detail = "none", _("No trading key: orders cannot be placed.")
    elif view.status == "ok":
        status, detail = "ok", _("checked at {when}", when=when_text(view.checked_at))
    else:
        status = view.status
        detail = render(view.problem) or _("refused by the last check")
    text = render(STATUS_WORDS.get(status, status))
    return {"status": status, "status_text": text, "detail": detail}


def _load(user_id: str) -> dict[str, dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        return {
            a.id: key_status(
                trading_keys.show_trading_key(session, user_id=user_id, account_id=a.id)
            )
            for a in accounts.list_accounts(session, user_id=user_id)
        }


def _save(user_id: str, account_id: str, form: dict[str, str]) -> dict[str, str]:
    with bootstrap.unit_of_work() as session:
        view = with_password.set_trading_key(
            session, bootstrap.secret_box(), user_id=user_id, account_id=account_id,
            api_key=form["tk_api_key"], api_secret=form["tk_api_secret"],
            password=form["tk_password"], throttle=bootstrap.password_throttle(),
        )  # fmt: skip
    return key_status(view)


def _remove(user_id: str, account_id: str, password: str) -> None:
    with bootstrap.unit_of_work() as session:
        with_password.remove_trading_key(
            session, user_id=user_id, account_id=account_id, password=password,
            throttle=bootstrap.password_throttle(),
        )  # fmt: skip


def _account_id(form: dict[str, Any]) -> str | None:
    account_id = form.get("account_id")
    if not isinstance(account_id, str) or not 0 < len(account_id) <= ID_MAX_CHARS:
        return None
    return account_id


@user_data
class TradingKeyState(rx.State):
    # account id -> {"status": none|ok|refused, "detail": ...}; never the key itself
    keys: dict[str, dict[str, str]] = {}
    # account id -> why the last submitted key was refused (the service's message)
    errors: dict[str, str] = {}
    saving: str = ""  # the account whose key is being checked
    load_error: str = ""

    def _loaded(self, keys: dict[str, dict[str, str]]) -> None:
        self.keys, self.load_error = keys, ""

    def _load_failed(self, exc: ServiceError) -> None:
        self.keys, self.load_error = {}, error_text(exc)

    @rx.event(background=True)
    async def load(self) -> Any:
        return await load_for_user(self, _load, self._loaded, failed=self._load_failed)

    def _set_error(self, account_id: str, message: str) -> None:
        self.errors = {**self.errors, account_id: message}

    @rx.event
    async def save(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        """The form's values pass through here only; nothing of the key is kept."""
        user_id = await current_user_id(self)
        if user_id is None:
            yield TO_LOGIN
            return
        account_id = _account_id(form)
        if account_id is None:
            form.clear()
            yield rx.toast.error(_("No such exchange account."))
            return
        refused = {
            name: problem
            for field, name in FIELDS.items()
            if (problem := text_refusal(form.get(field) or "", EXCHANGE_FIELD_MAX_CHARS[name]))
        }
        if refused:  # before anything is sent to an exchange
            form.clear()
            self._set_error(account_id, invalid_fields_text(refused))
            return
        key = {k: str(form.get(k) or "") for k in (*FIELDS, "tk_password")}
        key["tk_password"] = key["tk_password"][:PASSWORD_MAX_CHARS]
        form.clear()
        self.saving = account_id
        self._set_error(account_id, "")
        yield
        try:
            status = await asyncio.to_thread(_save, user_id, account_id, key)
        except ServiceError as exc:
            self._set_error(account_id, error_text(exc))
            return
        finally:
            key.clear()
            self.saving = ""
        self.keys = {**self.keys, account_id: status}
        yield rx.toast.success(_("Trading key checked and saved."))

    @rx.event
    async def remove(self, form: dict[str, Any]) -> Any:
        """The removal form: the account and the password (used once, never kept)."""
        account_id = _account_id(form)
        password = str(form.get("password") or "")[:PASSWORD_MAX_CHARS]
        form.clear()
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        if account_id is None:
            return rx.toast.error(_("No such exchange account."))
        try:
            await asyncio.to_thread(_remove, user_id, account_id, password)
        except ServiceError as exc:
            self._set_error(account_id, error_text(exc))
            return None
        self.keys = {**self.keys, account_id: key_status(None)}
        self._set_error(account_id, "")
        return rx.toast.info(_("Trading key removed: orders can no longer be placed."))

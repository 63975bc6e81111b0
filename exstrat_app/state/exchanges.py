"""/exchanges: connect an exchange account (read-only key), sync it, watch the sync, delete it.

The key, secret and passphrase inputs are uncontrolled form fields: they reach `add` as the
submitted form and go straight to the service (which tests and encrypts them); they are never
stored in this state, never sent back, and the form is reset after submit.

While a sync is queued or running, a background task re-reads the accounts every
`POLL_SECONDS` (the database row is the truth: status, progress, last error). A sync just
requested shows as "queued" until its job starts and flips the row to "syncing".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import reflex as rx
from redis.exceptions import RedisError

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _, render, translate
from exstrat_app.services.errors import ServiceError
from exstrat_app.services.exchanges import accounts, scheduling
from exstrat_app.services.exchanges.accounts import AccountView
from exstrat_app.state.base import TO_LOGIN, current_user_id, load_for_user, user_data
from exstrat_app.state.display import ago_text
from exstrat_app.state.field_errors import error_text, field_texts
from exstrat_app.state.field_limits import (
    EXCHANGE_FIELD_MAX_CHARS,
    invalid_fields_text,
    text_refusal,
)

log = logging.getLogger(__name__)

# Labels are lazy messages (a `Msg` is the English text): render them where they are shown.
EXCHANGES = {"binance": N_("Binance (spot)"), "coinbase": N_("Coinbase (Advanced Trade)")}
NEEDS_PASSPHRASE: frozenset[str] = frozenset()  # neither Binance nor Coinbase CDP keys use one
POLL_SECONDS = 0.5
QUEUED_TIMEOUT_SECONDS = 120.0  # a requested sync that never starts stops being "queued"
MAX_WATCH_SECONDS = 30 * 60
STATUS_TEXT = {"connected": N_("Connected"), "syncing": N_("Syncing"), "error": N_("Error"),
               "queued": N_("Queued")}  # fmt: skip


# The key worked and is stored, but the sync could not be queued (Redis unreachable).
SYNC_NOT_STARTED = N_(
    "{name}: the read-only key works and is saved, but the sync could not start (the job "
    "queue is unreachable). It starts at the next periodic sync, or press Sync now later."
)
QUEUE_DOWN = N_("The sync could not start: the job queue is unreachable. Try again in a minute.")
SEPARATOR = " · "  # between the progress and the time left


def eta_text(seconds: int | None) -> str:
    """The estimated time left, after the progress (" · about 45 s left"); nothing when
    unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return SEPARATOR + _("about {n} s left", n=max(1, seconds))
    minutes, rest = divmod(seconds, 60)
    if minutes >= 60:
        return SEPARATOR + _("over an hour left")
    return SEPARATOR + _("about {minutes} min {seconds} s left", minutes=minutes,
                         seconds=f"{rest:02d}")  # fmt: skip


def account_row(account: AccountView) -> dict[str, str]:
    done, total = account.progress_done or 0, account.progress_total or 0
    status = account.status or "connected"
    label = render(EXCHANGES.get(account.exchange, account.exchange))
    return {
        "id": account.id,
        "exchange": label,
        "nickname": account.nickname or label,
        "status": status,
        "status_text": render(STATUS_TEXT.get(status, status.capitalize())),
        "last_sync": ago_text(account.last_sync_at),
        "synced_at": account.last_sync_at.isoformat() if account.last_sync_at else "",
        "last_error": render(account.last_error or ""),
        "progress": str(min(100, done * 100 // total) if total else 0),
        "progress_text": (
            _("{done} of {total} parts done", done=done, total=total) if total else _("starting…")
        )
        + eta_text(account.progress_eta_s if status == "syncing" else None),
        # Demo accounts talk only to the simulated exchange; the page says so.
        "demo": "yes" if account.is_demo else "",
    }


def queued(row: dict[str, str]) -> dict[str, str]:
    return {**row, "status": "queued", "status_text": render(STATUS_TEXT["queued"]),
            "progress": "0", "progress_text": _("waiting for a worker…"),
            "last_error": ""}  # fmt: skip


class Added(NamedTuple):
    account_id: str
    name: str
    sync_started: bool  # False: stored, but the first sync could not be queued


def _list(user_id: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        return [account_row(a) for a in accounts.list_accounts(session, user_id=user_id)]


def _add(user_id: str, form: dict[str, str]) -> Added:
    """Test the key, store it sealed, start the first sync.

    The account is committed before the sync is asked for: the key was checked and is
    valid, so it stays stored even when the queue is down (the periodic re-sync, or the
    Sync button, starts it later); the person then reads that the sync did not start."""
    with bootstrap.unit_of_work() as session:
        account = accounts.add_account(
            session,
            bootstrap.secret_box(),
            user_id=user_id,
            exchange=form["exchange"],
            api_key=form["api_key"],
            api_secret=form["api_secret"],
            api_pass=form["api_pass"] or None,
            nickname=form["nickname"] or None,
            max_accounts=bootstrap.settings().max_accounts_per_user,
        )
    name = account.nickname or render(EXCHANGES.get(account.exchange, account.exchange))
    try:
        _sync(user_id, account.id)
    except RedisError:
        log.warning(
            "account %s added; its first sync could not be queued", account.id, exc_info=True
        )
        return Added(account.id, name, sync_started=False)
    return Added(account.id, name, sync_started=True)


def _sync(user_id: str, account_id: str) -> None:
    with bootstrap.unit_of_work() as session:
        scheduling.request_sync(
            session, user_id=user_id, account_id=account_id, redis=bootstrap.redis()
        )


def _delete(user_id: str, account_id: str) -> None:
    with bootstrap.unit_of_work() as session:
        accounts.delete_account(session, user_id=user_id, account_id=account_id)


@user_data
class ExchangesState(rx.State):
    accounts: list[dict[str, str]] = []
    loading: bool = False
    loaded: bool = False
    exchange: str = "binance"
    adding: bool = False
    add_error: str = ""
    add_fields: dict[str, str] = {}
    add_result: str = ""
    error: str = ""
    _watching: bool = False
    # account id -> (its last sync time when the sync was asked for, when it was asked)
    _requested: dict[str, tuple[str, float]] = {}

    @rx.var
    def needs_passphrase(self) -> bool:
        return self.exchange in NEEDS_PASSPHRASE

    @rx.var
    def busy(self) -> bool:
        return any(a["status"] in ("syncing", "queued") for a in self.accounts)

    @rx.event
    def set_exchange(self, value: str) -> None:
        if value in EXCHANGES:
            self.exchange = value

    def _show(self, rows: list[dict[str, str]]) -> None:
        """The rows as stored, except a requested sync that has not started shows queued."""
        now, shown, requested = time.monotonic(), [], dict(self._requested)
        for row in rows:
            request = requested.get(row["id"])
            if request is not None:
                synced_before, asked_at = request
                started = row["status"] == "syncing"
                ended = row["synced_at"] != synced_before or row["status"] == "error"
                if started or ended or now - asked_at > QUEUED_TIMEOUT_SECONDS:
                    requested.pop(row["id"])
                elif row["status"] != "syncing":
                    row = queued(row)
            shown.append(row)
        self.accounts, self._requested = shown, requested

    def _ask(self, account_id: str) -> None:
        row = next((a for a in self.accounts if a["id"] == account_id), None)
        asked = (row["synced_at"] if row else "", time.monotonic())
        self._requested = {**self._requested, account_id: asked}

    def _start_loading(self) -> None:
        self.loading = True

    def _loaded(self, rows: list[dict[str, str]], error: str = "") -> Any:
        self._show(rows)
        self.error, self.loading, self.loaded = error, False, True
        if self.busy and not self._watching:
            return ExchangesState.watch
        return None

    def _load_failed(self, exc: ServiceError) -> Any:
        return self._loaded([], error_text(exc))

    @rx.event(background=True)
    async def load(self) -> Any:
        return await load_for_user(
            self, _list, self._loaded, failed=self._load_failed, start=self._start_loading
        )

    @rx.event(background=True)
    async def watch(self) -> None:
        """Re-read the accounts while one is queued or syncing (a live progress bar)."""
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self._watching:
                return
            self._watching = True
        try:
            deadline = time.monotonic() + MAX_WATCH_SECONDS
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_SECONDS)
                rows = await asyncio.to_thread(_list, user_id)
                async with self:
                    self._show(rows)
                    if not self.busy:
                        break
        finally:
            async with self:
                self._watching = False

    @rx.event
    async def add(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        """The form's values pass through here only; nothing of the key is kept."""
        user_id = await current_user_id(self)
        if user_id is None:
            yield TO_LOGIN
            return
        refused = {
            name: problem
            for name, limit in EXCHANGE_FIELD_MAX_CHARS.items()
            if (problem := text_refusal(form.get(name) or "", limit))
        }
        if refused:  # before anything is kept or sent to an exchange
            self.add_fields, self.add_result = refused, ""
            self.add_error = invalid_fields_text(refused)
            return
        fields = {k: str(form.get(k, "") or "") for k in
                  ("api_key", "api_secret", "api_pass", "nickname")}  # fmt: skip
        fields["exchange"] = self.exchange
        self.adding, self.add_error, self.add_fields, self.add_result = True, "", {}, ""
        yield
        try:
            added = await asyncio.to_thread(_add, user_id, fields)
        except ServiceError as exc:
            self.add_fields = _field_names(field_texts(exc.fields))
            # Once is enough: no banner repeating what a field already says.
            self.add_error = "" if exc.message in exc.fields.values() else error_text(exc)
            self.adding = False
            return
        finally:
            fields.clear()
        self.adding = False
        if not added.sync_started:
            self.add_result = translate(SYNC_NOT_STARTED.msgid, name=added.name)
            yield ExchangesState.load
            return
        self._requested = {**self._requested, added.account_id: ("", time.monotonic())}
        self.add_result = _(
            "{name}: the read-only key works. The first sync has started.", name=added.name
        )
        yield [ExchangesState.load, ExchangesState.watch]

    @rx.event
    async def sync_now(self, account_id: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        try:
            await asyncio.to_thread(_sync, user_id, account_id)
        except ServiceError as exc:
            return rx.toast.error(error_text(exc))
        except RedisError:
            log.warning("sync of account %s could not be queued", account_id, exc_info=True)
            return rx.toast.error(render(QUEUE_DOWN))
        self._ask(account_id)
        self._show([dict(a) for a in self.accounts])
        return ExchangesState.watch

    @rx.event
    async def delete(self, account_id: str) -> Any:
        user_id = await current_user_id(self)
        if user_id is None:
            return TO_LOGIN
        try:
            await asyncio.to_thread(_delete, user_id, account_id)
        except ServiceError as exc:
            return rx.toast.error(error_text(exc))
        self.accounts = [a for a in self.accounts if a["id"] != account_id]
        return rx.toast.info(_("Exchange account removed, with its balances and history."))

    @rx.var
    def error_for_key(self) -> str:
        return self.add_fields.get("api_key", "")

    @rx.var
    def error_for_secret(self) -> str:
        return self.add_fields.get("api_secret", "")


def _field_names(fields: dict[str, str]) -> dict[str, str]:
    """The service's camelCase field names -> this form's input names."""
    names = {"apiKey": "api_key", "apiSecret": "api_secret", "apiPass": "api_pass"}
    return {names.get(k, k): v for k, v in fields.items()}

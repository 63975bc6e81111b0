"""The "Personal API tokens" card of /security (services/auth/api_tokens.py): make a token,
see it once, list and revoke tokens.

The same use cases as `/api/tokens`, each in its own `bootstrap.unit_of_work()`. A new token's
value is the one secret this app ever keeps in a state var: `new_token` holds it only until
the person presses "Done" (or opens the page again: `load` clears it; or signs out: the state
is reset), so that it can be shown and copied once; it is never logged, and the list only
ever holds hints (docs/api-tokens-and-sessions.md).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.services.auth import api_tokens
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.state.base import load_for_user, user_data
from exstrat_app.state.display import ago_text, when_text

ID_MAX_CHARS = 64
NAME_MAX_CHARS = 1000  # the service says what is too long; this only bounds the input
DAYS_REFUSED = "Expiry: a whole number of days from 1 to 365, or empty for never."


def token_row(view: api_tokens.TokenView) -> dict[str, str]:
    return {
        "id": view.id,
        "name": view.name,
        "scope": view.scope,
        "hint": view.hint,
        "created": when_text(view.created_at),
        "expires": when_text(view.expires_at) if view.expires_at else "never",
        "last_used": ago_text(view.last_used_at),
    }


def parse_days(text: str) -> int | None:
    """The form's expiry: "" is never, else whole days (the service checks the range)."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 4:
        raise InvalidInput(DAYS_REFUSED, fields={"expiresInDays": DAYS_REFUSED})
    return int(cleaned)


def _list(user_id: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        return [token_row(view) for view in api_tokens.list_tokens(session, user_id)]


def _create(user_id: str, name: str, scope: str, days: str) -> tuple[str, list[dict[str, str]]]:
    with bootstrap.unit_of_work() as session:
        created = api_tokens.create_token(
            session, user_id, name=name, scope=scope, expires_in_days=parse_days(days)
        )
    return created.token, _list(user_id)


def _revoke(user_id: str, token_id: str) -> list[dict[str, str]]:
    with bootstrap.unit_of_work() as session:
        api_tokens.revoke_token(session, user_id, token_id)
    return _list(user_id)


@user_data
class ApiTokensState(rx.State):
    tokens: list[dict[str, str]] = []  # id, name, scope, hint, created, expires, last_used
    # The token just made, shown once: kept only until "Done" (the one secret allowed in a
    # state var; never logged).
    new_token: str = ""
    loaded: bool = False
    busy: bool = False
    error: str = ""
    field_errors: dict[str, str] = {}

    @rx.var
    def name_error(self) -> str:
        return self.field_errors.get("name", "")

    @rx.var
    def days_error(self) -> str:
        return self.field_errors.get("expiresInDays", "")

    def _show(self, rows: list[dict[str, str]]) -> None:
        self.tokens, self.loaded, self.busy = rows, True, False

    def _failed(self, exc: ServiceError) -> None:
        self.busy, self.error, self.field_errors = False, exc.message, dict(exc.fields)

    def _begin(self) -> None:
        self.busy, self.error, self.field_errors = True, "", {}

    @rx.event
    async def load(self) -> Any:
        self.new_token, self.error, self.field_errors = "", "", {}
        return await load_for_user(self, _list, self._show, failed=self._failed)

    def _created(self, result: tuple[str, list[dict[str, str]]]) -> None:
        token, rows = result
        self._show(rows)
        self.new_token = token

    @rx.event
    async def create(self, form: dict[str, Any]) -> Any:
        name = str(form.get("name", ""))[:NAME_MAX_CHARS]
        scope = str(form.get("scope", "read"))[:20]
        days = str(form.get("days", ""))[:20]
        return await load_for_user(
            self,
            lambda user_id: _create(user_id, name, scope, days),
            self._created,
            failed=self._failed,
            start=self._begin,
        )

    @rx.event
    def done(self) -> None:
        """The person has the token: drop it from the state for good."""
        self.new_token = ""

    @rx.event
    async def revoke(self, token_id: str) -> Any:
        target = str(token_id)[:ID_MAX_CHARS]
        return await load_for_user(
            self,
            lambda user_id: _revoke(user_id, target),
            self._show,
            failed=self._failed,
            start=self._begin,
        )

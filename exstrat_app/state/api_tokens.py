"""The "Personal API tokens" card of /security (services/auth/api_tokens.py): make a token,
see it once, list and revoke tokens.

The same use cases as `/api/tokens`, each in its own `bootstrap.unit_of_work()`. A new token's
value never enters a state var (a state is kept in the state store): the handler sends it to
the page once, by script, into the element that shows it; "Done", a reload or leaving the
page take it away. It is never logged, and the list only ever holds hints
(docs/api-tokens-and-sessions.md).
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from exstrat_app import bootstrap
from exstrat_app.i18n import N_, _
from exstrat_app.services.auth import api_tokens
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.state.base import load_for_user, user_data
from exstrat_app.state.display import ago_text, when_text
from exstrat_app.state.field_errors import error_text, field_texts

ID_MAX_CHARS = 64
NAME_MAX_CHARS = 1000  # the service says what is too long; this only bounds the input
DAYS_REFUSED = N_("Expiry: a whole number of days from 1 to 365, or empty for never.")


def token_row(view: api_tokens.TokenView) -> dict[str, str]:
    return {
        "id": view.id,
        "name": view.name,
        "scope": view.scope,
        "hint": view.hint,
        "created": when_text(view.created_at),
        "expires": when_text(view.expires_at) if view.expires_at else _("never"),
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


TOKEN_ELEMENT = "api-token-value"  # noqa: S105 - an element id
# Copies what the page shows: the token is nowhere else on the client.
COPY_TOKEN_SCRIPT = (
    f"navigator.clipboard.writeText(document.getElementById('{TOKEN_ELEMENT}').textContent)"
)


def show_token_script(token: str) -> str:
    """Writes the new token into its element once the page has drawn it."""
    return (
        "(function put(tries){const e=document.getElementById("
        + json.dumps(TOKEN_ELEMENT)
        + ");if(e){e.textContent="
        + json.dumps(token)
        + ";}"
        "else if(tries>0){requestAnimationFrame(()=>put(tries-1));}})(600)"
    )


@user_data
class ApiTokensState(rx.State):
    tokens: list[dict[str, str]] = []  # id, name, scope, hint, created, expires, last_used
    # Whether the token just made is on screen. The token itself never enters the state (a
    # state is kept in the state store): it goes to the page once, by script, into the
    # element that shows it (`show_token_script`), and is gone with "Done" or a reload.
    token_shown: bool = False
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
        self.busy, self.error = False, error_text(exc)
        self.field_errors = field_texts(exc.fields)

    def _begin(self) -> None:
        self.busy, self.error, self.field_errors = True, "", {}

    @rx.event
    async def load(self) -> Any:
        self.token_shown, self.error, self.field_errors = False, "", {}
        return await load_for_user(self, _list, self._show, failed=self._failed)

    def _created(self, result: tuple[str, list[dict[str, str]]]) -> Any:
        token, rows = result
        self._show(rows)
        self.token_shown = True
        return rx.call_script(show_token_script(token))

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
        """The person has the token: the element that showed it goes away."""
        self.token_shown = False

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

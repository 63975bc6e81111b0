"""Personal API tokens over HTTP (services/auth/api_tokens.py):

    POST   /api/tokens {name, scope: "read"|"write", expiresInDays: 1..365 | null}
           -> 201 {id, name, scope, hint, createdAt, expiresAt, token}   (token: shown once)
    GET    /api/tokens       -> [{id, name, scope, hint, createdAt, expiresAt, lastUsedAt}]
    DELETE /api/tokens/{id}  -> 204: revoked, its next call is 401

Only with the session cookie: no token may manage tokens (api/token_access.py). The other
`/api/tokens/{asset}` routes are the portfolio's view of one crypto asset (api/portfolio.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.api.schemas import Body
from exstrat_app.i18n import N_
from exstrat_app.services.auth import api_tokens
from exstrat_app.services.errors import InvalidInput

router = APIRouter(tags=["personal tokens"])

EXPIRY_REQUIRED = N_("Say when the token expires: expiresInDays from 1 to 365, or null for never.")


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    # Checked by the service, which words the messages.
    name: str = Field(default="", max_length=1000)
    scope: str = Field(default="", max_length=20)
    expires_in_days: int | None = Field(default=None, alias="expiresInDays")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class ApiTokenOut(Body):
    id: str
    name: str
    scope: str
    hint: str  # the token's first characters, to recognise it ("exs_AbCd…")
    created_at: str
    expires_at: str | None  # null: never
    last_used_at: str | None

    @classmethod
    def of(cls, view: api_tokens.TokenView) -> ApiTokenOut:
        return cls(
            id=view.id,
            name=view.name,
            scope=view.scope,
            hint=view.hint,
            created_at=view.created_at.isoformat(),
            expires_at=_iso(view.expires_at),
            last_used_at=_iso(view.last_used_at),
        )


class CreatedApiTokenOut(Body):
    id: str
    name: str
    scope: str
    hint: str
    created_at: str
    expires_at: str | None
    token: str  # the only time the value is ever shown

    @classmethod
    def of(cls, created: api_tokens.CreatedToken) -> CreatedApiTokenOut:
        view = created.view
        return cls(
            id=view.id,
            name=view.name,
            scope=view.scope,
            hint=view.hint,
            created_at=view.created_at.isoformat(),
            expires_at=_iso(view.expires_at),
            token=created.token,
        )


@router.post("/api/tokens", status_code=201, response_model=CreatedApiTokenOut)
def create_token(
    body: ApiTokenIn, user_id: CurrentUserId, session: SessionDep
) -> CreatedApiTokenOut:
    """A new token; its value is in this answer only (store it now). 409 at 20 tokens."""
    if "expires_in_days" not in body.model_fields_set:
        # No silent default: a token that never expires is a choice, said with null.
        raise InvalidInput(EXPIRY_REQUIRED, fields={"expiresInDays": N_("required (or null)")})
    created = api_tokens.create_token(
        session,
        user_id,
        name=body.name,
        scope=body.scope,
        expires_in_days=body.expires_in_days,
    )
    return CreatedApiTokenOut.of(created)


@router.get("/api/tokens", response_model=list[ApiTokenOut])
def list_tokens(user_id: CurrentUserId, session: SessionDep) -> list[ApiTokenOut]:
    """Your tokens, newest first; never their values."""
    return [ApiTokenOut.of(view) for view in api_tokens.list_tokens(session, user_id)]


@router.delete("/api/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(token_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    """Revoke a token at once (404 for an id that is not one of yours)."""
    api_tokens.revoke_token(session, user_id, token_id)
    return Response(status_code=204)

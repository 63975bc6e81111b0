"""FastAPI dependencies shared by every /api router: unit of work, signed-in user (by session
cookie or personal token), client IP.

    @router.get("/api/things")
    def things(user_id: CurrentUserId, session: SessionDep) -> ...

`SessionDep` is the request's unit of work: the use cases only add and flush; it commits once
when the route has returned, or rolls back when it raised. Its scope is "function", so the
commit runs before the response is sent: a failed commit is the request's 500, never a 200
for data that was not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from redis import Redis
from sqlmodel import Session

from exstrat_app import bootstrap
from exstrat_app.services import auth
from exstrat_app.services.auth.api_tokens import TokenIdentity
from exstrat_app.services.errors import Unauthorized
from exstrat_app.settings import Settings


def get_session() -> Iterator[Session]:
    with bootstrap.unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_settings() -> Settings:
    return bootstrap.settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


def session_token(request: Request) -> str | None:
    return request.cookies.get(auth.SESSION_COOKIE) or None


# The ASGI scope key where api/token_access.py leaves the outcome of a bearer token: its
# identity, or None when it did not verify. Absent: the request carried no token.
BEARER = "exstrat.bearer"


def bearer_of_scope(scope: dict[str, Any]) -> TokenIdentity | None:
    found = scope.get(BEARER)
    return found if isinstance(found, TokenIdentity) else None


# Declared for the OpenAPI document only (the docs show both ways in); the middlewares and
# `current_user_id` do the reading.
cookie_scheme = APIKeyCookie(
    name=auth.SESSION_COOKIE,
    scheme_name="sessionCookie",
    description="The browser's session, set by `POST /api/auth/login` (httpOnly).",
    auto_error=False,
)
bearer_scheme = HTTPBearer(
    scheme_name="personalToken",
    bearerFormat="exs_…",
    description=(
        "A personal API token (`Authorization: Bearer exs_…`), made on the Security page or "
        "with `POST /api/tokens`. A read token may only GET; a write token may also change "
        "the portfolio, strategies, openings and notifications. No token may manage tokens, "
        "sessions, the password, the email, two-factor sign-in, exchange keys, order "
        "execution or the account (403). See docs/api-tokens-and-sessions.md."
    ),
    auto_error=False,
)


def current_user_id(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _cookie: Annotated[str | None, Depends(cookie_scheme)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The caller's user id: a personal token's (already verified and checked against the
    rule table at the door, api/token_access.py), else the session cookie's; 401 `{"error":
    ...}` when the cookie is missing or invalid, expired, revoked, or its user is gone."""
    if BEARER in request.scope:
        identity = bearer_of_scope(request.scope)
        if identity is None:  # the door answers 401 first; never fall back to a cookie
            raise Unauthorized(auth.NOT_SIGNED_IN)
        return identity.user_id
    token = session_token(request)
    if not token:
        raise Unauthorized(auth.NOT_SIGNED_IN)
    return auth.verify_session_token(session, settings, token)


CurrentUserId = Annotated[str, Depends(current_user_id)]


def client_ip_from_scope(scope: dict[str, Any]) -> str:
    """The client's IP for an ASGI scope.

    With EXSTRAT_PROXY_HOPS=N, the N-th address from the right of X-Forwarded-For (the one
    our outermost trusted proxy saw); addresses further left are client-controlled.
    """
    hops = bootstrap.settings().proxy_hops
    if hops:
        forwarded = ",".join(
            value.decode("latin-1")
            for name, value in scope.get("headers") or ()
            if name.lower() == b"x-forwarded-for"
        )
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
        if chain:
            return chain[0]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def client_ip(request: Request) -> str:
    return client_ip_from_scope(request.scope)


ClientIp = Annotated[str, Depends(client_ip)]


def redis_client() -> Redis:
    return bootstrap.redis()


RedisDep = Annotated[Redis, Depends(redis_client)]

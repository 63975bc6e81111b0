"""FastAPI dependencies shared by every /api router: database session, signed-in user, client IP.

    @router.get("/api/things")
    def things(user_id: CurrentUserId, session: SessionDep) -> ...

Sessions are not committed here: the services commit their own writes (the exit code of a
`yield` dependency runs after the response has been sent, too late to report a failure).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from redis import Redis
from sqlmodel import Session

from exstrat_app.infra.db.engine import get_engine
from exstrat_app.infra.redis import get_redis
from exstrat_app.services.auth import core as auth
from exstrat_app.services.errors import Unauthorized

SESSION_COOKIE = "exstrat_session"

# How many reverse proxies (each appending to X-Forwarded-For) sit in front of the app.
# 0 (default): the TCP peer is the client. Behind one proxy (Render, Railway, nginx): 1.
PROXY_HOPS_ENV = "EXSTRAT_PROXY_HOPS"


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def current_user_id(request: Request, session: SessionDep) -> str:
    """The signed-in user's id; 401 `{"error": ...}` when the cookie is missing or invalid,
    expired, revoked, or its user is gone."""
    token = session_token(request)
    if not token:
        raise Unauthorized(auth.NOT_SIGNED_IN)
    return auth.verify_session_token(session, token)


CurrentUserId = Annotated[str, Depends(current_user_id)]


def _proxy_hops() -> int:
    try:
        return max(0, int(os.environ.get(PROXY_HOPS_ENV, "0")))
    except ValueError:
        return 0


def client_ip_from_scope(scope: dict[str, Any]) -> str:
    """The client's IP for an ASGI scope.

    With EXSTRAT_PROXY_HOPS=N, the N-th address from the right of X-Forwarded-For (the one
    our outermost trusted proxy saw); addresses further left are client-controlled.
    """
    hops = _proxy_hops()
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
    return get_redis()


RedisDep = Annotated[Redis, Depends(redis_client)]

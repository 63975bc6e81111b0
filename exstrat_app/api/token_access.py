"""Personal API tokens at the door of /api: who a bearer token speaks for, and the one rule
table of what it may call (docs/api-tokens-and-sessions.md).

    Authorization: Bearer exs_...

Two pure ASGI middlewares, installed around the rate limit by `api.security.install_security`:

`TokenAuthMiddleware` (outside the rate limit): a request with a bearer token loses its
cookie (a token never combines with a session: the token's rules apply, and nothing inside
can read the cookie), then the token is looked up (`services.auth.api_tokens.authenticate`,
its own unit of work, which also notes the token's use). The outcome goes in the ASGI scope
under `deps.BEARER`: the token's identity, or None when it did not verify. The rate limit then
keys the request by the token's user and id, or by the client's IP for a bad token.

`TokenRulesMiddleware` (inside the rate limit): a token that did not verify is 401; a route
the rule table does not grant to the token's scope is 403, before any route code runs or any
body is parsed. A route not in the table is refused: a new route is closed to tokens until
someone opens it here.

The Reflex websocket never sees these: its door (state/guard.py) reads only the session
cookie and drops any Authorization header from the handshake.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from exstrat_app import bootstrap
from exstrat_app.api.deps import BEARER, bearer_of_scope
from exstrat_app.api.errors import UNAVAILABLE, error_response
from exstrat_app.api.request_guard import is_api_path
from exstrat_app.i18n import N_
from exstrat_app.services.auth import api_tokens
from exstrat_app.services.errors import Unauthorized

READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

NEVER = N_(
    "Personal tokens cannot manage tokens, sessions, your password, email or two-factor "
    "sign-in, exchange keys and accounts, order execution, alert channels or the account "
    "itself: sign in with your password to do that."
)
READ_ONLY = N_(
    "This personal token may only read (GET): make a token with the write scope, or sign in "
    "with your password."
)


@dataclass(frozen=True)
class Rule:
    """Which methods a token may use on a path: `prefix` matches the path's first segments
    (`*` is any one segment); `exact` matches the path itself only, nothing below it."""

    prefix: str
    read: bool  # GET and HEAD, with any token
    write: bool  # POST, PUT, PATCH and DELETE, with a write token
    exact: bool = False

    def matches(self, segments: list[str]) -> bool:
        pattern = [part for part in self.prefix.split("/") if part]
        if len(segments) < len(pattern) or (self.exact and len(segments) != len(pattern)):
            return False
        return all(want in ("*", got) for want, got in zip(pattern, segments, strict=False))


# The one table. First match wins, so the narrow refusals come before the areas they cut
# out of; a path no rule matches is refused (default deny).
RULES: tuple[Rule, ...] = (
    # Never with a token: what a stolen script credential must not reach.
    Rule("/api/tokens", read=False, write=False, exact=True),  # personal tokens themselves
    Rule("/api/auth", read=False, write=False),  # sign-in, sessions, two-factor
    Rule("/api/account", read=False, write=False),  # password and email changes
    Rule("/api/me/export", read=False, write=False),  # the whole account's archive
    Rule("/api/exchanges/*/trading-key", read=False, write=False),
    Rule("/api/strategies/*/execution", read=False, write=False),  # execution mode
    Rule("/api/strategies/*/steps/*/confirm", read=False, write=False),  # place an order
    Rule("/api/channels", read=False, write=False),  # where alerts go (webhooks, push)
    Rule("/api/push", read=False, write=False),
    # Read only: looking is fine, changing is for a signed-in person.
    Rule("/api/me", read=True, write=False, exact=True),  # DELETE here deletes the account
    Rule("/api/tokens/*", read=True, write=False),  # one asset's view (not personal tokens)
    Rule("/api/exchanges", read=True, write=False),
    Rule("/api/orders", read=True, write=False),  # DELETE cancels an order
    Rule("/api/execution", read=True, write=False),
    # Read and write.
    Rule("/api/portfolio", read=True, write=True),
    Rule("/api/openings", read=True, write=True),
    Rule("/api/strategies", read=True, write=True),
    Rule("/api/notifications", read=True, write=True),
    Rule("/api/export", read=True, write=True),
    Rule("/api/prices", read=True, write=True),
)


def refusal(method: str, path: str, scope: str) -> str | None:
    """Why a token of `scope` may not call `method path` (the 403's words), or None."""
    segments = [part for part in path.split("/") if part]
    rule = next((r for r in RULES if r.matches(segments)), None)
    method = method.upper()
    if rule is None:
        return NEVER
    if method in READ_METHODS:
        return None if rule.read else NEVER
    if method not in WRITE_METHODS or not rule.write:
        return NEVER
    return None if scope == "write" else READ_ONLY


def bearer_token(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer ...` header ("" for an empty one), else None."""
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _identify(token: str) -> api_tokens.TokenIdentity | None:
    with bootstrap.unit_of_work() as session:
        try:
            return api_tokens.authenticate(session, token)
        except Unauthorized:
            return None


class TokenAuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope))
        if token is None:
            await self.app(scope, receive, send)
            return
        try:
            identity = await run_in_threadpool(_identify, token) if token else None
        except OperationalError:  # outside the routes' error handlers: answer as they would
            unavailable = error_response(
                503, "unavailable", UNAVAILABLE, headers={"Retry-After": "5"}
            )
            await unavailable(scope, receive, send)
            return
        # Neither the cookie nor the token itself travels further in: the scope says who.
        headers = [
            (name, value)
            for name, value in scope.get("headers") or ()
            if name.lower() not in (b"cookie", b"authorization")
        ]
        await self.app({**scope, "headers": headers, BEARER: identity}, receive, send)


class TokenRulesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or BEARER not in scope:
            await self.app(scope, receive, send)
            return
        identity = bearer_of_scope(scope)
        if identity is None:
            await error_response(401, "unauthorized", api_tokens.BAD_TOKEN)(scope, receive, send)
            return
        words = refusal(scope.get("method", "GET"), scope.get("path", ""), identity.scope)
        if words is not None:
            await error_response(403, "forbidden", words)(scope, receive, send)
            return
        await self.app(scope, receive, send)

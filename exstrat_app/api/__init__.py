"""The JSON API under /api (SPEC §5): thin routes over the same services as the pages."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every area's router, imported by name: a missing or misspelt module fails at start.
from exstrat_app.api import (
    account_data,
    api_tokens,
    auth,
    channels,
    credentials,
    exchanges,
    export,
    history,
    notifications,
    operations,
    orders,
    portfolio,
    sessions,
    strategies,
    totp,
)
from exstrat_app.api.errors import install_error_handlers
from exstrat_app.api.locale import LocaleMiddleware
from exstrat_app.api.request_guard import RequestGuardMiddleware
from exstrat_app.api.security import install_security
from exstrat_app.infra.logging import correlation_id, new_correlation_id

_SAFE_CID = re.compile(r"[A-Za-z0-9_-]{8,64}")
ROUTERS = (
    auth.router,
    credentials.router,  # password reset and change, email change
    totp.router,
    exchanges.router,
    portfolio.router,
    strategies.router,
    notifications.router,
    channels.router,
    orders.router,
    history.router,  # issue 16: the value history
    export.router,  # issue 16: CSV downloads
    account_data.router,  # take all my data away, delete my account
    sessions.router,  # the sessions signed in, and signing them out
    api_tokens.router,  # personal API tokens (docs/api-tokens-and-sessions.md)
    operations.router,  # a load balancer's health and readiness (docs/operations.md)
)


class CorrelationIdMiddleware:
    """One correlation id per request (X-Request-ID in and out), bound for every log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        cid = incoming if _SAFE_CID.fullmatch(incoming) else new_correlation_id()
        token = correlation_id.set(cid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", cid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)


def create_api() -> FastAPI:
    api = FastAPI(title="exstrat API", docs_url="/api/docs", openapi_url="/api/openapi.json")
    for router in ROUTERS:
        api.include_router(router)
    install_error_handlers(api)
    # Body size limit and unstorable text (NUL, lone surrogates) -> 413/422 instead of a 500.
    # Added before the security middlewares, so inside them: CSRF and the rate limit answer
    # before any body is read.
    api.add_middleware(RequestGuardMiddleware)
    install_security(api)
    # Outside the tokens' door: a probe's credentials are dropped before anyone reads them.
    api.add_middleware(operations.ProbeCredentialsMiddleware)
    api.add_middleware(LocaleMiddleware)  # error messages in the reader's language
    api.add_middleware(CorrelationIdMiddleware)  # outermost: every answer carries the id
    return api

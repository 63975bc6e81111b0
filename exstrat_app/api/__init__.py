"""The JSON API under /api (SPEC §5): thin routes over the same services as the pages."""

from __future__ import annotations

import importlib
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exstrat_app.api.request_guard import RequestGuardMiddleware
from exstrat_app.api.security import install_security
from exstrat_app.infra.logging import correlation_id, new_correlation_id
from exstrat_app.services.errors import ServiceError, TooManyRequests

log = logging.getLogger(__name__)
_SAFE_CID = re.compile(r"[A-Za-z0-9_-]{8,64}")

# Each area owns one router module exposing `router`; order does not matter.
ROUTER_MODULES = (
    "exstrat_app.api.auth",
    "exstrat_app.api.exchanges",
    "exstrat_app.api.portfolio",
    "exstrat_app.api.strategies",
    "exstrat_app.api.notifications",
)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


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
    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # area not built yet
        api.include_router(module.router)
    _install_error_handlers(api)
    # Body size limit and unstorable text (NUL, lone surrogates) -> 413/422 instead of a 500.
    # Added before the security middlewares, so inside them: CSRF and the rate limit answer
    # before any body is read.
    api.add_middleware(RequestGuardMiddleware)
    install_security(api)
    api.add_middleware(CorrelationIdMiddleware)  # outermost: every answer carries the id
    return api


# pydantic error types for a body that is not a JSON object (a list, null, or any body sent
# without `Content-Type: application/json`, which FastAPI then does not parse).
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def _body_error(message: str, field_message: str) -> JSONResponse:
    return JSONResponse(error_body("invalid", message, {"body": field_message}), status_code=422)


def _install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(ServiceError)
    async def _service_error(_req: Request, exc: ServiceError) -> JSONResponse:
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.fields), status_code=exc.status, headers=headers
        )

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        fields = {}
        for err in exc.errors():
            # The body as a whole is wrong: FastAPI's wording (and, for bad JSON, a byte
            # offset as the "field": {"1": "JSON decode error"}) would not tell the client.
            if err.get("type") == "json_invalid":
                return _body_error("The body is not valid JSON.", "invalid JSON")
            if tuple(err.get("loc", ())) == ("body",) and err.get("type") in _NOT_AN_OBJECT:
                return _body_error(
                    "Send a JSON object (Content-Type: application/json).", "must be a JSON object"
                )
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            fields[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
        return JSONResponse(
            error_body("invalid", "Some fields are invalid.", fields), status_code=422
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @api.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in /api")
        return JSONResponse(
            error_body("internal", "Something went wrong on our side; it has been logged."),
            status_code=500,
        )

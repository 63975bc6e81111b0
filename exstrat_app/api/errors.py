"""The one error body of /api, and the handlers that map every failure onto it.

    {"error": {"code": "invalid", "message": "Some fields are invalid.", "fields": {...}}}

Routes raise `ServiceError`s (the use cases' tree), FastAPI raises validation and HTTP errors,
the middlewares answer with `error_response` before any route runs: all of them go through
`error_body`, so a client parses one shape whatever refused the request.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from exstrat_app.api.validation_messages import field_message
from exstrat_app.i18n import N_, render
from exstrat_app.services.errors import ServiceError, TooManyRequests

log = logging.getLogger(__name__)

# pydantic error types for a body that is not a JSON object (a list, null, or any body sent
# without `Content-Type: application/json`, which FastAPI then does not parse).
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})
_HTTP_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}
# Starlette's own details (its status phrases), as messages of ours.
_HTTP_DETAILS = {str(m): m for m in (N_("Not Found"), N_("Method Not Allowed"), N_("Unauthorized"))}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, object]:
    """Messages in the request's language (api/locale.py); `code` stays the same."""
    shown = {key: render(text) for key, text in (fields or {}).items()}
    return {"error": {"code": code, "message": render(message), "fields": shown}}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


def _body_error(message: str, field_message: str) -> JSONResponse:
    return error_response(422, "invalid", message, {"body": field_message})


async def _service_error(_req: Request, exc: ServiceError) -> JSONResponse:
    headers = {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status, exc.code, exc.message, exc.fields, headers=headers)


async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
    fields = {}
    for err in exc.errors():
        # The body as a whole is wrong: FastAPI's wording (and, for bad JSON, a byte
        # offset as the "field": {"1": "JSON decode error"}) would not tell the client.
        if err.get("type") == "json_invalid":
            return _body_error(N_("The body is not valid JSON."), N_("invalid JSON"))
        if tuple(err.get("loc", ())) == ("body",) and err.get("type") in _NOT_AN_OBJECT:
            return _body_error(
                N_("Send a JSON object (Content-Type: application/json)."),
                N_("must be a JSON object"),
            )
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        fields[".".join(loc) or "body"] = field_message(err)
    return error_response(422, "invalid", N_("Some fields are invalid."), fields)


async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    return error_response(
        exc.status_code,
        code,
        _HTTP_DETAILS.get(str(exc.detail), str(exc.detail)),
        headers=getattr(exc, "headers", None),
    )


UNAVAILABLE = N_("exstrat cannot reach its database or queue right now; try again in a moment.")


async def _unavailable(_req: Request, exc: Exception) -> JSONResponse:
    # Redis or the database is down: the request was fine, the server is not (503, not 500).
    log.warning("a backing service is unreachable: %s", type(exc).__name__)
    return error_response(503, "unavailable", UNAVAILABLE, headers={"Retry-After": "5"})


async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in /api")
    return error_response(
        500, "internal", N_("Something went wrong on our side; it has been logged.")
    )


def install_error_handlers(api: FastAPI) -> None:
    # Starlette types a handler's exception as Exception; each is only called for its own.
    api.add_exception_handler(ServiceError, _service_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    for unreachable in (RedisConnectionError, RedisTimeoutError, OperationalError):
        api.add_exception_handler(unreachable, _unavailable)
    api.add_exception_handler(Exception, _unexpected)

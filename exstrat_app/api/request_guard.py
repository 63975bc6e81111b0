"""Input the database cannot hold, refused at the door of /api (pure ASGI middleware).

(a) Body size: at most MAX_BODY_BYTES (64 KB, far above any real request) per /api request,
    by Content-Length or counted while reading a chunked body -> 413 with the standard error
    body. Without it a JSON route would parse (and pydantic validate) any amount of data.
(b) Text the database cannot store (the one rule, infra/db/text.py, which the event guard
    uses too): a NUL character (PostgreSQL text refuses it: psycopg
    raises DataError) or a lone UTF-16 surrogate such as JSON's "\\ud800" (not encodable as
    UTF-8: both SQLite and psycopg raise UnicodeEncodeError). Reaching the database, either
    was a 500 (strategy `name`, login `email`, any `{id}` in a path). Here it is a 422 whose
    `fields` names the parameter or JSON path (`steps.0.targetPct`), checked in the path, the
    query string and any JSON body. A body that is not JSON is left to the route to refuse.

Websocket scopes and paths outside /api pass through untouched (Reflex's own endpoints).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exstrat_app.api.errors import error_response
from exstrat_app.i18n import N_
from exstrat_app.infra.db.text import UNSTORABLE_MESSAGE, unstorable_reason

# The most any /api request may send (the routes that read raw bodies use it too).
MAX_BODY_BYTES = 64 * 1024


def is_api_path(path: str) -> bool:
    """Whether a request path belongs to /api (the rest is Reflex's own endpoints)."""
    return path == "/api" or path.startswith("/api/")


# A load balancer's probes (api/operations.py): they answer for any Host, with no limit and
# whoever asks, and read nothing from the request (docs/operations.md).
HEALTH_PATH = "/api/health"
READY_PATH = "/api/ready"
PROBE_PATHS = frozenset({HEALTH_PATH, READY_PATH})


def is_probe_path(path: str) -> bool:
    return path in PROBE_PATHS


def json_problems(data: Any) -> dict[str, str]:
    """{dotted path: problem} for every unstorable string (or key) in parsed JSON."""
    problems: dict[str, str] = {}
    todo: list[tuple[str, Any]] = [("", data)]
    while todo:  # iterative: the parsed document may be ~1000 levels deep
        path, value = todo.pop()
        if isinstance(value, str):
            problem = unstorable_reason(value)
            if problem:
                problems.setdefault(path or "body", problem)
        elif isinstance(value, dict):
            for key, item in value.items():
                key_problem = unstorable_reason(key)
                if key_problem:
                    problems.setdefault(
                        path or "body", N_("has a key that {problem}", problem=key_problem)
                    )
                else:
                    todo.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            todo.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return problems


def _url_problems(scope: Scope) -> dict[str, str]:
    problems: dict[str, str] = {}
    path_problem = unstorable_reason(scope.get("path", ""))
    if path_problem:
        problems["path"] = path_problem
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        name_problem = unstorable_reason(name)
        if name_problem:
            problems.setdefault(
                "query", N_("has a parameter name that {problem}", problem=name_problem)
            )
        elif value_problem := unstorable_reason(value):
            problems.setdefault(name, value_problem)
    return problems


def _parse_json(body: bytes) -> Any:
    """The body as JSON (numbers kept as text: only strings are checked), or None."""
    try:
        return json.loads(body, parse_float=str, parse_int=str, parse_constant=str)
    except (ValueError, RecursionError):  # the route says what is wrong with it
        return None


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self) -> JSONResponse:
        kb = self.max_body_bytes // 1024
        return error_response(
            413,
            "too_large",
            N_("The request body is too large (at most {kb} KB).", kb=kb),
            {"body": N_("at most {kb} KB", kb=kb)},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        problems = _url_problems(scope)
        if problems:
            await error_response(422, "invalid", UNSTORABLE_MESSAGE, problems)(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large()(scope, receive, send)
            return

        # Read the whole (bounded) body, then hand it to the app as one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            data = _parse_json(body)
            problems = json_problems(data) if data is not None else {}
            if problems:
                await error_response(422, "invalid", UNSTORABLE_MESSAGE, problems)(
                    scope, receive, send
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as before

        await self.app(scope, replay, send)

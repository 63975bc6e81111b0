"""The door of Reflex's event socket (`/_event`): what reaches a state handler, and what does not.

Two pieces, installed by the app module (exstrat_app.py):

`SocketDoor` (ASGI, wraps the whole backend): a socket may only connect with a client token
the Reflex frontend itself makes (a UUID4). Shared-state tokens (the alert feed's `feed-...`)
can never be named as a client token, so no socket can load a shared state tree as its own.
It also takes the session cookie (and any Authorization header) *out* of the handshake before
Reflex sees it: Reflex keeps handshake headers in `router_data`, which it pickles into its
saved states and prints in some log lines. The cookie stays in this process's memory, per
client token, for the life of the connection (`connection_session`), which is where the
sign-in check (state/base.py) reads it; its verified claims (never the cookie) are also
recorded in Redis for the other web workers (`connection_identity`, state/door_registry.py).

`EventGuard` (a Reflex middleware: `preprocess` runs before every handler, under the state
lock): per event, in this order:
  1. rate limit per session (the signed-in session, else the client token) and per IP
     (`limits`, moving windows in the same Redis storage as the API's limit); the handlers
     that create or reach an exchange also count against the API's own per-user budget
     (`EXSTRAT_API_RATE_LIMIT`), so the socket is no way around it;
  2. the input guard of /api: no NUL, no lone surrogate, no string above MAX_TEXT
     characters, no payload above MAX_PAYLOAD_BYTES;
  3. an exstrat state's handler needs a session cookie that verifies (signature and
     expiry; the handler's own check also asks the database about revocation), except
     the sign-in states the app declares public.
A refused event runs nothing and answers with a toast (or nothing, when signed out).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import reflex as rx
from limits import RateLimitItem, parse, parse_many
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event, fix_events
from reflex_base.registry import RegistrationContext
from reflex_base.utils.format import format_event_handler
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exstrat_app import bootstrap, i18n
from exstrat_app.infra.db.text import UNSTORABLE_MESSAGE, unstorable_reason
from exstrat_app.services import auth
from exstrat_app.services.errors import Unauthorized
from exstrat_app.state import door_registry

log = logging.getLogger(__name__)

EVENT_PATH = "/_event"
# What Reflex's frontend generates (`generateUUID`) and its token manager hands out (uuid4).
# (The frontend's variant digit is (r & 7) | 8: any of 8-f, not only RFC 4122's 8-b.)
CLIENT_TOKEN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89a-f][0-9a-f]{3}-[0-9a-f]{12}")
_NEW_TOKEN = re.compile(r'^42[^\[]*\[\s*"new_token"\s*,\s*"([0-9a-f-]{36})"\s*\]$')
_PRIVATE_HEADERS = frozenset({b"cookie", b"authorization"})

# Above what a person types or clicks: a fast typist in the strategy dialog makes ~20 events
# a second (each key: its setter, then the preview it chains; chained events count too).
SESSION_LIMIT = "30/second;900/minute"
IP_LIMIT = "60/second;1800/minute"  # a few people behind one NAT
MAX_TEXT = 4096  # characters in any one string of a payload (an API secret PEM: ~300)
MAX_PAYLOAD_BYTES = 64 * 1024  # the /api body limit

RATE_MESSAGE = "Too many requests; please slow down."  # the API's 429 message
TOO_LONG_MESSAGE = f"Text is too long (at most {MAX_TEXT} characters)."
TOO_LARGE_MESSAGE = f"The request is too large (at most {MAX_PAYLOAD_BYTES // 1024} KB)."


# ---------------------------------------------------------------- the socket's door


@dataclass
class Connection:
    session_token: str  # the session cookie's value ("" when none); this process's memory only
    ip: str
    identity: door_registry.DoorSession | None = None  # its verified claims (shared in Redis)
    nonce: str = field(default_factory=door_registry.new_nonce)
    opened: float = field(default_factory=time.monotonic)


_CONNECTIONS: dict[str, Connection] = {}  # client token -> its live connection (this worker)


def connection_session(client_token: str) -> str:
    """The session cookie the socket of this client token connected with ("" if none), for a
    socket of this process (where its event handlers run)."""
    found = _CONNECTIONS.get(client_token)
    return found.session_token if found else ""


def connection_identity(client_token: str) -> door_registry.DoorSession | None:
    """The signed-in session of this client token's socket, whichever web worker holds it
    (this process's memory, else the door's record in Redis); None when signed out. Blocking
    (Redis): call it in a thread. The caller still checks revocation in the database."""
    found = _CONNECTIONS.get(client_token)
    if found is not None:
        return found.identity if found.identity and found.identity.live() else None
    return door_registry.lookup(bootstrap.redis(), client_token)


def connection_ip(client_token: str) -> str:
    found = _CONNECTIONS.get(client_token)
    return found.ip if found else ""


def forget_connection_session(client_token: str) -> None:
    """After a sign-out on this connection: it holds no session any more (here and in the
    record other workers read)."""
    found = _CONNECTIONS.get(client_token)
    if found is not None:
        found.session_token, identity, found.identity = "", found.identity, None
        if identity is not None:
            door_registry.withdraw(bootstrap.redis(), client_token, found.nonce)


def is_client_token(token: str) -> bool:
    return bool(CLIENT_TOKEN.fullmatch(token))


def _client_ip(scope: Scope, headers: list[tuple[bytes, bytes]]) -> str:
    """The TCP peer, or with EXSTRAT_PROXY_HOPS=N the N-th X-Forwarded-For entry from the right
    (the rule of api/deps.client_ip_from_scope)."""
    hops = bootstrap.settings().proxy_hops
    if hops:
        forwarded = ",".join(v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for")
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class SocketDoor:
    """ASGI wrapper: refuse foreign client tokens on /_event, keep the cookie out of Reflex."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] in ("http", "websocket") else ""
        if not (path == EVENT_PATH or path.startswith(EVENT_PATH + "/")):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        if not is_client_token(token):
            await _refuse(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        cookie = ";".join(v.decode("latin-1") for k, v in headers if k == b"cookie")
        jar = cookie_parser(cookie) if cookie else {}
        session_token = jar.get(auth.SESSION_COOKIE, "")
        kept = [(k, v) for k, v in headers if k not in _PRIVATE_HEADERS]
        locale = i18n.valid_locale(jar.get(i18n.LOCALE_COOKIE))
        if locale:  # the reader's language is no secret: Reflex may see that cookie alone
            kept.append((b"cookie", f"{i18n.LOCALE_COOKIE}={locale}".encode("latin-1")))
        scope = {**scope, "headers": kept}
        if scope["type"] != "websocket":  # polling is not enabled; pass it on, cookieless
            await self.app(scope, receive, send)
            return
        identity = door_registry.identity_of(bootstrap.settings(), session_token)
        mine = Connection(session_token, _client_ip(scope, headers), identity)
        _CONNECTIONS[token] = mine
        names = [token]
        await _share(mine, token)

        async def watch(message: Message) -> None:
            # A duplicated tab's token is replaced by Reflex (`new_token`): the connection
            # answers to that name too.
            text = message.get("text") if message["type"] == "websocket.send" else None
            if text and text.startswith("42") and "new_token" in text:
                found = _NEW_TOKEN.match(text)
                if found and is_client_token(found.group(1)):
                    _CONNECTIONS[found.group(1)] = mine
                    names.append(found.group(1))
                    await _share(mine, found.group(1))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            for name in names:
                if _CONNECTIONS.get(name) is mine:
                    del _CONNECTIONS[name]
            if mine.identity is not None:
                for name in names:
                    await asyncio.to_thread(
                        door_registry.withdraw, bootstrap.redis(), name, mine.nonce
                    )


async def _share(connection: Connection, client_token: str) -> None:
    """Record a signed-in connection for the other web workers (state/door_registry.py)."""
    if connection.identity is not None:
        await asyncio.to_thread(
            door_registry.publish,
            bootstrap.redis(),
            client_token,
            connection.nonce,
            connection.identity,
        )


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b'{"error": {"code": "forbidden", "message": "Unknown client token."}}'
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------- the payload check


def text_problem(text: str) -> str | None:
    """Why `text` may not enter (the /api rule of infra/db/text.py, plus a length), or None."""
    if unstorable_reason(text) is not None:
        return UNSTORABLE_MESSAGE
    if len(text) > MAX_TEXT:
        return TOO_LONG_MESSAGE
    return None


def payload_problem(payload: Any) -> str | None:
    """The first reason an event payload is refused, or None (iterative: any depth)."""
    try:
        size = len(json.dumps(payload, default=str, ensure_ascii=False).encode("utf-8", "replace"))
    except (TypeError, ValueError, RecursionError):
        return TOO_LARGE_MESSAGE
    if size > MAX_PAYLOAD_BYTES:
        return TOO_LARGE_MESSAGE
    todo: list[Any] = [payload]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return problem
        elif isinstance(value, dict):
            todo.extend(value.keys())
            todo.extend(value.values())
        elif isinstance(value, list | tuple):
            todo.extend(value)
    return None


# ---------------------------------------------------------------- the middleware


def _session_key(session_token: str, client_token: str) -> tuple[str, str | None]:
    """(rate-limit key, user id when the cookie verifies by signature)."""
    if session_token:
        try:
            claims = auth.decode_session_token(bootstrap.settings(), session_token)
            user_id = str(claims["sub"])
            jti = str(claims.get("jti") or hashlib.sha256(session_token.encode()).hexdigest())
            return f"s:{jti}", user_id
        except (Unauthorized, KeyError):
            pass
    return f"t:{client_token}", None


class EventGuard(Middleware):
    def __init__(
        self,
        *,
        public_states: Iterable[type[BaseState]],
        costly: Iterable[Any] = (),
        session_limit: str = SESSION_LIMIT,
        ip_limit: str = IP_LIMIT,
    ) -> None:
        self.public = frozenset(public_states)
        self.costly = frozenset(format_event_handler(h) for h in costly)
        self.session_items = parse_many(session_limit)
        self.ip_items = parse_many(ip_limit)
        self._limiter: MovingWindowRateLimiter | None = None

    def _api_item(self) -> RateLimitItem | None:
        text = bootstrap.settings().api_rate_limit.strip()
        return None if text.lower() in ("off", "none", "0", "") else parse(text)

    def _hits(self, session_key: str, ip: str, user_id: str | None, costly: bool) -> bool:
        """Count the event; False when a limit is exceeded (fails open without Redis)."""
        try:
            if self._limiter is None:
                self._limiter = MovingWindowRateLimiter(bootstrap.limits_storage())
            limiter = self._limiter
            ok = all([limiter.hit(item, "ws", session_key) for item in self.session_items])
            ok = all([limiter.hit(item, "ws-ip", ip) for item in self.ip_items]) and ok
            if ok and costly and user_id is not None and (api := self._api_item()) is not None:
                ok = limiter.hit(api, "api", f"user:{user_id}")  # the API's own budget
            return ok
        except (RedisError, StorageError, OSError):
            log.warning("event rate limit skipped: Redis unavailable", exc_info=True)
            return True

    def _is_public(self, event: Event) -> bool:
        handler = RegistrationContext.get().event_handlers.get(event.name)
        if handler is None:
            return True  # Reflex refuses unknown handlers itself (and runs nothing)
        cls = handler.states[0]
        return cls in self.public or not cls.__module__.startswith("exstrat_app.")

    async def preprocess(self, app: Any, state: BaseState, event: Event) -> StateUpdate | None:
        client_token = state.router.session.client_token
        headers = state.router.headers
        i18n.set_locale(i18n.request_locale(headers.cookie, headers.accept_language))
        session_token = connection_session(client_token)
        ip = connection_ip(client_token) or state.router.session.client_ip or "unknown"
        key, user_id = _session_key(session_token, client_token)
        costly = event.name in self.costly
        if not await asyncio.to_thread(self._hits, key, ip, user_id, costly):
            return _refusal(RATE_MESSAGE, client_token)
        problem = payload_problem(event.payload)
        if problem is not None:
            return _refusal(problem, client_token)
        if user_id is None and not self._is_public(event):
            log.info("event refused: no session", extra={"handler": event.name.rsplit(".")[-1]})
            return StateUpdate()
        return None


def _refusal(message: str, client_token: str) -> StateUpdate:
    return StateUpdate(events=fix_events([rx.toast.error(message)], client_token))

"""API-wide protections, as pure ASGI middleware on the FastAPI app (`install_security`).

The FastAPI app is Reflex's `api_transformer`: Reflex mounts its own backend (websocket,
/ping, uploads, and in prod the compiled pages) inside it, so these middlewares see every
HTTP request of the site. Headers apply to all of them; CSRF and rate limit to /api only.
Websocket scopes pass through untouched.

(a) CSRF: POST/PUT/PATCH/DELETE under /api need an `Origin` (else `Referer`) whose
    scheme+host+port is the request's own (Host header, with the request's scheme or
    X-Forwarded-Proto) or EXSTRAT_PUBLIC_URL; else 403 `{"error": {"code": "csrf"}}`.
    A request with neither header (curl, scripts) passes only without a session cookie.
    A request with a personal token (`Authorization: Bearer`) passes: it carries no cookie.
(b) Security headers on every response (CSP fit for the Reflex page), `no-store` on /api.
    `connect-src` is our own origin only ('self' and the ws/wss origin of EXSTRAT_PUBLIC_URL).
    `script-src` keeps 'unsafe-eval': Reflex runs every `rx.call_script` / `rx.call_function`
    the backend sends through `eval` (utils/state.js), and the pages' sign-in hand-over and
    logout are such scripts (state/base.py `go_to`, `LOGOUT_SCRIPT`); without it they stop.
(d) Host check (`HostCheckMiddleware`, outermost): a request (HTTP or websocket) whose `Host`
    is not EXSTRAT_PUBLIC_URL's host (loopback aliases when that is a loopback name, plus
    EXSTRAT_ALLOWED_HOSTS) is refused with 400 (DNS rebinding, poisoned absolute URLs), and
    a redirect's `Location` never carries the request's Host: an absolute URL on our own
    origin becomes a path (Starlette's trailing-slash redirect builds one from the Host).
(c) Rate limit on /api but its probes: EXSTRAT_API_RATE_LIMIT (default "100/5minute", "off"
    disables) per personal token (its user and id), per user (valid session JWT) else per
    client IP; moving window in Redis (`limits`) -> 429 + Retry-After; Redis down: fails open.

Refusals carry the API's one error body (`api.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exstrat_app import bootstrap
from exstrat_app.api.deps import BEARER, bearer_of_scope, client_ip_from_scope
from exstrat_app.api.errors import error_response
from exstrat_app.api.request_guard import PROBE_PATHS, is_api_path, is_probe_path
from exstrat_app.api.token_access import TokenAuthMiddleware, TokenRulesMiddleware
from exstrat_app.i18n import N_
from exstrat_app.services import auth as auth_service
from exstrat_app.services.errors import Unauthorized
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@lru_cache
def content_security_policy(public_url: str) -> str:
    """The pages' CSP for this public URL: fetches and the websocket only to our origin."""
    parts = urlsplit(public_url)
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    socket = f" {ws_scheme}://{parts.netloc}" if parts.netloc else ""
    return (
        "default-src 'self'; "
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        f"connect-src 'self'{socket}; "
        "font-src 'self' data:; "
        "frame-ancestors 'none'"
    )


# The policy for the default EXSTRAT_PUBLIC_URL (responses use the configured one).
CONTENT_SECURITY_POLICY = content_security_policy(str(Settings.model_fields["public_url"].default))
# FastAPI's Swagger UI (/api/docs) loads its script and styles from jsDelivr.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'"
)
# Besides the CSP (`content_security_policy`, from the configured public URL).
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})


# ---------------------------------------------------------------- (b) headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        api = is_api_path(path)
        docs = path in DOCS_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = content_security_policy(
                        bootstrap.settings().public_url
                    )
                if docs:
                    headers["content-security-policy"] = DOCS_CONTENT_SECURITY_POLICY
                if api and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- (a) CSRF


def normalise_origin(url: str | None) -> str | None:
    """'scheme://host:port' (default port made explicit), or None if not an origin."""
    if not url or url == "null":
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    port = port or (443 if scheme == "https" else 80)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def allowed_origins(scope: Scope, headers: Headers) -> set[str]:
    """The origins that count as this site for this request."""
    allowed: set[str] = set()
    host = headers.get("host")
    if host:
        schemes = {str(scope.get("scheme", "http"))}
        forwarded_proto = headers.get("x-forwarded-proto")
        if forwarded_proto:
            schemes.add(forwarded_proto.split(",")[0].strip().lower())
        for scheme in schemes:
            origin = normalise_origin(f"{scheme}://{host}")
            if origin:
                allowed.add(origin)
    public = normalise_origin(bootstrap.settings().public_url)
    if public:
        allowed.add(public)
    return allowed


def session_cookie_value(headers: Headers) -> str | None:
    """The session cookie as FastAPI will read it (same lenient parser)."""
    raw = headers.get("cookie")
    if not raw or auth_service.SESSION_COOKIE not in raw:
        return None
    return cookie_parser(raw).get(auth_service.SESSION_COOKIE) or None


def csrf_allows(scope: Scope) -> bool:
    if BEARER in scope:
        # A personal token: no cookie rides along (api/token_access.py drops it), and a page
        # of another site cannot make a browser send our token.
        return True
    headers = Headers(scope=scope)
    source = headers.get("origin")
    if source is None:
        source = headers.get("referer")
    if source is None:
        # Not a browser form/fetch (those send Origin on unsafe methods): fine as long as
        # it does not ride on a session cookie.
        return session_cookie_value(headers) is None
    origin = normalise_origin(source)
    return origin is not None and origin in allowed_origins(scope, headers)


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method", "GET").upper() in UNSAFE_METHODS
            and is_api_path(scope.get("path", ""))
            and not csrf_allows(scope)
        ):
            response = error_response(
                403, "csrf", N_("Cross-site request refused: it must come from this site's pages.")
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- (c) rate limit


def api_rate_limit(settings: Settings) -> RateLimitItem | None:
    text = settings.api_rate_limit.strip()
    if text.lower() in ("off", "none", "0", ""):
        return None
    return parse(text)


def rate_limit_key(scope: Scope) -> str:
    """`token:<user id>:<token id>` for a personal token that verified (api/token_access.py
    looked it up), `user:<id>` for a validly signed session token (no database check), else
    `ip:<ip>` (a bad token counts against its address)."""
    if BEARER in scope:
        identity = bearer_of_scope(scope)
        if identity is not None:
            return f"token:{identity.user_id}:{identity.token_id}"
        return f"ip:{client_ip_from_scope(scope)}"
    token = session_cookie_value(Headers(scope=scope))
    if token:
        try:
            claims = auth_service.decode_session_token(bootstrap.settings(), token)
            return f"user:{claims['sub']}"
        except Unauthorized:
            pass
    return f"ip:{client_ip_from_scope(scope)}"


class ApiRateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        item: RateLimitItem,
        storage_factory: Callable[[], Any] = bootstrap.limits_storage,
    ) -> None:
        self.app = app
        self.item = item
        self.storage_factory = storage_factory
        self._limiter: MovingWindowRateLimiter | None = None

    def _limiter_for(self) -> MovingWindowRateLimiter:
        if self._limiter is None:
            self._limiter = MovingWindowRateLimiter(self.storage_factory())
        return self._limiter

    def check(self, scope: Scope) -> int | None:
        """None when the request may go on, else the seconds to wait."""
        key = rate_limit_key(scope)
        try:
            limiter = self._limiter_for()
            if limiter.hit(self.item, "api", key):
                return None
            return auth_service.retry_after_seconds(limiter, self.item, "api", key)
        except (RedisError, StorageError, OSError):
            log.warning("api rate limit skipped: Redis unavailable", exc_info=True)
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") != "OPTIONS"
            and is_api_path(scope.get("path", ""))
            and not is_probe_path(scope.get("path", ""))  # a load balancer's, cheap and bounded
        ):
            retry_after = await run_in_threadpool(self.check, scope)
            if retry_after is not None:
                response = error_response(
                    429, "rate_limited", N_("Too many requests; please slow down."),
                    headers={"Retry-After": str(retry_after)},
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- (d) Host


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Health checks (Reflex's and ours) may call these by IP: they answer nothing about anyone.
HOST_EXEMPT_PATHS = frozenset({"/ping", "/_health", *PROBE_PATHS})
BAD_HOST_MESSAGE = N_("Unknown host: open this site at its public address.")


def host_name(host: str | None) -> str | None:
    """The lower-case name of a Host header ("Example.com:3000" -> "example.com"), or None."""
    if not host:
        return None
    try:
        parts = urlsplit(f"http://{host.strip()}")
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return None
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return None
    return parts.hostname or None


@lru_cache
def allowed_host_names(public_url: str, extra: str) -> frozenset[str]:
    names = {name.strip().lower().strip("[]") for name in extra.split(",") if name.strip()}
    public = (urlsplit(public_url).hostname or "").lower()
    if public:
        names.add(public)
    if public in LOOPBACK_NAMES:
        names |= LOOPBACK_NAMES  # a dev instance opened as localhost or 127.0.0.1
    return frozenset(names)


def host_allowed(headers: Headers) -> bool:
    settings = bootstrap.settings()
    name = host_name(headers.get("host"))
    return name is not None and name in allowed_host_names(
        settings.public_url, settings.allowed_hosts
    )


def _path_only(location: str, host: str) -> str:
    """An absolute Location on the request's own host, as a path (never echo the Host)."""
    try:
        parts = urlsplit(location)
    except ValueError:
        return location
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower():
        path = parts.path or "/"
        if path.startswith("//"):
            path = "/" + path.lstrip("/")
        return path + (f"?{parts.query}" if parts.query else "")
    return location


class HostCheckMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope.get("path", "") not in HOST_EXEMPT_PATHS and not host_allowed(headers):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            response = error_response(400, "bad_host", BAD_HOST_MESSAGE)
            await response(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = headers.get("host", "")

        async def send_relative_redirects(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                out = MutableHeaders(scope=message)
                location = out.get("location")
                if location:
                    out["location"] = _path_only(location, host)
            await send(message)

        await self.app(scope, receive, send_relative_redirects)


# ---------------------------------------------------------------- install


def install_security(api: FastAPI) -> None:
    """Add the four protections and the personal tokens' door (api/token_access.py); the
    headers middleware is outside CSRF, the tokens' door and the rate limit so that their
    401/403/429 answers carry the headers too; the Host check is outside them all (a foreign
    Host gets a bare 400)."""
    api.add_middleware(CsrfMiddleware)
    api.add_middleware(TokenRulesMiddleware)  # a token's 401/403, after it was counted
    item = api_rate_limit(bootstrap.settings())
    if item is not None:
        api.add_middleware(ApiRateLimitMiddleware, item=item)
    api.add_middleware(TokenAuthMiddleware)  # who a token is, before the limit keys by it
    api.add_middleware(SecurityHeadersMiddleware)
    api.add_middleware(HostCheckMiddleware)

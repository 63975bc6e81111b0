"""Accounts and sessions over HTTP (docs/sign-up.md): signup, confirm, login, logout, me, ticket
hand-over.

Sign-up never tells whether an email is taken (docs/sign-up.md): a taken
email is answered 201 with the same body shape (a made-up id), and the owner gets an email; a
new account gets a confirmation link instead, and signs in once confirmed (`POST
/api/auth/confirm`). Login of an unconfirmed account, with the right password only, is 403
`email_unconfirmed` (and a new link is sent).
The ticket hand-over only runs for a navigation that started on this site's own pages.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from exstrat_app import bootstrap, i18n
from exstrat_app.api.deps import (
    ClientIp,
    CurrentUserId,
    RedisDep,
    SessionDep,
    SettingsDep,
    client_ip,
    session_token,
)
from exstrat_app.api.errors import error_response
from exstrat_app.api.schemas import Body
from exstrat_app.api.security import allowed_origins, normalise_origin
from exstrat_app.models import User
from exstrat_app.services import auth as auth_service
from exstrat_app.services.auth import confirmation, second_step, session_list
from exstrat_app.services.errors import NotFound, Unauthorized
from exstrat_app.services.portfolio.history import request_refigure
from exstrat_app.settings import Settings

router = APIRouter(tags=["auth"])

DEFAULT_NEXT = "/portfolio"
EXPIRED_REDIRECT = "/login?error=expired"


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # Lengths and format are checked by the service, which words the messages.
    email: str = Field(default="", max_length=1000)
    password: str = Field(default="", max_length=4096)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str = Field(min_length=1, max_length=1000)
    password: str = Field(min_length=1, max_length=4096)


class SignedUpOut(BaseModel):
    id: str
    email: str


class UserOut(SignedUpOut):
    locale: Literal["en", "fr"] | None = None  # None: the pages follow the browser's language
    currency: Literal["USD", "EUR"] = "USD"  # the reporting currency (docs/currencies.md)

    @classmethod
    def of(cls, user: User) -> UserOut:
        prefs = auth_service.preferences_of(user)
        return cls(id=user.id, email=user.email, locale=prefs.locale, currency=prefs.currency)  # type: ignore[arg-type]


class PreferencesIn(Body):
    locale: Literal["en", "fr"] | None = None
    currency: Literal["USD", "EUR"] | None = None


class TotpRequiredOut(Body):
    """A right password for a user with two-factor on: no cookie yet; the ticket and a code
    go to `POST /api/auth/login/totp` (api/totp.py)."""

    totp_required: bool
    ticket: str
    expires_in: int


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        auth_service.SESSION_COOKIE,
        token,
        max_age=settings.jwt_ttl_seconds,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def start_session(
    request: Request, response: Response, session: Session, settings: Settings, user_id: str
) -> None:
    """Sign this browser in: a new session (recorded with its address and browser, for the
    sessions list) and its cookie on `response`."""
    token = session_list.start_session(
        session,
        settings,
        user_id=user_id,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    set_session_cookie(response, settings, token)
    chosen = auth_service.user_preferences(session, user_id).locale
    if chosen:  # the pages follow the user's saved language on this browser too
        response.set_cookie(
            i18n.LOCALE_COOKIE, chosen, max_age=400 * 24 * 3600, path="/", samesite="lax",
            secure=settings.secure_cookies,
        )  # fmt: skip


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        auth_service.SESSION_COOKIE,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def safe_next(target: str | None) -> str:
    """A same-site path ("/x...") to redirect to; anything else becomes /portfolio."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return DEFAULT_NEXT  # browsers read "/\evil.com" as "//evil.com"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return target


@router.post("/api/auth/signup", status_code=201)
def signup(
    body: SignupIn,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    redis: RedisDep,
    background: BackgroundTasks,
) -> SignedUpOut:
    """201 `{id, email}` for a new account, and the same for a taken email (nothing stored;
    the owner is emailed after the answer is sent). A new account gets its confirmation link
    by email: `POST /api/auth/confirm {token, password}` (or the /confirm page) signs it in;
    the instance's first account, or every one with EXSTRAT_REQUIRE_EMAIL_CONFIRMATION=0,
    signs in with `/api/auth/login` at once."""
    bootstrap.auth_throttle().hit_ip("signup", ip)
    outcome = auth_service.register(
        session,
        email=body.email,
        password=body.password,
        require_confirmation=settings.require_email_confirmation,
    )
    # The request's language, read now: the link goes to whoever is signing up.
    background.add_task(
        auth_service.tell_signup_outcome, settings, outcome, redis=redis,
        locale=i18n.current_locale(),
    )  # fmt: skip
    return SignedUpOut(id=outcome.user_id, email=outcome.email)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str = Field(default="", max_length=200)
    password: str = Field(default="", max_length=4096)


@router.post("/api/auth/confirm")
def confirm(
    body: ConfirmIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
) -> SignedUpOut:
    """Confirm a new account's address: the emailed link's token and the account's password;
    200 `{id, email}` and the session cookie. 401 for an unknown, used or expired link."""
    bootstrap.auth_throttle().hit_ip("confirm", ip)
    user = confirmation.confirm(session, token=body.token, password=body.password)
    start_session(request, response, session, settings, user.id)
    return SignedUpOut(id=user.id, email=user.email)


@router.post(
    "/api/auth/login",
    response_model=SignedUpOut | TotpRequiredOut,
    responses={202: {"model": TotpRequiredOut}, 403: {"description": "email not confirmed"}},
)
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    redis: RedisDep,
    background: BackgroundTasks,
) -> SignedUpOut | TotpRequiredOut | JSONResponse:
    user = auth_service.login(
        session,
        email=body.email,
        password=body.password,
        ip=ip,
        throttle=bootstrap.auth_throttle(),
    )
    if not auth_service.is_confirmed(user):
        # Only after the right password: 403 and a new link (the returned answer lets the
        # unit of work commit it), at most one per confirmation.RESEND_AFTER_SECONDS.
        link = confirmation.issue_link(session, user.id, only_if_quiet=True)
        if link:
            locale = user.locale or i18n.current_locale()  # the right password: the owner
            background.add_task(confirmation.send_link, settings, user.email, link, locale=locale)
        unconfirmed = auth_service.EmailUnconfirmed(auth_service.CONFIRM_FIRST)
        return error_response(unconfirmed.status, unconfirmed.code, unconfirmed.message)
    if second_step.needs_second_step(user):
        response.status_code = 202
        ticket = second_step.start_second_step(user_id=user.id, redis=redis)
        return TotpRequiredOut(
            totp_required=True, ticket=ticket, expires_in=second_step.PENDING_TTL_SECONDS
        )
    start_session(request, response, session, settings, user.id)
    return SignedUpOut(id=user.id, email=user.email)


@router.post("/api/auth/logout", status_code=204)
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    token = session_token(request)
    if token:
        auth_service.revoke_session_token(session, settings, token)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.get("/api/me")
def me(user_id: CurrentUserId, session: SessionDep) -> UserOut:
    try:
        return UserOut.of(auth_service.get_user(session, user_id))
    except NotFound:
        raise Unauthorized(auth_service.NOT_SIGNED_IN) from None


@router.patch("/api/me")
def change_me(
    body: PreferencesIn,
    response: Response,
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    background: BackgroundTasks,
) -> UserOut:
    """The user's language and reporting currency; the language also goes in this browser's
    `exstrat_locale` cookie, so the pages follow it at once."""
    before = auth_service.user_preferences(session, user_id).currency
    after = auth_service.change_preferences(
        session, user_id, locale=body.locale, currency=body.currency
    ).currency
    if after != before:  # the figures are rebuilt in the new currency by a worker
        background.add_task(request_refigure, user_id, redis=redis)
    if body.locale:
        response.set_cookie(
            i18n.LOCALE_COOKIE, body.locale, max_age=400 * 24 * 3600, path="/", samesite="lax",
            secure=settings.secure_cookies,
        )  # fmt: skip
    return UserOut.of(auth_service.get_user(session, user_id))


def started_here(request: Request) -> bool:
    """`Sec-Fetch-Site: same-origin`; a browser that sends no Sec-Fetch-Site must show an
    Origin or Referer of this site instead. Anything else (cross-site, same-site, none) is
    refused."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.strip().lower() == "same-origin"
    source = request.headers.get("origin") or request.headers.get("referer")
    origin = normalise_origin(source)
    return origin is not None and origin in allowed_origins(request.scope, request.headers)


@router.get("/api/auth/complete")
def complete(
    request: Request,
    redis: RedisDep,
    session: SessionDep,
    settings: SettingsDep,
    ticket: str = "",
    next_: Annotated[str, Query(alias="next")] = DEFAULT_NEXT,
) -> RedirectResponse:
    """End of the pages' sign-in: trade the single-use ticket for the session cookie."""
    # Only a navigation started by this site's own pages may sign this browser in (login
    # CSRF, also from a sibling subdomain: "same-site" is not enough).
    if not started_here(request):
        return RedirectResponse(EXPIRED_REDIRECT, status_code=303)
    try:
        user_id = auth_service.redeem_login_ticket(ticket=ticket, redis=redis)
    except Unauthorized:
        return RedirectResponse(EXPIRED_REDIRECT, status_code=303)
    response = RedirectResponse(safe_next(next_), status_code=303)
    start_session(request, response, session, settings, user_id)
    return response

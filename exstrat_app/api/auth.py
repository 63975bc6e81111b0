"""Accounts and sessions over HTTP (SPEC §5): signup, login, logout, me, ticket hand-over."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.deps import (
    ClientIp,
    CurrentUserId,
    RedisDep,
    SessionDep,
    SettingsDep,
    session_token,
)
from exstrat_app.models import User
from exstrat_app.services import auth as auth_service
from exstrat_app.services.errors import NotFound, Unauthorized
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


class UserOut(BaseModel):
    id: str
    email: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email)


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
def signup(body: SignupIn, session: SessionDep, ip: ClientIp) -> UserOut:
    bootstrap.auth_throttle().hit_ip("signup", ip)
    user = auth_service.signup(session, email=body.email, password=body.password)
    return UserOut.of(user)


@router.post("/api/auth/login")
def login(
    body: LoginIn, response: Response, session: SessionDep, settings: SettingsDep, ip: ClientIp
) -> UserOut:
    user = auth_service.login(
        session,
        email=body.email,
        password=body.password,
        ip=ip,
        throttle=bootstrap.auth_throttle(),
    )
    token = auth_service.issue_session_token(settings, user_id=user.id)
    set_session_cookie(response, settings, token)
    return UserOut.of(user)


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


@router.get("/api/auth/complete")
def complete(
    request: Request,
    redis: RedisDep,
    settings: SettingsDep,
    ticket: str = "",
    next_: Annotated[str, Query(alias="next")] = DEFAULT_NEXT,
) -> RedirectResponse:
    """End of the pages' sign-in: trade the single-use ticket for the session cookie."""
    # A navigation started by another site must not sign this browser in (login CSRF).
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return RedirectResponse(EXPIRED_REDIRECT, status_code=303)
    try:
        user_id = auth_service.redeem_login_ticket(ticket=ticket, redis=redis)
    except Unauthorized:
        return RedirectResponse(EXPIRED_REDIRECT, status_code=303)
    response = RedirectResponse(safe_next(next_), status_code=303)
    token = auth_service.issue_session_token(settings, user_id=user_id)
    set_session_cookie(response, settings, token)
    return response

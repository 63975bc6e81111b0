"""Two-factor sign-in over HTTP (services/auth/totp.py, second_step.py).

    GET  /api/auth/totp              -> {enabled, enabledAt, recoveryCodesLeft}
    POST /api/auth/totp/enrol {password} -> {secret, otpauthUri, qrSvg} (not on until confirmed;
                                        the user's other sessions end: this one stays)
    POST /api/auth/totp/confirm {code}             -> {enabled, recoveryCodes} (shown once)
    POST /api/auth/totp/disable {password, code}   -> {enabled: false, ...}
    POST /api/auth/totp/recovery-codes {password, code} -> {enabled, recoveryCodes} (the old die)
    POST /api/auth/login/totp {ticket, code}       -> 200 {id, email} + the session cookie

`POST /api/auth/login` answers 202 `{totpRequired: true, ticket, expiresIn}` (and no cookie)
for a user with two-factor on; the ticket and a code go to `/api/auth/login/totp`.

The enrolment's password is checked like every change that asks for it again (none 422,
wrong 401, locked 429 with Retry-After; docs/sensitive-changes.md).
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.auth import SignedUpOut, start_session
from exstrat_app.api.deps import (
    ClientIp,
    CurrentUserId,
    RedisDep,
    SessionDep,
    SettingsDep,
    session_token,
)
from exstrat_app.api.schemas import Body
from exstrat_app.services import auth as auth_service
from exstrat_app.services.auth import second_step, totp
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.notifications import push

router = APIRouter(tags=["auth"])


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(default="", max_length=64)


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    password: str = Field(default="", max_length=4096)


class DisableIn(CodeIn):
    password: str = Field(default="", max_length=4096)


class SecondStepIn(CodeIn):
    ticket: str = Field(default="", max_length=200)


class TotpStatusOut(Body):
    enabled: bool
    enabled_at: str | None
    recovery_codes_left: int

    @classmethod
    def of(cls, view: totp.TotpStatus) -> TotpStatusOut:
        return cls(
            enabled=view.enabled,
            enabled_at=view.enabled_at.isoformat() if view.enabled_at else None,
            recovery_codes_left=view.recovery_codes_left,
        )


class EnrolmentOut(Body):
    secret: str
    otpauth_uri: str
    qr_svg: str  # a data: URI of the otpauth URI as a QR code (an <img> src)


class ConfirmedOut(Body):
    enabled: bool
    recovery_codes: list[str]


@router.get("/api/auth/totp")
def totp_status(user_id: CurrentUserId, session: SessionDep) -> TotpStatusOut:
    return TotpStatusOut.of(totp.status(session, user_id))


@router.post("/api/auth/totp/enrol")
def totp_enrol(
    request: Request,
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    body: PasswordIn | None = None,
) -> EnrolmentOut:
    """A new secret for the app, after the password; every other session of the user ends."""
    enrolment = totp.start_enrolment(
        session, bootstrap.secret_box(), user_id, password=(body or PasswordIn()).password,
        throttle=bootstrap.password_throttle(),
        keep_jti=session_jti(settings, session_token(request) or ""),
    )  # fmt: skip
    # After the commit, the other sessions' open tabs are sent to sign in at once.
    background.add_task(push.announce_signed_out, bootstrap.redis(), user_id=user_id)
    return EnrolmentOut(
        secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=totp.qr_data_uri(enrolment.uri)
    )


@router.post("/api/auth/totp/confirm")
def totp_confirm(body: CodeIn, user_id: CurrentUserId, session: SessionDep) -> ConfirmedOut:
    codes = totp.confirm_enrolment(session, bootstrap.secret_box(), user_id, body.code)
    return ConfirmedOut(enabled=True, recovery_codes=codes)


@router.post("/api/auth/totp/disable")
def totp_disable(
    body: DisableIn, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> TotpStatusOut:
    totp.disable(
        session, bootstrap.secret_box(), redis, user_id, password=body.password, code=body.code
    )
    return TotpStatusOut.of(totp.status(session, user_id))


@router.post("/api/auth/totp/recovery-codes")
def totp_recovery_codes(
    body: DisableIn, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> ConfirmedOut:
    """Ten new recovery codes (the password and a current code from the app); the old die."""
    codes = totp.regenerate_recovery_codes(
        session, bootstrap.secret_box(), redis, user_id, password=body.password, code=body.code
    )
    return ConfirmedOut(enabled=True, recovery_codes=codes)


@router.post("/api/auth/login/totp")
def login_second_step(
    body: SecondStepIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    ip: ClientIp,
) -> SignedUpOut:
    bootstrap.auth_throttle().hit_ip("login-totp", ip)
    user_id = second_step.finish_second_step(
        session, bootstrap.secret_box(), redis, ticket=body.ticket, code=body.code
    )
    start_session(request, response, session, settings, user_id)
    user = auth_service.get_user(session, user_id)
    return SignedUpOut(id=user.id, email=user.email)

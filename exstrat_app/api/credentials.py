"""The account's credentials over HTTP (docs/account.md):

    POST /api/auth/password/forgot {email}                        -> 202 {message}, any address
    POST /api/auth/password/reset  {token, password}              -> 204; every session ends
    POST /api/auth/password/change {currentPassword, newPassword} -> 204; this session stays
    POST /api/auth/email/change    {newEmail, password}           -> 202 {message}
    GET  /api/auth/email/confirm?token=…  (the emailed link)      -> 303 to /account

"Forgot" does nothing but answer while the request is open: the look-up, the link and its
email all run after the answer has gone (a background task), so the answer's body and time
are the same for every address. Every email of these routes is sent after the answer.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlmodel import Session

from exstrat_app import bootstrap, routes
from exstrat_app.api.deps import ClientIp, CurrentUserId, SessionDep, SettingsDep, session_token
from exstrat_app.api.schemas import Body
from exstrat_app.i18n import N_, render
from exstrat_app.services import auth
from exstrat_app.services.auth import account_mail, email_change, password_change, password_reset
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.auth.users import normalise_email
from exstrat_app.services.errors import InvalidInput, Unauthorized
from exstrat_app.services.notifications import push
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["account"])

EMAIL_REQUIRED = N_("Enter your email address.")
# The account page reads this query parameter to say how an email change link went.
EMAIL_CHANGE_PARAM = "email_change"


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class ForgotIn(_In):
    email: str = Field(default="", max_length=1000)


class ResetIn(_In):
    token: str = Field(default="", max_length=1000)
    password: str = Field(default="", max_length=4096)


class ChangePasswordIn(_In):
    current_password: str = Field(default="", max_length=4096)
    new_password: str = Field(default="", max_length=4096)


class ChangeEmailIn(_In):
    new_email: str = Field(default="", max_length=1000)
    password: str = Field(default="", max_length=4096)


class MessageOut(Body):
    message: str


def _forgot_after_answer(settings: Settings, email: str) -> None:
    """The whole of a "forgot" request, once its answer is sent."""
    try:
        with bootstrap.unit_of_work() as session:
            link = password_reset.request_reset(session, email, throttle=bootstrap.auth_throttle())
    # Nobody waits for it: log the kind of failure only (a traceback could hold the address
    # in its SQL parameters), never raise.
    except Exception as exc:  # noqa: BLE001
        log.warning("a password reset request could not be handled: %s", type(exc).__name__)
        return
    if link is not None:
        password_reset.send_reset_link(settings, link)


@router.post("/api/auth/password/forgot", status_code=202)
def forgot(
    body: ForgotIn, settings: SettingsDep, ip: ClientIp, background: BackgroundTasks
) -> MessageOut:
    """The same 202 for any address; a confirmed account's address gets a reset link."""
    bootstrap.auth_throttle().hit_ip("forgot", ip)
    email = normalise_email(body.email)
    if not email:
        raise InvalidInput(EMAIL_REQUIRED, fields={"email": EMAIL_REQUIRED})
    background.add_task(_forgot_after_answer, settings, email)
    return MessageOut(message=render(password_reset.SENT))


@router.post("/api/auth/password/reset", status_code=204)
def reset(
    body: ResetIn,
    session: SessionDep,
    settings: SettingsDep,
    ip: ClientIp,
    background: BackgroundTasks,
) -> Response:
    """A new password with the emailed link: 400 for a link that does not work, 422
    (`fields.password`) for a password the rule refuses. Every session of the user ends."""
    bootstrap.auth_throttle().hit_ip("reset", ip)
    user = password_reset.reset_password(session, token=body.token, password=body.password)
    background.add_task(
        account_mail.send_password_changed, settings, user.email, kept_one=False,
        locale=user.locale,
    )  # fmt: skip
    background.add_task(push.announce_signed_out, bootstrap.redis(), user_id=user.id)
    return Response(status_code=204)


@router.post("/api/auth/password/change", status_code=204)
def change_password(
    body: ChangePasswordIn,
    request: Request,
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    """The current password (401 wrong, 429 locked) and a new one (422 `newPassword`); the
    session asking stays signed in, every other one ends."""
    user = password_change.change_password(
        session,
        user_id,
        current=body.current_password,
        new=body.new_password,
        keep_jti=session_jti(settings, session_token(request) or ""),
        throttle=bootstrap.password_throttle(),
    )
    background.add_task(
        account_mail.send_password_changed, settings, user.email, kept_one=True,
        locale=user.locale,
    )  # fmt: skip
    background.add_task(push.announce_signed_out, bootstrap.redis(), user_id=user.id)
    return Response(status_code=204)


@router.post("/api/auth/email/change", status_code=202)
def change_email(
    body: ChangeEmailIn,
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> MessageOut:
    """A link to the new address (the same 202 when it is another account's: that address is
    told it is in use) and a notice to the current one; nothing changes until the link."""
    request = email_change.request_email_change(
        session,
        user_id,
        new_email=body.new_email,
        password=body.password,
        password_throttle=bootstrap.password_throttle(),
        limits=bootstrap.auth_throttle(),
    )
    background.add_task(email_change.send_change_emails, settings, request)
    return MessageOut(message=render(email_change.sent_message(request.new_email)))


def _signed_in_user(request: Request, session: Session, settings: Settings) -> str | None:
    try:
        return auth.verify_session_token(session, settings, session_token(request) or "")
    except Unauthorized:
        return None


def _to_account(outcome: str) -> RedirectResponse:
    return RedirectResponse(
        f"{routes.ACCOUNT}?{urlencode({EMAIL_CHANGE_PARAM: outcome})}", status_code=303
    )


@router.get("/api/auth/email/confirm", response_class=RedirectResponse, status_code=303)
def confirm_email(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=1000)] = "",
) -> RedirectResponse:
    """The emailed link: signed in as the account that asked, the address changes and the
    browser lands on /account (`?email_change=changed|taken|invalid`); signed out, it signs
    in first and comes back here."""
    user_id = _signed_in_user(request, session, settings)
    if user_id is None:
        back = f"{email_change.CONFIRM_PATH}?{urlencode({'token': token})}"
        return RedirectResponse(f"{routes.LOGIN}?next={quote(back, safe='')}", status_code=303)
    try:
        outcome = email_change.confirm_email_change(session, user_id, token=token)
    except email_change.EmailLinkInvalid:
        return _to_account("invalid")
    return _to_account("changed" if outcome.changed else "taken")

"""The instance owner's own door (`python -m exstrat_app users ...`, docs/account.md): for the
person who runs the server, with no mail set up or a user locked out.

`list_accounts` shows who has an account; `owner_reset_link` makes a reset link through the
same use case as "forgot my password" (single use, one hour, the newest wins) for the owner
to hand over; `owner_disable_totp` turns two-factor sign-in off (the sealed secret and every
recovery code gone) and ends every session of the user. Anyone who can run this command can
read the database anyway. The caller owns the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.models import RecoveryCode, User
from exstrat_app.services.auth.confirmation import is_confirmed
from exstrat_app.services.auth.password_reset import issue_reset
from exstrat_app.services.auth.sessions import end_other_sessions
from exstrat_app.services.auth.totp import is_enabled
from exstrat_app.services.auth.users import normalise_email
from exstrat_app.services.errors import NotFound

UNKNOWN = N_("No account has this email.")


@dataclass(frozen=True)
class AccountLine:
    email: str
    created_at: datetime
    confirmed: bool
    totp_on: bool
    demo: bool


def list_accounts(session: Session) -> list[AccountLine]:
    """Every account, oldest first."""
    users = session.exec(select(User).order_by(User.created_at, User.email)).all()  # type: ignore[arg-type]
    return [
        AccountLine(
            email=u.email,
            created_at=u.created_at,
            confirmed=is_confirmed(u),
            totp_on=is_enabled(u),
            demo=u.is_demo,
        )
        for u in users
    ]


def _by_email(session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(UNKNOWN)
    return user


def owner_reset_link(session: Session, email: str) -> str:
    """A reset token for this account (NotFound when no account has the address)."""
    return issue_reset(session, _by_email(session, email).id)


def owner_disable_totp(session: Session, email: str) -> bool:
    """Turn two-factor sign-in off for this account and end all its sessions; whether it
    was on (NotFound when no account has the address)."""
    user = _by_email(session, email)
    was_on = is_enabled(user)
    user.totp_secret_enc = None
    user.totp_key_id = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.add(user)
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))  # type: ignore[call-overload]
    end_other_sessions(session, user.id, keep_jti="")
    session.flush()
    return was_on

"""A new password, from the account page (`change_password`) or a reset link
(`password_reset.reset_password`); docs/account.md.

Both end up in `set_password`: the new bcrypt hash, every session ended but the one kept (the
browser that changed it; none after a reset), and every pending reset or email change link of
the user dropped: someone who changes their password because it leaked wants whatever was
started with it gone. Two-factor sign-in stays as it is. The caller owns the unit of work
and sends the "your password was changed" email after it commits
(`account_mail.send_password_changed`).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session

from exstrat_app.i18n import N_
from exstrat_app.models import EmailChange, PasswordReset, User
from exstrat_app.services.auth.passwords import hash_password, password_problem
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.auth.sessions import end_other_sessions
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound, Unauthorized

DEMO_REFUSED = N_("The demo account is shared: its password and email cannot be changed.")
SAME_PASSWORD = N_("Choose a password different from the current one.")
CURRENT = "currentPassword"  # the fields of `POST /api/auth/password/change`
NEW = "newPassword"


def new_password_problem(password: str, email: str) -> str | None:
    """Why this new password is refused (the sign-up's rule, the email as a known word)."""
    return password_problem(password, user_inputs=[email])


def drop_pending_links(session: Session, user_id: str) -> None:
    """Delete the user's unused reset and email change links."""
    session.exec(delete(PasswordReset).where(PasswordReset.user_id == user_id))  # type: ignore[call-overload]
    session.exec(delete(EmailChange).where(EmailChange.user_id == user_id))  # type: ignore[call-overload]


def set_password(session: Session, user: User, password: str, *, keep_jti: str) -> None:
    """Store the new password's hash, end every session but `keep_jti` ("" keeps none) and
    drop the pending links. The password was checked against the rule by the caller."""
    user.password_hash = hash_password(password)
    session.add(user)
    drop_pending_links(session, user.id)
    end_other_sessions(session, user.id, keep_jti=keep_jti)
    session.flush()


def _confirm_current(
    session: Session, user_id: str, current: str, throttle: SensitivePasswordThrottle | None
) -> None:
    """`confirm_password` (the lock shared by every change that asks for the password),
    its refusals moved onto the form's `currentPassword` field."""
    try:
        confirm_password(session, user_id, current, throttle=throttle)
    except (InvalidInput, Unauthorized) as exc:
        raise type(exc)(exc.message, fields={CURRENT: exc.message}) from None


def change_password(
    session: Session,
    user_id: str,
    *,
    current: str,
    new: str,
    keep_jti: str,
    throttle: SensitivePasswordThrottle | None,
) -> User:
    """Change the signed-in user's password: the current one first (wrong: 401, counted in
    the shared lock; locked: 429), then the rule for the new one (422 on `newPassword`).
    Every other session ends; the one whose `jti` is `keep_jti` stays."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    if user.is_demo:
        raise Conflict(DEMO_REFUSED)
    _confirm_current(session, user_id, current, throttle)
    problem = new_password_problem(new, user.email)
    if problem is None and new == current:
        problem = SAME_PASSWORD
    if problem:
        raise InvalidInput(problem, fields={NEW: problem})
    set_password(session, user, new, keep_jti=keep_jti)
    return user

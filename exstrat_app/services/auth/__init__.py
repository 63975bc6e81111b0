"""Accounts and sessions (SPEC §5, §7), the package face callers import:

    from exstrat_app.services import auth
    user = auth.login(session, email=..., password=..., ip=..., throttle=throttle)

passwords (rules, bcrypt), users (sign-up, sign-in, look-up), sessions (JWTs, revocation, the
cookie's name), tickets (the pages' sign-in hand-over), confirmation (the sign-up's emailed
link), throttle (per-IP and per-email limits).
The caller owns the unit of work: nothing here commits.
"""

from __future__ import annotations

from exstrat_app.services.auth.confirmation import (
    CHECK_INBOX,
    CONFIRM_FIRST,
    EmailUnconfirmed,
    is_confirmed,
)
from exstrat_app.services.auth.passwords import hash_password
from exstrat_app.services.auth.preferences import (
    CURRENCIES,
    Preferences,
    change_preferences,
    preferences_of,
    user_preferences,
)
from exstrat_app.services.auth.sessions import (
    NOT_SIGNED_IN,
    SESSION_COOKIE,
    decode_session_token,
    issue_session_token,
    revoke_session_token,
    verify_session_claims,
    verify_session_token,
)
from exstrat_app.services.auth.throttle import (
    AuthThrottle,
    limits_storage_uri,
    retry_after_seconds,
)
from exstrat_app.services.auth.tickets import (
    LOGIN_TICKET_PREFIX,
    create_login_ticket,
    redeem_login_ticket,
)
from exstrat_app.services.auth.users import (
    SignupOutcome,
    authenticate,
    get_user,
    login,
    register,
    signup,
    tell_owner_of_signup_attempt,
    tell_signup_outcome,
)

__all__ = [
    "CHECK_INBOX",
    "CONFIRM_FIRST",
    "CURRENCIES",
    "LOGIN_TICKET_PREFIX",
    "NOT_SIGNED_IN",
    "SESSION_COOKIE",
    "AuthThrottle",
    "EmailUnconfirmed",
    "Preferences",
    "SignupOutcome",
    "authenticate",
    "change_preferences",
    "create_login_ticket",
    "decode_session_token",
    "get_user",
    "hash_password",
    "is_confirmed",
    "issue_session_token",
    "limits_storage_uri",
    "login",
    "preferences_of",
    "redeem_login_ticket",
    "register",
    "retry_after_seconds",
    "revoke_session_token",
    "signup",
    "tell_owner_of_signup_attempt",
    "tell_signup_outcome",
    "user_preferences",
    "verify_session_claims",
    "verify_session_token",
]

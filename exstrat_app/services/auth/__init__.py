"""Accounts and sessions (SPEC §5, §7), the package face callers import:

    from exstrat_app.services import auth
    user = auth.login(session, email=..., password=..., ip=..., throttle=throttle)

passwords (rules, bcrypt), users (sign-up, sign-in, look-up), sessions (JWTs, revocation, the
cookie's name), tickets (the pages' sign-in hand-over), throttle (per-IP and per-email limits).
The caller owns the unit of work: nothing here commits.
"""

from __future__ import annotations

from exstrat_app.services.auth.passwords import hash_password
from exstrat_app.services.auth.sessions import (
    NOT_SIGNED_IN,
    SESSION_COOKIE,
    decode_session_token,
    issue_session_token,
    revoke_session_token,
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
)

__all__ = [
    "LOGIN_TICKET_PREFIX",
    "NOT_SIGNED_IN",
    "SESSION_COOKIE",
    "AuthThrottle",
    "SignupOutcome",
    "authenticate",
    "create_login_ticket",
    "decode_session_token",
    "get_user",
    "hash_password",
    "issue_session_token",
    "limits_storage_uri",
    "login",
    "redeem_login_ticket",
    "register",
    "retry_after_seconds",
    "revoke_session_token",
    "signup",
    "tell_owner_of_signup_attempt",
    "verify_session_token",
]

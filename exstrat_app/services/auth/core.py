"""Accounts and sessions (SPEC §5, §7): sign-up, sign-in, session JWTs, logout, throttling.

Passwords
    bcrypt at cost `BCRYPT_ROUNDS` (12). bcrypt only reads the first 72 bytes of its
    input (and bcrypt >= 5 raises on longer input), so the password is first hashed with
    SHA-256 and base64-encoded (44 ASCII bytes, never a NUL) and *that* goes into
    bcrypt: every character of a long passphrase counts. Passwords are 10..256 characters.

Sessions
    A JWT (HS256 with `JWT_SECRET`, or RS256 when `JWT_PRIVATE_KEY` is set) with `sub`
    (user id), `jti` (random), `iat`, `exp` (`EXSTRAT_SESSION_TTL_SECONDS`). Logout
    stores the `jti` in `revoked_tokens` until the token would expire anyway; every
    verification checks that table (and that the user still exists). Expired rows are
    purged whenever a token is revoked.

Sign-in hand-over for the Reflex pages
    Reflex cannot set an httpOnly cookie, so the login form checks the password, calls
    `create_login_ticket` (a random single-use ticket kept 60 s in Redis) and sends the
    browser to `/api/auth/complete?ticket=...`, which calls `redeem_login_ticket` (GETDEL)
    and sets the cookie.

Throttling (`limits`, moving windows in Redis, shared by every process)
    per client IP: `AUTH_PER_IP` attempts (login and sign-up counted separately);
    per email: after `LOGIN_FAILURES_PER_EMAIL` failed logins the email is refused
    (even with the right password) until the window frees up; a success clears it.

Writes (`signup`, `revoke_session_token`) commit the session they are given.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import bcrypt
import jwt
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken, User
from exstrat_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from exstrat_app.settings import Settings, get_settings

BCRYPT_ROUNDS = 12
PASSWORD_MIN_CHARS = 10
PASSWORD_MAX_CHARS = 256
EMAIL_MAX_CHARS = 254

LOGIN_TICKET_TTL_SECONDS = 60
LOGIN_TICKET_PREFIX = "login-ticket:"

AUTH_PER_IP = "20/5minute"
LOGIN_FAILURES_PER_EMAIL = "5/15minute"

BAD_CREDENTIALS = "Email or password is incorrect."
NOT_SIGNED_IN = "You are not signed in, or your session has expired."
TICKET_INVALID = "This sign-in link has expired or was already used; please sign in again."

# WHATWG-style address (what <input type=email> accepts) with a dotted domain.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL_RE = re.compile(rf"^[a-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
_TICKET_RE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_MAX_TOKEN_CHARS = 4096


# ---------------------------------------------------------------- validation


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str) -> str:
    """The normalised email, or InvalidInput with `fields.email`."""
    norm = normalise_email(email)
    if not norm:
        raise InvalidInput("Enter your email address.", fields={"email": "Email is required."})
    if len(norm) > EMAIL_MAX_CHARS:
        msg = f"Email must be at most {EMAIL_MAX_CHARS} characters."
        raise InvalidInput(msg, fields={"email": msg})
    if not _EMAIL_RE.fullmatch(norm):
        msg = "Enter a valid email address, like name@example.com."
        raise InvalidInput(msg, fields={"email": msg})
    return norm


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password or "") < PASSWORD_MIN_CHARS:
        return f"Password must be at least {PASSWORD_MIN_CHARS} characters."
    if len(password) > PASSWORD_MAX_CHARS:
        return f"Password must be at most {PASSWORD_MAX_CHARS} characters."
    return None


# ---------------------------------------------------------------- passwords


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    """bcrypt(cost 12) over base64(SHA-256(password)); a 60-character `$2b$12$...` string."""
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode())
    except ValueError:  # malformed stored hash
        return False


def _hash_cost(password_hash: str) -> int:
    parts = password_hash.split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0


@lru_cache
def _dummy_hash() -> str:
    """A real hash to check against when the email is unknown (no timing oracle)."""
    return hash_password(secrets.token_urlsafe(24))


# ---------------------------------------------------------------- accounts


def signup(session: Session, *, email: str, password: str) -> User:
    """Create an account. InvalidInput (fields email/password), Conflict if the email is taken."""
    fields: dict[str, str] = {}
    try:
        norm = validate_email(email)
    except InvalidInput as exc:
        norm = ""
        fields.update(exc.fields)
    problem = password_problem(password)
    if problem:
        fields["password"] = problem
    if fields:
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid."
        raise InvalidInput(message, fields=fields)

    taken = Conflict(
        "An account with this email already exists.",
        fields={"email": "This email is already registered."},
    )
    if session.exec(select(User.id).where(User.email == norm)).first() is not None:
        raise taken
    user = User(email=norm, password_hash=hash_password(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # lost a race with a concurrent sign-up
        session.rollback()
        raise taken from None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user with this email and password, else Unauthorized (same message either way)."""
    norm = normalise_email(email)
    user = None
    if norm and len(norm) <= EMAIL_MAX_CHARS:
        user = session.exec(select(User).where(User.email == norm)).first()
    if user is None:
        verify_password(password or "", _dummy_hash())  # spend the same time as a real check
        raise Unauthorized(BAD_CREDENTIALS)
    if not verify_password(password or "", user.password_hash):
        raise Unauthorized(BAD_CREDENTIALS)
    if _hash_cost(user.password_hash) < BCRYPT_ROUNDS:  # upgrade old hashes on sign-in
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def login(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str,
    throttle: AuthThrottle | None = None,
) -> User:
    """`authenticate` behind the per-IP and per-email throttles (TooManyRequests)."""
    throttle = throttle or get_auth_throttle()
    norm = normalise_email(email)
    throttle.hit_ip("login", ip)
    throttle.check_email(norm)
    try:
        user = authenticate(session, email=norm, password=password)
    except Unauthorized:
        throttle.record_failure(norm)
        raise
    throttle.clear_email(norm)
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


# ---------------------------------------------------------------- session tokens


def _jwt_keys(settings: Settings) -> tuple[str, Any, Any]:
    """(algorithm, signing key, verifying key); the algorithm is pinned, never read from a token."""
    if settings.jwt_private_key:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        pem = settings.jwt_private_key.replace("\\n", "\n").encode()
        private = load_pem_private_key(pem, password=None)
        return "RS256", private, private.public_key()  # type: ignore[union-attr]
    secret = settings.jwt_signing_secret()
    return "HS256", secret, secret


def issue_session_token(*, user_id: str, now: datetime | None = None) -> str:
    settings = get_settings()
    algorithm, key, _ = _jwt_keys(settings)
    iat = int((now or utcnow()).timestamp())
    claims = {
        "sub": user_id,
        "jti": secrets.token_urlsafe(16),
        "iat": iat,
        "exp": iat + settings.jwt_ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_session_token(token: str) -> dict[str, Any]:
    """The verified claims (signature, expiry, required claims); no database check.

    Cheap enough for middleware (e.g. to key a rate limit); use `verify_session_token`
    to decide whether a request is signed in.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise Unauthorized(NOT_SIGNED_IN)
    algorithm, _, key = _jwt_keys(get_settings())
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            options={"require": ["sub", "jti", "iat", "exp"]},
        )
    except jwt.InvalidTokenError:
        raise Unauthorized(NOT_SIGNED_IN) from None
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
        raise Unauthorized(NOT_SIGNED_IN)
    return claims


def verify_session_token(session: Session, token: str) -> str:
    """The user id of a valid, unrevoked session token of an existing user; else Unauthorized."""
    claims = decode_session_token(token)
    if session.get(RevokedToken, claims["jti"]) is not None:
        raise Unauthorized(NOT_SIGNED_IN)
    if session.get(User, claims["sub"]) is None:
        raise Unauthorized(NOT_SIGNED_IN)
    return str(claims["sub"])


def revoke_session_token(session: Session, token: str) -> None:
    """Revoke a token (logout). Invalid or expired tokens need nothing: a no-op."""
    try:
        claims = decode_session_token(token)
    except Unauthorized:
        return
    now = utcnow()
    session.exec(delete(RevokedToken).where(RevokedToken.expires_at < now))  # type: ignore[arg-type]
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo) + timedelta(seconds=1)
    if session.get(RevokedToken, claims["jti"]) is None:
        session.add(RevokedToken(jti=claims["jti"], expires_at=expires_at))
    try:
        session.commit()
    except IntegrityError:  # revoked concurrently: fine
        session.rollback()


# ---------------------------------------------------------------- login tickets


def create_login_ticket(*, user_id: str, redis: Redis) -> str:
    ticket = secrets.token_urlsafe(32)
    redis.set(LOGIN_TICKET_PREFIX + ticket, user_id, ex=LOGIN_TICKET_TTL_SECONDS, nx=True)
    return ticket


def redeem_login_ticket(*, ticket: str, redis: Redis) -> str:
    """The user id the ticket was made for; a ticket works once, within 60 s."""
    if not ticket or not _TICKET_RE.fullmatch(ticket):
        raise Unauthorized(TICKET_INVALID)
    value = redis.getdel(LOGIN_TICKET_PREFIX + ticket)
    if value is None:
        raise Unauthorized(TICKET_INVALID)
    return value.decode() if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------- throttling


def limits_storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (`unix://` becomes `redis+unix://`)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


@lru_cache
def get_limits_storage() -> Storage:
    from exstrat_app.infra.redis import redis_url

    return storage_from_string(limits_storage_uri(redis_url()))  # type: ignore[return-value]


def retry_after_seconds(limiter: MovingWindowRateLimiter, item: RateLimitItem, *ids: str) -> int:
    stats = limiter.get_window_stats(item, *ids)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _email_key(email: str) -> str:
    # Keys hold a digest, not the address itself.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class AuthThrottle:
    """Per-IP attempts and per-email failures, as moving windows in the shared storage."""

    def __init__(
        self,
        storage: Storage,
        *,
        per_ip: str = AUTH_PER_IP,
        failures_per_email: str = LOGIN_FAILURES_PER_EMAIL,
    ) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_ip = parse(per_ip)
        self.per_email = parse(failures_per_email)

    def hit_ip(self, action: str, ip: str) -> None:
        ids = (f"auth-{action}-ip", ip or "unknown")
        if not self.limiter.hit(self.per_ip, *ids):
            raise TooManyRequests(
                "Too many attempts from your network; please wait and try again.",
                retry_after=retry_after_seconds(self.limiter, self.per_ip, *ids),
            )

    def check_email(self, email: str) -> None:
        ids = ("auth-login-email", _email_key(email))
        if not self.limiter.test(self.per_email, *ids):
            raise TooManyRequests(
                "Too many failed sign-ins for this email; please wait and try again.",
                retry_after=retry_after_seconds(self.limiter, self.per_email, *ids),
            )

    def record_failure(self, email: str) -> None:
        self.limiter.hit(self.per_email, "auth-login-email", _email_key(email))

    def clear_email(self, email: str) -> None:
        self.limiter.clear(self.per_email, "auth-login-email", _email_key(email))


@lru_cache
def get_auth_throttle() -> AuthThrottle:
    return AuthThrottle(get_limits_storage())

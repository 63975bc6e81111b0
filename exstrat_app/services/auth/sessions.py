"""Session tokens: issue, decode, verify, revoke, end all but one.

A JWT (HS256 with `JWT_SECRET`, or RS256 when `JWT_PRIVATE_KEY` is set) with `sub` (user id),
`jti`, `iat`, `exp` (`EXSTRAT_SESSION_TTL_SECONDS`). Logout stores the `jti` in
`revoked_tokens` until the token would expire anyway; every verification checks that table
(and that the user still exists). Expired rows are purged whenever a token is revoked.

`end_other_sessions` ends every session of a user but the one asking (setting up two-factor
sign-in does it): the sessions are not stored, so the user's row keeps the moment of the cut
and the one session kept, and a token issued at or before that moment is refused. The `jti`
starts with its issue time in microseconds (`<hex µs>.<random>`) so that the cut is checked
from the `jti` alone, also where only the claims were kept (the socket's door); a `jti`
without it predates this scheme, hence any cut, and is ended by one.

The browser carries the token in the httpOnly `SESSION_COOKIE`, set by the API and read by
both the API and the Reflex states: its name lives here, where both may import it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken, User
from exstrat_app.services.errors import Unauthorized
from exstrat_app.settings import Settings

SESSION_COOKIE = "exstrat_session"
NOT_SIGNED_IN = "You are not signed in, or your session has expired."
_MAX_TOKEN_CHARS = 4096


def _jwt_keys(settings: Settings) -> tuple[str, Any, Any]:
    """(algorithm, signing key, verifying key); the algorithm is pinned, never read from a token."""
    if settings.jwt_private_key:
        pem = settings.jwt_private_key.replace("\\n", "\n").encode()
        private = load_pem_private_key(pem, password=None)
        return "RS256", private, private.public_key()  # type: ignore[union-attr]
    secret = settings.jwt_signing_secret()
    return "HS256", secret, secret


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def issued_micros(jti: str) -> int:
    """When the session with this `jti` was issued (µs); 0 for a `jti` without its time."""
    head, dot, _ = jti.partition(".")
    try:
        return int(head, 16) if dot else 0
    except ValueError:
        return 0


def issue_session_token(settings: Settings, *, user_id: str, now: datetime | None = None) -> str:
    algorithm, key, _ = _jwt_keys(settings)
    moment = now or utcnow()
    iat = int(moment.timestamp())
    claims = {
        "sub": user_id,
        "jti": f"{_micros(moment):x}.{secrets.token_urlsafe(16)}",
        "iat": iat,
        "exp": iat + settings.jwt_ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_session_token(settings: Settings, token: str) -> dict[str, Any]:
    """The verified claims (signature, expiry, required claims); no database check.

    Cheap enough for middleware (e.g. to key a rate limit); use `verify_session_token`
    to decide whether a request is signed in.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise Unauthorized(NOT_SIGNED_IN)
    algorithm, _, key = _jwt_keys(settings)
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


def verify_session_token(session: Session, settings: Settings, token: str) -> str:
    """The user id of a valid, unrevoked session token of an existing user; else Unauthorized."""
    claims = decode_session_token(settings, token)
    if session.get(RevokedToken, claims["jti"]) is not None:
        raise Unauthorized(NOT_SIGNED_IN)
    user = session.get(User, claims["sub"])
    if user is None or _ended(user, claims["jti"]):
        raise Unauthorized(NOT_SIGNED_IN)
    return str(claims["sub"])


def verify_session_claims(
    session: Session, *, user_id: str, jti: str, expires_at: int, now: datetime | None = None
) -> bool:
    """Whether a session whose signature was verified earlier (the claims a socket's door
    kept, never the token) is still good: not expired, not revoked, its user still there."""
    if expires_at <= int((now or utcnow()).timestamp()):
        return False
    if session.get(RevokedToken, jti) is not None:
        return False
    user = session.get(User, user_id)
    return user is not None and not _ended(user, jti)


def _ended(user: User, jti: str) -> bool:
    """Whether `end_other_sessions` ended this session: issued by the cut, not the one kept."""
    if user.sessions_cut_at is None or jti == user.session_kept_jti:
        return False
    return issued_micros(jti) <= _micros(user.sessions_cut_at)


def session_jti(settings: Settings, token: str) -> str:
    """The `jti` of a session token whose signature verifies, else "" (nothing to keep)."""
    try:
        return str(decode_session_token(settings, token)["jti"])
    except Unauthorized:
        return ""


def end_other_sessions(
    session: Session, user_id: str, *, keep_jti: str, now: datetime | None = None
) -> None:
    """End every session of the user issued until now except `keep_jti` (the one asking; ""
    keeps none). Their next verification, the socket's periodic recheck included, refuses
    them. Sessions issued later are untouched. The caller commits."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.sessions_cut_at = now or utcnow()
    user.session_kept_jti = keep_jti or None
    session.add(user)
    session.flush()


def revoke_session_token(session: Session, settings: Settings, token: str) -> None:
    """Revoke a token (logout). Invalid or expired tokens need nothing: a no-op."""
    try:
        claims = decode_session_token(settings, token)
    except Unauthorized:
        return
    now = utcnow()
    session.exec(delete(RevokedToken).where(RevokedToken.expires_at < now))  # type: ignore[arg-type]
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo) + timedelta(seconds=1)
    if session.get(RevokedToken, claims["jti"]) is not None:
        return
    # A savepoint: a concurrent logout of the same token wins the insert, and that is fine;
    # only this row is undone, not the caller's unit of work.
    try:
        with session.begin_nested():
            session.add(RevokedToken(jti=claims["jti"], expires_at=expires_at))
    except IntegrityError:
        pass

"""Session tokens (SPEC §7): issue, decode, verify, revoke.

A JWT (HS256 with `JWT_SECRET`, or RS256 when `JWT_PRIVATE_KEY` is set) with `sub` (user id),
`jti` (random), `iat`, `exp` (`EXSTRAT_SESSION_TTL_SECONDS`). Logout stores the `jti` in
`revoked_tokens` until the token would expire anyway; every verification checks that table
(and that the user still exists). Expired rows are purged whenever a token is revoked.

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


def issue_session_token(settings: Settings, *, user_id: str, now: datetime | None = None) -> str:
    algorithm, key, _ = _jwt_keys(settings)
    iat = int((now or utcnow()).timestamp())
    claims = {
        "sub": user_id,
        "jti": secrets.token_urlsafe(16),
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
    if session.get(User, claims["sub"]) is None:
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
    return session.get(User, user_id) is not None


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

"""Session tokens: issue, decode, verify, revoke, end all but one.

A JWT (HS256 with `JWT_SECRET`, or RS256 when `JWT_PRIVATE_KEY` is set) with `sub` (user id),
`jti`, `iat`, `exp` (`EXSTRAT_SESSION_TTL_SECONDS`). Logout stores the `jti` in
`revoked_tokens` until the token would expire anyway; every verification checks that table
(and that the user still exists). Expired rows are purged whenever a token is revoked.

`end_other_sessions` ends every session of a user but the one asking (setting up two-factor
sign-in does it): a session's validity is never looked up in a table of live sessions (a
token minted before such rows existed stays good), so the user's row keeps the moment of the
cut and the one session kept, and a token issued at or before that moment is refused. The `jti`
starts with its issue time in microseconds (`<hex µs>.<random>`) so that the cut is checked
from the `jti` alone, also where only the claims were kept (the socket's door); a `jti`
without it predates this scheme, hence any cut, and is ended by one.

The browser carries the token in the httpOnly `SESSION_COOKIE`, set by the API and read by
both the API and the Reflex states: its name lives here, where both may import it.

Every real sign-in also records a `UserSession` row (services/auth/session_list.py), so the
person can see and end their sessions; the row only describes a session, it never decides
whether it is valid (the checks above do). Ending a session here (logout, a cut) deletes its
row too, and a verification notes the session's use on it at most once a minute
(docs/api-tokens-and-sessions.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import RevokedToken, User, UserSession
from exstrat_app.services.errors import Unauthorized
from exstrat_app.settings import Settings

SESSION_COOKIE = "exstrat_session"
NOT_SIGNED_IN = N_("You are not signed in, or your session has expired.")
_MAX_TOKEN_CHARS = 4096
# A session's `last_seen_at` moves at most this often: one write a minute, not one a request.
SEEN_EVERY = timedelta(seconds=60)


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


@dataclass(frozen=True)
class IssuedSession:
    token: str  # the bearer credential: the cookie's value, never logged
    jti: str
    expires_at: datetime


def issue_session(
    settings: Settings, *, user_id: str, now: datetime | None = None
) -> IssuedSession:
    """A new session token with its `jti` and expiry (to record the session's row)."""
    algorithm, key, _ = _jwt_keys(settings)
    moment = now or utcnow()
    iat = int(moment.timestamp())
    jti = f"{_micros(moment):x}.{secrets.token_urlsafe(16)}"
    claims = {"sub": user_id, "jti": jti, "iat": iat, "exp": iat + settings.jwt_ttl_seconds}
    token = jwt.encode(claims, key, algorithm=algorithm)
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=moment.tzinfo or UTC)
    return IssuedSession(token=token, jti=jti, expires_at=expires_at)


def issue_session_token(settings: Settings, *, user_id: str, now: datetime | None = None) -> str:
    """A session token alone (no row: a real sign-in goes through `session_list.start_session`)."""
    return issue_session(settings, user_id=user_id, now=now).token


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
    note_session_use(session, claims["jti"])
    return str(claims["sub"])


def note_session_use(session: Session, jti: str, *, now: datetime | None = None) -> None:
    """Move the session's `last_seen_at` to now if it is older than `SEEN_EVERY`.

    A read by primary key first: on SQLite even an UPDATE that matches nothing takes the
    database's write lock until the request commits, which would queue every signed-in
    request behind each other. The UPDATE stays conditional so two requests racing for the
    same minute write once. A session without a row (issued before rows existed) has
    nothing to note."""
    moment = now or utcnow()
    seen = session.exec(select(UserSession.last_seen_at).where(UserSession.jti == jti)).first()
    if seen is None or seen >= moment - SEEN_EVERY:
        return
    session.exec(  # type: ignore[call-overload]
        update(UserSession)
        .where(UserSession.jti == jti)  # type: ignore[arg-type]
        .where(UserSession.last_seen_at < moment - SEEN_EVERY)  # type: ignore[arg-type]
        .values(last_seen_at=moment)
    )


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
    # Their rows go with them: the sessions list never shows a session that cannot be used.
    session.exec(  # type: ignore[call-overload]
        delete(UserSession)
        .where(UserSession.user_id == user_id)  # type: ignore[arg-type]
        .where(UserSession.jti != keep_jti)  # type: ignore[arg-type]
    )
    session.flush()


def revoke_session_token(session: Session, settings: Settings, token: str) -> None:
    """Revoke a token (logout). Invalid or expired tokens need nothing: a no-op."""
    try:
        claims = decode_session_token(settings, token)
    except Unauthorized:
        return
    expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo)
    revoke_jti(session, str(claims["jti"]), expires_at=expires_at)


def revoke_jti(session: Session, jti: str, *, expires_at: datetime) -> None:
    """Refuse the session with this `jti` from now on (kept until `expires_at`, when the token
    dies anyway), and delete its row. The caller commits."""
    now = utcnow()
    session.exec(delete(RevokedToken).where(RevokedToken.expires_at < now))  # type: ignore[arg-type]
    session.exec(delete(UserSession).where(UserSession.jti == jti))  # type: ignore[arg-type]
    if session.get(RevokedToken, jti) is not None:
        return
    # A savepoint: a concurrent logout of the same token wins the insert, and that is fine;
    # only this row is undone, not the caller's unit of work.
    try:
        with session.begin_nested():
            session.add(RevokedToken(jti=jti, expires_at=expires_at + timedelta(seconds=1)))
    except IntegrityError:
        pass

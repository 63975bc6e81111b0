"""The sessions a person is signed in with: recorded at sign-in, listed, ended one by one or
all but this one (docs/api-tokens-and-sessions.md).

A row (`UserSession`) describes a session: when it began, when it was last used, from which
address and browser. It never decides whether the session is good: the token and the checks
of services/auth/sessions.py do, so a row is only listed while those checks still pass, and
ending a session revokes its `jti` first and deletes its row second.

The id a person sees is a digest of the `jti`, never the `jti` itself: the `jti` is part of
the bearer credential's claims and has no business in a page or a URL.

The demo account is shared by strangers: its sessions get no rows (one visitor must not see
another's address) and cannot end each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import User, UserSession
from exstrat_app.services.auth.sessions import (
    end_other_sessions,
    issue_session,
    revoke_jti,
    verify_session_claims,
)
from exstrat_app.services.errors import Conflict, NotFound
from exstrat_app.settings import Settings

ID_CHARS = 32
IP_CHARS = 45  # the column: the longest IPv6 text
USER_AGENT_CHARS = 300  # the column: enough to tell a browser, short of a header flood
NO_SUCH_SESSION = N_("There is no such session: it may have ended already.")
DEMO_SHARED = N_("The demo account is shared by every visitor: its sessions cannot be ended here.")


@dataclass(frozen=True)
class SessionView:
    id: str  # a digest of the `jti`
    current: bool  # the session asking
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str


def public_id(jti: str) -> str:
    """The id a session is shown and ended by (a SHA-256 prefix of its `jti`)."""
    return hashlib.sha256(jti.encode()).hexdigest()[:ID_CHARS]


def _printable(text: str, limit: int) -> str:
    # Control characters have no place in a list a person reads.
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def start_session(
    session: Session,
    settings: Settings,
    *,
    user_id: str,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> str:
    """Sign in: a new session token (the caller sets the cookie) and its row. Expired rows of
    the user go at the same time. The caller commits."""
    moment = now or utcnow()
    issued = issue_session(settings, user_id=user_id, now=moment)
    user = session.get(User, user_id)
    if user is None or user.is_demo:
        return issued.token
    session.exec(  # type: ignore[call-overload]
        delete(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .where(col(UserSession.expires_at) < moment)
    )
    session.add(
        UserSession(
            jti=issued.jti,
            user_id=user_id,
            created_at=moment,
            last_seen_at=moment,
            expires_at=issued.expires_at,
            ip=_printable(ip, IP_CHARS),
            user_agent=_printable(user_agent, USER_AGENT_CHARS),
        )
    )
    session.flush()
    return issued.token


def _rows(session: Session, user_id: str) -> list[UserSession]:
    query = (
        select(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .order_by(col(UserSession.created_at).desc(), col(UserSession.jti))
    )
    return list(session.exec(query).all())


def _live(session: Session, row: UserSession, now: datetime) -> bool:
    return verify_session_claims(
        session,
        user_id=row.user_id,
        jti=row.jti,
        expires_at=int(row.expires_at.timestamp()),
        now=now,
    )


def list_sessions(
    session: Session, user_id: str, *, current_jti: str, now: datetime | None = None
) -> list[SessionView]:
    """The user's live sessions, newest first; rows of sessions that no longer verify
    (expired, revoked, cut) are deleted on the way. The caller commits."""
    moment = now or utcnow()
    views: list[SessionView] = []
    for row in _rows(session, user_id):
        if not _live(session, row, moment):
            session.delete(row)
            continue
        views.append(
            SessionView(
                id=public_id(row.jti),
                current=bool(current_jti) and row.jti == current_jti,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                ip=row.ip,
                user_agent=row.user_agent,
            )
        )
    session.flush()
    return views


def end_session(session: Session, user_id: str, session_id: str) -> None:
    """End one of the user's sessions by its shown id: refused at once by the API and by the
    socket's next check. Another user's id, or a stale one, is NotFound. The caller commits."""
    for row in _rows(session, user_id):
        if public_id(row.jti) == session_id:
            revoke_jti(session, row.jti, expires_at=row.expires_at)
            session.flush()
            return
    raise NotFound(NO_SUCH_SESSION)


def end_all_but(session: Session, user_id: str, *, keep_jti: str) -> None:
    """Sign out everywhere else: every other session of the user ends, their rows go.
    The caller commits."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(NO_SUCH_SESSION)
    if user.is_demo:
        raise Conflict(DEMO_SHARED)
    end_other_sessions(session, user_id, keep_jti=keep_jti)

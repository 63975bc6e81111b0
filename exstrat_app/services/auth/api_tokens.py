"""Personal API tokens: made by a signed-in person for their scripts, scoped read or write
(docs/api-tokens-and-sessions.md; which routes each scope may call is the API's own rule
table, api/token_access.py).

A token is `exs_` and 43 random URL-safe characters (256 bits). It is shown once, when made;
only its SHA-256 is stored (a database reader cannot call the API with it), with a hint of
its first characters so the person can tell their tokens apart. A token may expire after
1 to 365 days, or never (the person's choice, made explicit: `expires_in_days=None`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import ApiToken, User
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound, Unauthorized

PREFIX = "exs_"
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters
HINT_CHARS = 4  # after the prefix: "exs_AbCd…"
MAX_TOKENS = 20
MAX_DAYS = 365
MAX_NAME = 100
SCOPES = ("read", "write")
# `last_used_at` moves at most this often: one write a minute, not one a call.
USED_EVERY = timedelta(seconds=60)
_SHAPE = re.compile(r"exs_[A-Za-z0-9_-]{32,128}")

BAD_TOKEN = N_("This personal token is unknown, revoked or expired.")
NO_SUCH_TOKEN = N_("There is no such token: it may have been revoked already.")
TOO_MANY = N_(
    "You have {n} personal tokens, the most there can be: revoke one first.", n=MAX_TOKENS
)
DEMO_REFUSED = N_("The demo account is shared by every visitor: it cannot have personal tokens.")


@dataclass(frozen=True)
class TokenView:
    """A token as its owner sees it in the list: never its value."""

    id: str
    name: str
    scope: str
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    view: TokenView
    token: str  # shown once, to the person who made it; never stored, never logged


@dataclass(frozen=True)
class TokenIdentity:
    """Who a valid token speaks for, and what it may do."""

    token_id: str
    user_id: str
    scope: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(row: ApiToken) -> TokenView:
    return TokenView(
        id=row.id,
        name=row.name,
        scope=row.scope,
        hint=row.hint,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


def _clean_name(name: object) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise InvalidInput(N_("Give the token a name."), fields={"name": N_("required")})
    if len(text) > MAX_NAME:
        raise InvalidInput(
            N_("The name is too long (at most {n} characters).", n=MAX_NAME),
            fields={"name": N_("at most {n} characters", n=MAX_NAME)},
        )
    return text


def _clean_scope(scope: object) -> str:
    if scope not in SCOPES:
        raise InvalidInput(
            N_(
                'The scope is "read" (look only) or "write" (also change strategies, openings '
                "and notifications)."
            ),
            fields={"scope": N_("read or write")},
        )
    return str(scope)


def _clean_days(days: object) -> int | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            N_("A token expires after 1 to {n} days, or never (no number).", n=MAX_DAYS),
            fields={"expiresInDays": N_("1 to {n}, or null", n=MAX_DAYS)},
        )
    return days


def create_token(
    session: Session,
    user_id: str,
    *,
    name: object,
    scope: object,
    expires_in_days: object,
    now: datetime | None = None,
) -> CreatedToken:
    """A new token for the user (its value is in the result, and nowhere else). The caller
    commits."""
    clean_name, clean_scope = _clean_name(name), _clean_scope(scope)
    days = _clean_days(expires_in_days)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(NO_SUCH_TOKEN)
    if user.is_demo:
        raise Conflict(DEMO_REFUSED)
    count = session.exec(
        select(func.count()).select_from(ApiToken).where(col(ApiToken.user_id) == user_id)
    ).one()
    if count >= MAX_TOKENS:
        raise Conflict(TOO_MANY)
    moment = now or utcnow()
    token = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    row = ApiToken(
        user_id=user_id,
        name=clean_name,
        scope=clean_scope,
        token_hash=digest(token),
        hint=token[: len(PREFIX) + HINT_CHARS] + "…",
        created_at=moment,
        expires_at=moment + timedelta(days=days) if days is not None else None,
    )
    session.add(row)
    session.flush()
    return CreatedToken(view=_view(row), token=token)


def list_tokens(session: Session, user_id: str) -> list[TokenView]:
    """The user's tokens, newest first (expired ones too, until revoked)."""
    query = (
        select(ApiToken)
        .where(col(ApiToken.user_id) == user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id))
    )
    return [_view(row) for row in session.exec(query).all()]


def revoke_token(session: Session, user_id: str, token_id: str) -> None:
    """Delete one of the user's tokens: its next call is refused. The caller commits."""
    row = session.get(ApiToken, token_id[:64])
    if row is None or row.user_id != user_id:
        raise NotFound(NO_SUCH_TOKEN)
    session.delete(row)
    session.flush()


def authenticate(session: Session, token: str, *, now: datetime | None = None) -> TokenIdentity:
    """Who a presented token speaks for; Unauthorized when it is malformed, unknown (revoked)
    or expired. Notes its use (at most once a minute). The caller commits."""
    if not _SHAPE.fullmatch(token):
        raise Unauthorized(BAD_TOKEN)
    row = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == digest(token))).first()
    moment = now or utcnow()
    if row is None or (row.expires_at is not None and row.expires_at <= moment):
        raise Unauthorized(BAD_TOKEN)
    if row.last_used_at is None or row.last_used_at < moment - USED_EVERY:
        _note_use(session, row.id, moment)
    return TokenIdentity(token_id=row.id, user_id=row.user_id, scope=row.scope)


def _note_use(session: Session, token_id: str, moment: datetime) -> None:
    # Conditional, so two calls racing for the same minute write once.
    used = col(ApiToken.last_used_at)
    stale = used.is_(None) | (used < moment - USED_EVERY)
    session.exec(  # type: ignore[call-overload]
        update(ApiToken)
        .where(col(ApiToken.id) == token_id)
        .where(stale)
        .values(last_used_at=moment)
    )

"""The signed-in person's sessions over HTTP (services/auth/session_list.py):

    GET    /api/auth/sessions             -> [{id, current, createdAt, lastSeenAt, ip, userAgent}]
    DELETE /api/auth/sessions/{id}        -> 204: that session is signed out
    POST   /api/auth/sessions/end-others  -> 204: "sign out everywhere else" (this one stays)

Only with the session cookie: personal tokens are refused here (api/token_access.py). A
session signed out here is refused at once by the API, and its open tabs are sent to /login
through the alert relay once the change is committed (docs/api-tokens-and-sessions.md).
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response

from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep, SettingsDep, session_token
from exstrat_app.api.schemas import Body
from exstrat_app.services.auth import session_list
from exstrat_app.services.auth.sessions import session_jti
from exstrat_app.services.notifications import push

router = APIRouter(tags=["sessions"])


class SessionOut(Body):
    id: str  # a digest of the session's `jti`: what DELETE takes
    current: bool  # the session making this request
    created_at: str
    last_seen_at: str
    ip: str
    user_agent: str

    @classmethod
    def of(cls, view: session_list.SessionView) -> SessionOut:
        return cls(
            id=view.id,
            current=view.current,
            created_at=view.created_at.isoformat(),
            last_seen_at=view.last_seen_at.isoformat(),
            ip=view.ip,
            user_agent=view.user_agent,
        )


@router.get("/api/auth/sessions", response_model=list[SessionOut])
def list_sessions(
    request: Request, user_id: CurrentUserId, session: SessionDep, settings: SettingsDep
) -> list[SessionOut]:
    """The sessions still signed in, newest first; `current` marks the one asking."""
    current = session_jti(settings, session_token(request) or "")
    views = session_list.list_sessions(session, user_id, current_jti=current)
    return [SessionOut.of(view) for view in views]


@router.delete("/api/auth/sessions/{session_id}", status_code=204, response_class=Response)
def end_session(
    session_id: str,
    user_id: CurrentUserId,
    session: SessionDep,
    redis: RedisDep,
    background: BackgroundTasks,
) -> Response:
    """Sign one session out (404 for an id that is not one of yours, or already ended)."""
    session_list.end_session(session, user_id, session_id[:64])
    # After the answer, so after the commit: the relay must find the session revoked.
    background.add_task(push.announce_signed_out, redis, user_id=user_id)
    return Response(status_code=204)


@router.post("/api/auth/sessions/end-others", status_code=204, response_class=Response)
def end_other_sessions(
    request: Request,
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    background: BackgroundTasks,
) -> Response:
    """Sign out everywhere else: every session but the one asking ends."""
    keep = session_jti(settings, session_token(request) or "")
    session_list.end_all_but(session, user_id, keep_jti=keep)
    background.add_task(push.announce_signed_out, redis, user_id=user_id)
    return Response(status_code=204)

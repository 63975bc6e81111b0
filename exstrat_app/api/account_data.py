"""A person's data as a whole over HTTP (docs/account-data.md):

    GET    /api/me/export                  -> 200 application/zip, every table of theirs
    DELETE /api/me {password, totpCode?}   -> 204, the account and all its data gone

The export is built in the request's unit of work, then streamed. The deletion asks for the
password like every change that needs it (none 422, wrong 401, locked 429 with Retry-After)
and, with two-factor sign-in on, a code from the app or a recovery code (none or wrong: 401
on `totpCode`); it commits with the request, then the session cookie is cleared, the user's
waiting jobs dropped and the goodbye email sent, after the answer.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.auth import clear_session_cookie
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep, SettingsDep
from exstrat_app.services.account import archive, erasure

router = APIRouter(tags=["account"])


class DeleteAccountIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    password: str = Field(default="", max_length=4096)
    totp_code: str = Field(default="", max_length=64, alias="totpCode")


@router.get(
    "/api/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {archive.MEDIA_TYPE: {}}}},
)
def export_all(user_id: CurrentUserId, session: SessionDep) -> StreamingResponse:
    """Everything of the signed-in user as a zip: a JSON file per table, and the CSVs."""
    built = archive.build_archive(session, user_id)
    return StreamingResponse(
        built.chunks(),
        media_type=archive.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{built.filename}"'},
    )


@router.delete("/api/me", status_code=204, response_class=Response)
def delete_me(
    user_id: CurrentUserId,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    background: BackgroundTasks,
    body: DeleteAccountIn | None = None,
) -> Response:
    """Delete the signed-in user's account and every row of theirs; the cookie is cleared."""
    given = body or DeleteAccountIn()
    farewell = erasure.delete_account(
        session, bootstrap.secret_box(), redis, user_id,
        password=given.password, code=given.totp_code, throttle=bootstrap.password_throttle(),
    )  # fmt: skip
    # Background tasks run once the answer is sent, so after the unit of work committed.
    background.add_task(erasure.after_deletion, farewell, redis=redis, settings=settings)
    response = Response(status_code=204, background=background)
    clear_session_cookie(response, settings)
    return response

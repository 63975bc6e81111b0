"""Exchange accounts over HTTP (SPEC §5): add (key checked, stored sealed), list, show,
delete, and start a sync. Secrets are write-only: no response ever contains them.

The response models below are the one place where the exchanges context's views become JSON
(`schemas.Body`: camelCase keys; times as ISO 8601 with their offset; field order as sent).
The request's unit of work (`SessionDep`) commits what a route added once it has returned.
"""

from __future__ import annotations

from typing import Annotated, Self

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep, SettingsDep
from exstrat_app.api.schemas import Body, ViewBody
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.services.exchanges import accounts as accounts_service
from exstrat_app.services.exchanges import scheduling
from exstrat_app.services.exchanges.accounts import AccountView

router = APIRouter(tags=["exchanges"])

SecretBoxDep = Annotated[SecretBox, Depends(bootstrap.secret_box)]
# GET /api/exchanges pages: `?limit=` (default 50, at most 100) and `?offset=`.
DEFAULT_PAGE = 50
MAX_PAGE = 100
NEXT_OFFSET_HEADER = "X-Next-Offset"
PAGE_HEADERS = {
    NEXT_OFFSET_HEADER: {
        "description": "The `offset` of the next page; absent on the last page.",
        "schema": {"type": "integer"},
    }
}


class ExchangeIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    # Lengths are bounded here (abuse) and checked by the service (which words the messages).
    exchange: str = Field(default="", max_length=40)
    api_key: str = Field(default="", alias="apiKey", max_length=4096)
    api_secret: str = Field(default="", alias="apiSecret", max_length=8192)
    api_pass: str | None = Field(default=None, alias="apiPass", max_length=4096)
    nickname: str | None = Field(default=None, max_length=1000)


class AccountSummaryOut(ViewBody):
    """An account as just added: who it is, never its key."""

    id: str
    exchange: str
    nickname: str | None
    status: str


class SyncProgressOut(Body):
    done: int
    total: int
    eta_seconds: int | None = None  # estimated time left while syncing (None: unknown)


class AccountDetailOut(AccountSummaryOut):
    """An account with its sync state: when it last synced, why it failed, how far it is."""

    last_sync_at: str | None
    last_error: str | None
    progress: SyncProgressOut
    created_at: str

    @classmethod
    def of(cls, view: AccountView, **given: object) -> Self:  # type: ignore[override]
        progress = SyncProgressOut(
            done=view.progress_done, total=view.progress_total, eta_seconds=view.progress_eta_s
        )
        return super().of(view, progress=progress, **given)


class SyncStartedOut(Body):
    """The ids of the run's jobs, one per step (the running run's if one was under way)."""

    job_ids: list[str]


@router.post("/api/exchanges", status_code=201, response_model=AccountSummaryOut)
def add_exchange(
    body: ExchangeIn,
    user_id: CurrentUserId,
    session: SessionDep,
    box: SecretBoxDep,
    settings: SettingsDep,
) -> AccountSummaryOut:
    """409 once the user has EXSTRAT_MAX_ACCOUNTS (20) accounts (the key is not checked)."""
    account = accounts_service.add_account(
        session,
        box,
        max_accounts=settings.max_accounts_per_user,
        user_id=user_id,
        exchange=body.exchange,
        api_key=body.api_key,
        api_secret=body.api_secret,
        api_pass=body.api_pass,
        nickname=body.nickname,
    )
    return AccountSummaryOut.of(account)


@router.get(
    "/api/exchanges",
    response_model=list[AccountDetailOut],
    responses={200: {"headers": PAGE_HEADERS}},
)
def list_exchanges(
    user_id: CurrentUserId,
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AccountDetailOut]:
    """The user's accounts, oldest first, one page at a time: `limit` (default 50, at most
    100) from `offset`; `X-Next-Offset` gives the next page's offset when there is one."""
    accounts = accounts_service.list_accounts(session, user_id=user_id)
    if len(accounts) > offset + limit:
        response.headers[NEXT_OFFSET_HEADER] = str(offset + limit)
    return [AccountDetailOut.of(a) for a in accounts[offset : offset + limit]]


@router.get("/api/exchanges/{account_id}", response_model=AccountDetailOut)
def show_exchange(account_id: str, user_id: CurrentUserId, session: SessionDep) -> AccountDetailOut:
    account = accounts_service.show_account(session, user_id=user_id, account_id=account_id)
    return AccountDetailOut.of(account)


@router.delete("/api/exchanges/{account_id}", status_code=204)
def delete_exchange(account_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    accounts_service.delete_account(session, user_id=user_id, account_id=account_id)
    return Response(status_code=204)


@router.post("/api/exchanges/{account_id}/sync", status_code=202, response_model=SyncStartedOut)
def sync_exchange(
    account_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> SyncStartedOut:
    job_ids = scheduling.request_sync(session, user_id=user_id, account_id=account_id, redis=redis)
    return SyncStartedOut(job_ids=job_ids)

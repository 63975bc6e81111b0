"""Exchange accounts over HTTP (SPEC §5): add (key checked, stored sealed), list, show,
delete, and start a sync. Secrets are write-only: no response ever contains them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep
from exstrat_app.models import ExchangeAccount
from exstrat_app.services.exchanges import accounts as accounts_service
from exstrat_app.services.exchanges import sync as sync_service

router = APIRouter(tags=["exchanges"])


class ExchangeIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    # Lengths are bounded here (abuse) and checked by the service (which words the messages).
    exchange: str = Field(default="", max_length=40)
    api_key: str = Field(default="", alias="apiKey", max_length=4096)
    api_secret: str = Field(default="", alias="apiSecret", max_length=8192)
    api_pass: str | None = Field(default=None, alias="apiPass", max_length=4096)
    nickname: str | None = Field(default=None, max_length=1000)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def account_summary(account: ExchangeAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "exchange": account.exchange,
        "nickname": account.nickname,
        "status": account.status,
    }


def account_detail(account: ExchangeAccount) -> dict[str, Any]:
    return {
        **account_summary(account),
        "lastSyncAt": _iso(account.last_sync_at),
        "lastError": account.last_error,
        "progress": {"done": account.progress_done, "total": account.progress_total},
        "createdAt": _iso(account.created_at),
    }


@router.post("/api/exchanges", status_code=201)
def add_exchange(
    body: ExchangeIn, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> dict[str, Any]:
    account = accounts_service.add_account(
        session,
        user_id=user_id,
        exchange=body.exchange,
        api_key=body.api_key,
        api_secret=body.api_secret,
        api_pass=body.api_pass,
        nickname=body.nickname,
        redis=redis,
    )
    return account_summary(account)


@router.get("/api/exchanges")
def list_exchanges(user_id: CurrentUserId, session: SessionDep) -> list[dict[str, Any]]:
    return [account_detail(a) for a in accounts_service.list_accounts(session, user_id=user_id)]


@router.get("/api/exchanges/{account_id}")
def show_exchange(account_id: str, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    account = accounts_service.get_account(session, user_id=user_id, account_id=account_id)
    return account_detail(account)


@router.delete("/api/exchanges/{account_id}", status_code=204)
def delete_exchange(account_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    accounts_service.delete_account(session, user_id=user_id, account_id=account_id)
    return Response(status_code=204)


@router.post("/api/exchanges/{account_id}/sync", status_code=202)
def sync_exchange(
    account_id: str, user_id: CurrentUserId, session: SessionDep, redis: RedisDep
) -> dict[str, Any]:
    job_ids = sync_service.request_sync(
        session, user_id=user_id, account_id=account_id, redis=redis
    )
    return {"jobIds": job_ids}

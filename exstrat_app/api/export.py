"""CSV downloads: `GET /api/export/{kind}.csv?account=<id>&quote=EUR`, kind one of trades,
transfers, positions, history; scoped to the signed-in user (columns: docs/export.md); the
positions and history in `?quote=`, else the user's currency (docs/currencies.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.api.portfolio import QuoteParam, resolve_quote
from exstrat_app.services.portfolio import export as export_service

router = APIRouter(tags=["export"])


@router.get("/api/export/{kind}.csv", response_class=Response)
def export_csv(
    kind: str,
    user_id: CurrentUserId,
    session: SessionDep,
    account: Annotated[str | None, Query(max_length=32)] = None,
    quote: QuoteParam = None,
) -> Response:
    text = export_service.export_csv(
        session,
        user_id,
        kind[:20],
        account=account or None,
        quote=resolve_quote(session, user_id, quote),
    )
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="exstrat-{kind[:20]}.csv"'},
    )

"""The portfolio over HTTP (SPEC §5): the positions with their values, and one token's
detail. Decimals are strings; everything is scoped to the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.services.portfolio import rebuild as portfolio_service

router = APIRouter(tags=["portfolio"])

QuoteParam = Annotated[str, Query(max_length=10)]


@router.get("/api/portfolio")
def portfolio(
    user_id: CurrentUserId, session: SessionDep, quote: QuoteParam = "USDT"
) -> list[dict[str, Any]]:
    """`[{asset, quantity, avgPrice, price, value, pnl, pnlPct, unexplained, ...}]`."""
    return portfolio_service.portfolio_view(session, user_id=user_id, quote=quote).rows


@router.get("/api/portfolio/summary")
def portfolio_summary(
    user_id: CurrentUserId, session: SessionDep, quote: QuoteParam = "USDT"
) -> dict[str, Any]:
    """The same rows plus totals: `{quote, rows, totals: {value, pnl, realizedPnl, unpriced}}`."""
    view = portfolio_service.portfolio_view(session, user_id=user_id, quote=quote)
    return {"quote": view.quote, "rows": view.rows, "totals": view.totals}


@router.get("/api/tokens/{asset}")
def token(
    asset: str,
    user_id: CurrentUserId,
    session: SessionDep,
    quote: QuoteParam = "USDT",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[
        int, Query(alias="pageSize", ge=1, le=portfolio_service.MAX_PAGE_SIZE)
    ] = 50,
) -> dict[str, Any]:
    """`{position, trades, transfers, pnl: {realized, unrealized}}` (newest first, paged)."""
    return portfolio_service.token_view(
        session, user_id=user_id, asset=asset[:20], page=page, page_size=page_size, quote=quote
    )

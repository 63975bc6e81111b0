"""The portfolio over HTTP (SPEC §5): the positions with their values, and one token's
detail. Decimals are strings (api/schemas.py); everything is scoped to the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.api.schemas import PortfolioRowOut, PortfolioSummaryOut, TokenOut
from exstrat_app.services.portfolio import token as token_service
from exstrat_app.services.portfolio import views as portfolio_service

router = APIRouter(tags=["portfolio"])

QuoteParam = Annotated[str, Query(max_length=10)]


def last_prices() -> portfolio_service.LastPrices:
    """The price provider's fresh last prices (cached in the app's Redis)."""
    return bootstrap.price_provider().last_prices


LastPricesDep = Annotated[portfolio_service.LastPrices, Depends(last_prices)]


@router.get("/api/portfolio", response_model=list[PortfolioRowOut])
def portfolio(
    user_id: CurrentUserId, session: SessionDep, prices: LastPricesDep, quote: QuoteParam = "USDT"
) -> list[PortfolioRowOut]:
    """One row per asset, largest value first."""
    view = portfolio_service.portfolio_view(session, user_id=user_id, prices=prices, quote=quote)
    return [PortfolioRowOut.of(row) for row in view.rows]


@router.get("/api/portfolio/summary", response_model=PortfolioSummaryOut)
def portfolio_summary(
    user_id: CurrentUserId, session: SessionDep, prices: LastPricesDep, quote: QuoteParam = "USDT"
) -> PortfolioSummaryOut:
    """The same rows plus their totals."""
    view = portfolio_service.portfolio_view(session, user_id=user_id, prices=prices, quote=quote)
    return PortfolioSummaryOut.of(view)


@router.get("/api/tokens/{asset}", response_model=TokenOut)
def token(
    asset: str,
    user_id: CurrentUserId,
    session: SessionDep,
    prices: LastPricesDep,
    quote: QuoteParam = "USDT",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=token_service.MAX_PAGE_SIZE)] = 50,
) -> TokenOut:
    """The position, trades and transfers (newest first, paged) and the P&L of one asset."""
    view = token_service.token_view(
        session,
        user_id=user_id,
        asset=asset[:20],
        prices=prices,
        page=page,
        page_size=page_size,
        quote=quote,
    )
    return TokenOut.of(view)

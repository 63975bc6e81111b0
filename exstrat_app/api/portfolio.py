"""The portfolio over HTTP: the positions with their values, one token's detail,
and the user's opening positions (`/api/openings`: history no API shows; a change rebuilds
the positions). Decimals are strings (api/schemas.py); everything is scoped to the
signed-in user. Request bodies keep the exact digits sent (numbers parsed as Decimal).

`?quote=` (USDT, USDC, USD or EUR) picks the reporting currency of one request; without it
the user's own choice applies (docs/currencies.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from redis import Redis
from sqlmodel import Session

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep
from exstrat_app.api.schemas import OpeningOut, PortfolioRowOut, PortfolioSummaryOut, TokenOut
from exstrat_app.api.strategies import JsonBody
from exstrat_app.domain.currency import quote_for_currency
from exstrat_app.services.auth.preferences import user_preferences
from exstrat_app.services.portfolio import openings as openings_service
from exstrat_app.services.portfolio import token as token_service
from exstrat_app.services.portfolio import views as portfolio_service
from exstrat_app.services.portfolio.rebuild import recompute_for_user

router = APIRouter(tags=["portfolio"])

QuoteParam = Annotated[str | None, Query(max_length=10)]


def resolve_quote(session: Session, user_id: str, quote: str | None) -> str:
    """The request's `?quote=` when given, else the user's currency (EUR, or USDT for USD)."""
    if quote:
        return quote
    return quote_for_currency(user_preferences(session, user_id).currency)


def last_prices() -> portfolio_service.LastPrices:
    """The price provider's fresh last prices (cached in the app's Redis)."""
    return bootstrap.price_provider().last_prices


LastPricesDep = Annotated[portfolio_service.LastPrices, Depends(last_prices)]


@router.get("/api/portfolio", response_model=list[PortfolioRowOut])
def portfolio(
    user_id: CurrentUserId, session: SessionDep, prices: LastPricesDep, quote: QuoteParam = None
) -> list[PortfolioRowOut]:
    """One row per asset, largest value first."""
    quote = resolve_quote(session, user_id, quote)
    view = portfolio_service.portfolio_view(session, user_id=user_id, prices=prices, quote=quote)
    return [PortfolioRowOut.of(row) for row in view.rows]


@router.get("/api/portfolio/summary", response_model=PortfolioSummaryOut)
def portfolio_summary(
    user_id: CurrentUserId, session: SessionDep, prices: LastPricesDep, quote: QuoteParam = None
) -> PortfolioSummaryOut:
    """The same rows plus their totals."""
    quote = resolve_quote(session, user_id, quote)
    view = portfolio_service.portfolio_view(session, user_id=user_id, prices=prices, quote=quote)
    return PortfolioSummaryOut.of(view)


@router.get("/api/tokens/{asset}", response_model=TokenOut)
def token(
    asset: str,
    user_id: CurrentUserId,
    session: SessionDep,
    prices: LastPricesDep,
    quote: QuoteParam = None,
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
        quote=resolve_quote(session, user_id, quote),
    )
    return TokenOut.of(view)


# ---------------------------------------------------------------- opening positions


def positions_rebuild(redis: RedisDep) -> openings_service.Rebuild:
    """The positions rebuild with the app's Redis (candle and replay caches)."""

    def rebuild(session: Session, user_id: str, redis: Redis = redis) -> None:
        recompute_for_user(session, user_id, redis=redis)

    return rebuild


RebuildDep = Annotated[openings_service.Rebuild, Depends(positions_rebuild)]


@router.get("/api/openings", response_model=list[OpeningOut])
def openings(
    user_id: CurrentUserId,
    session: SessionDep,
    asset: Annotated[str | None, Query(max_length=20)] = None,
) -> list[OpeningOut]:
    """The user's opening positions (of one asset with `?asset=ETH`), oldest first."""
    views = openings_service.list_openings(session, user_id=user_id, asset=asset)
    return [OpeningOut.of(v) for v in views]


@router.post("/api/openings", status_code=201, response_model=OpeningOut)
def add_opening(
    body: JsonBody, user_id: CurrentUserId, session: SessionDep, rebuild: RebuildDep
) -> OpeningOut:
    """`{"asset": "ETH", "quantity": "2", "totalCost": "3000", "at": "2019-06-01",
    "note": "bought on a delisted pair"}`: stored, then the positions are rebuilt."""
    view = openings_service.add_opening(
        session,
        user_id=user_id,
        asset=body.get("asset"),
        quantity=body.get("quantity"),
        total_cost=body.get("totalCost"),
        at=body.get("at"),
        note=body.get("note"),
        quote=body.get("quote") or "USDT",
        rebuild=rebuild,
    )
    return OpeningOut.of(view)


@router.delete("/api/openings/{opening_id}", status_code=204)
def delete_opening(
    opening_id: str, user_id: CurrentUserId, session: SessionDep, rebuild: RebuildDep
) -> Response:
    openings_service.delete_opening(
        session, user_id=user_id, opening_id=opening_id, rebuild=rebuild
    )
    return Response(status_code=204)

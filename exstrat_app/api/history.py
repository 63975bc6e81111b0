"""The value history over HTTP: the user's portfolio day by day and one asset's position day
by day, in `?quote=` or the user's currency (docs/currencies.md). Read from the stored history
only (never the exchange)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.api.history_schemas import AssetHistoryOut, HistoryOut
from exstrat_app.api.portfolio import QuoteParam, resolve_quote
from exstrat_app.services.portfolio import history as history_service

router = APIRouter(tags=["portfolio"])

StartParam = Annotated[date | None, Query(description="first day, YYYY-MM-DD (UTC)")]


@router.get("/api/portfolio/history", response_model=HistoryOut)
def portfolio_history(
    user_id: CurrentUserId, session: SessionDep, start: StartParam = None, quote: QuoteParam = None
) -> HistoryOut:
    """One point per day from the first activity (or `start`) to today, oldest first;
    `building` with `progress` while the first build runs."""
    quote = resolve_quote(session, user_id, quote)
    view = history_service.value_history(session, user_id, start=start, quote=quote)
    return HistoryOut.of(view)


@router.get("/api/tokens/{asset}/history", response_model=AssetHistoryOut)
def token_history(
    asset: str,
    user_id: CurrentUserId,
    session: SessionDep,
    start: StartParam = None,
    quote: QuoteParam = None,
) -> AssetHistoryOut:
    """The asset's quantity, value and average cost day by day."""
    quote = resolve_quote(session, user_id, quote)
    view = history_service.asset_history(session, user_id, asset[:20], start=start, quote=quote)
    return AssetHistoryOut.of(view)

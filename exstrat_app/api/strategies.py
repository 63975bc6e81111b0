"""Strategies and last prices over HTTP.

Request bodies are parsed with `json.loads(parse_float=Decimal)`: a JSON number keeps exactly
the digits the client sent (10.5 is Decimal("10.5"), never the float 10.5), and strings
("10.5") work as well. Validation is the service's, so every problem comes back at once as
`422 {"error": {"fields": {"steps.1.targetPct": "..."}}}`.

The use cases return views (Decimals, datetimes); every answer goes out through a response
model of `api/strategy_schemas.py` (decimal strings, camelCase keys), so the OpenAPI schema
describes the real bodies. The request's session commits once the route has returned.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from redis.exceptions import RedisError

from exstrat_app import bootstrap
from exstrat_app.api.deps import CurrentUserId, RedisDep, SessionDep, SettingsDep
from exstrat_app.api.request_guard import MAX_BODY_BYTES
from exstrat_app.api.strategy_schemas import (
    DraftOut,
    PriceOut,
    StrategyOut,
    WarnedStrategyOut,
    WarningOut,
)
from exstrat_app.domain.assets import is_ticker
from exstrat_app.domain.money import STABLE_QUOTES
from exstrat_app.i18n import N_
from exstrat_app.services import strategies as service
from exstrat_app.services.errors import ExchangeUnavailable, InvalidInput

router = APIRouter(tags=["strategies"])

MAX_PRICE_ASSETS = 100
# GET /api/strategies pages: `?limit=` (default 100, at most 200) and `?offset=`.
DEFAULT_PAGE = 100
MAX_PAGE = 200
NEXT_OFFSET_HEADER = "X-Next-Offset"
PAGE_HEADERS = {
    NEXT_OFFSET_HEADER: {
        "description": "The `offset` of the next page; absent on the last page.",
        "schema": {"type": "integer"},
    }
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")  # caught below: never shown


async def decimal_json_body(request: Request) -> dict[str, Any]:
    """The JSON object body, numbers as Decimal; 422 for anything else."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(N_("The request body is too large."), fields={"body": N_("too large")})
    try:
        data = json.loads(raw or b"null", parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(
            N_("The body is not valid JSON."), fields={"body": N_("invalid JSON")}
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(N_("Send a JSON object."), fields={"body": N_("must be a JSON object")})
    return data


JsonBody = Annotated[dict[str, Any], Depends(decimal_json_body)]


def lot_step_lookup(redis: RedisDep) -> service.LotStepLookup:
    """The exchanges' lot sizes, cached in the app's Redis."""
    return service.exchange_lot_step_lookup(redis)


LotStepsDep = Annotated[service.LotStepLookup, Depends(lot_step_lookup)]


def _strategy_args(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "asset": body.get("asset"),
        "reference": body.get("reference"),
        "base_qty": body.get("baseQty"),
        "exchange_account_id": body.get("exchangeAccountId"),
        "steps": body.get("steps"),
        "notify": body.get("notify"),
        "name": body.get("name"),
        "stop_loss": body.get("stopLoss"),  # {type: pct | price, value, breakEven}
        "quote": body.get("quote"),  # USDT (when left out) | EUR
    }


@router.post("/api/strategies/preview", response_model=DraftOut)
def preview(
    body: JsonBody, user_id: CurrentUserId, session: SessionDep, lots: LotStepsDep
) -> DraftOut:
    view = service.preview_strategy(
        session, user_id=user_id, lot_step_lookup=lots, **_strategy_args(body)
    )
    return DraftOut.of(view, warnings=_warnings(session, user_id, view))


def _warnings(session: SessionDep, user_id: str, view: service.StrategyView) -> list[WarningOut]:
    """What is worth a second look in the ladder (never an error: see ladder_warnings)."""
    found = service.ladder_warnings(
        session, user_id=user_id, view=view, prices=bootstrap.price_provider()
    )
    return WarningOut.all_of(found)


@router.post("/api/strategies", status_code=201, response_model=WarnedStrategyOut)
def create(
    body: JsonBody,
    user_id: CurrentUserId,
    session: SessionDep,
    lots: LotStepsDep,
    settings: SettingsDep,
) -> WarnedStrategyOut:
    """409 once the user has EXSTRAT_MAX_STRATEGIES (200) strategies."""
    view = service.create_strategy(
        session,
        user_id=user_id,
        lot_step_lookup=lots,
        max_strategies=settings.max_strategies_per_user,
        **_strategy_args(body),
    )
    return WarnedStrategyOut.of(view, warnings=_warnings(session, user_id, view))


@router.get(
    "/api/strategies",
    response_model=list[StrategyOut],
    responses={200: {"headers": PAGE_HEADERS}},
)
def list_all(
    user_id: CurrentUserId,
    session: SessionDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[StrategyOut]:
    """The user's strategies, newest first, one page at a time: `limit` (default 100, at
    most 200) from `offset`; `X-Next-Offset` gives the next page's offset when there is one."""
    views = service.list_strategies(session, user_id=user_id, limit=limit + 1, offset=offset)
    if len(views) > limit:
        response.headers[NEXT_OFFSET_HEADER] = str(offset + limit)
    return [StrategyOut.of(v) for v in views[:limit]]


@router.get("/api/strategies/{strategy_id}", response_model=StrategyOut)
def detail(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> StrategyOut:
    return StrategyOut.of(
        service.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)
    )


def own_strategy_id(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> str:
    """404 for another user's (or no) ladder, before the body is read: the answer to a
    stranger's id never depends on what they sent."""
    service.owned_strategy(session, user_id=user_id, strategy_id=strategy_id)
    return strategy_id


@router.put("/api/strategies/{strategy_id}", response_model=WarnedStrategyOut)
def edit(
    strategy_id: Annotated[str, Depends(own_strategy_id)],
    body: JsonBody,
    user_id: CurrentUserId,
    session: SessionDep,
    lots: LotStepsDep,
) -> WarnedStrategyOut:
    """{name?, steps?: [{targetPct?, sellPct?}, ...] (every step, in order)}: only pending
    steps may change (409 for a reached one); 422 as on creation."""
    view = service.edit_strategy(
        session, user_id=user_id, strategy_id=strategy_id, lot_step_lookup=lots, changes=body
    )
    return WarnedStrategyOut.of(view, warnings=_warnings(session, user_id, view))


@router.delete("/api/strategies/{strategy_id}", status_code=204)
def remove(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> Response:
    """204; 409 while the ladder has an order (cancel it first)."""
    service.delete_strategy(session, user_id=user_id, strategy_id=strategy_id)
    return Response(status_code=204)


def _act(session: SessionDep, user_id: str, strategy_id: str, action: str) -> StrategyOut:
    return StrategyOut.of(
        service.change_status(session, user_id=user_id, strategy_id=strategy_id, action=action)
    )


@router.post("/api/strategies/{strategy_id}/pause", response_model=StrategyOut)
def pause(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> StrategyOut:
    return _act(session, user_id, strategy_id, "pause")


@router.post("/api/strategies/{strategy_id}/resume", response_model=StrategyOut)
def resume(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> StrategyOut:
    return _act(session, user_id, strategy_id, "resume")


@router.post("/api/strategies/{strategy_id}/complete", response_model=StrategyOut)
def complete(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> StrategyOut:
    return _act(session, user_id, strategy_id, "complete")


@router.post("/api/strategies/{strategy_id}/steps/{step_id}/done", response_model=StrategyOut)
def step_done(
    strategy_id: str, step_id: str, user_id: CurrentUserId, session: SessionDep
) -> StrategyOut:
    service.mark_step_done(session, user_id=user_id, step_id=step_id, strategy_id=strategy_id)
    return StrategyOut.of(
        service.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)
    )


# ---------------------------------------------------------------- prices


def _parse_assets(text: str) -> list[str]:
    assets = [a.strip().upper() for a in text.split(",") if a.strip()]
    bad = [a for a in assets if not is_ticker(a)]
    if not assets or bad or len(assets) > MAX_PRICE_ASSETS:
        raise InvalidInput(
            N_("List assets as tickers separated by commas."),
            fields={"assets": N_("1 to {n} tickers like ETH,BTC", n=MAX_PRICE_ASSETS)},
        )
    return list(dict.fromkeys(assets))


@router.get("/api/prices", response_model=dict[str, PriceOut | None])
def prices(
    user_id: CurrentUserId,
    assets: Annotated[str, Query(max_length=2000)] = "",
    quote: Annotated[str, Query(max_length=10)] = "USDT",
) -> dict[str, PriceOut | None]:
    """{asset: {price, at, stale} | null}: the cached last price and when it was fetched."""
    wanted = _parse_assets(assets)
    quote = quote.upper()
    if quote not in STABLE_QUOTES:
        raise InvalidInput(N_("Unsupported quote."), fields={"quote": N_("use USDT, USDC or USD")})
    provider = bootstrap.price_provider()
    try:
        found = provider.last_prices(wanted, quote, include_stale=True)
    except RedisError:
        raise ExchangeUnavailable(N_("Prices are unavailable right now.")) from None
    stale_after = provider.stale_after_seconds
    return {
        asset: (
            PriceOut.of(q, stale_after_seconds=stale_after) if (q := found.get(asset)) else None
        )
        for asset in wanted
    }

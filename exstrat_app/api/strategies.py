"""Strategies and last prices over HTTP (SPEC §5).

Request bodies are parsed with `json.loads(parse_float=Decimal)`: a JSON number keeps exactly
the digits the client sent (10.5 is Decimal("10.5"), never the float 10.5), and strings
("10.5") work as well. Validation is the service's, so every problem comes back at once as
`422 {"error": {"fields": {"steps.1.targetPct": "..."}}}`.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from redis.exceptions import RedisError

from exstrat_app.api.deps import CurrentUserId, SessionDep
from exstrat_app.domain.money import STABLE_QUOTES, fmt
from exstrat_app.services.errors import ExchangeUnavailable, InvalidInput
from exstrat_app.services.portfolio.prices import STALE_FACTOR, last_prices
from exstrat_app.services.strategies import commands as service
from exstrat_app.settings import get_settings

router = APIRouter(tags=["strategies"])

MAX_BODY_BYTES = 64 * 1024
MAX_PRICE_ASSETS = 100
_ASSET = re.compile(r"^[A-Z0-9]{1,20}$")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


async def decimal_json_body(request: Request) -> dict[str, Any]:
    """The JSON object body, numbers as Decimal; 422 for anything else."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput("The request body is too large.", fields={"body": "too large"})
    try:
        data = json.loads(raw or b"null", parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidInput("The body is not valid JSON.", fields={"body": "invalid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.", fields={"body": "must be a JSON object"})
    return data


JsonBody = Annotated[dict[str, Any], Depends(decimal_json_body)]


def _strategy_args(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "asset": body.get("asset"),
        "reference": body.get("reference"),
        "base_qty": body.get("baseQty"),
        "exchange_account_id": body.get("exchangeAccountId"),
        "steps": body.get("steps"),
        "notify": body.get("notify"),
        "name": body.get("name"),
    }


@router.post("/api/strategies/preview")
def preview(body: JsonBody, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    return service.preview_strategy(session, user_id=user_id, **_strategy_args(body))


@router.post("/api/strategies", status_code=201)
def create(body: JsonBody, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    strategy = service.create_strategy(session, user_id=user_id, **_strategy_args(body))
    return service.strategy_detail(session, user_id=user_id, strategy_id=strategy.id)


@router.get("/api/strategies")
def list_all(user_id: CurrentUserId, session: SessionDep) -> list[dict[str, Any]]:
    return service.list_strategies(session, user_id=user_id)


@router.get("/api/strategies/{strategy_id}")
def detail(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    return service.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)


def _act(session: Any, user_id: str, strategy_id: str, action: str) -> dict[str, Any]:
    service.change_status(session, user_id=user_id, strategy_id=strategy_id, action=action)
    return service.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)


@router.post("/api/strategies/{strategy_id}/pause")
def pause(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    return _act(session, user_id, strategy_id, "pause")


@router.post("/api/strategies/{strategy_id}/resume")
def resume(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    return _act(session, user_id, strategy_id, "resume")


@router.post("/api/strategies/{strategy_id}/complete")
def complete(strategy_id: str, user_id: CurrentUserId, session: SessionDep) -> dict[str, Any]:
    return _act(session, user_id, strategy_id, "complete")


@router.post("/api/strategies/{strategy_id}/steps/{step_id}/done")
def step_done(
    strategy_id: str, step_id: str, user_id: CurrentUserId, session: SessionDep
) -> dict[str, Any]:
    service.mark_step_done(session, user_id=user_id, step_id=step_id, strategy_id=strategy_id)
    return service.strategy_detail(session, user_id=user_id, strategy_id=strategy_id)


# ---------------------------------------------------------------- prices


def _parse_assets(text: str) -> list[str]:
    assets = [a.strip().upper() for a in text.split(",") if a.strip()]
    bad = [a for a in assets if not _ASSET.fullmatch(a)]
    if not assets or bad or len(assets) > MAX_PRICE_ASSETS:
        raise InvalidInput(
            "List assets as tickers separated by commas.",
            fields={"assets": f"1 to {MAX_PRICE_ASSETS} tickers like ETH,BTC"},
        )
    return list(dict.fromkeys(assets))


@router.get("/api/prices")
def prices(
    user_id: CurrentUserId,
    assets: Annotated[str, Query(max_length=2000)] = "",
    quote: Annotated[str, Query(max_length=10)] = "USDT",
) -> dict[str, dict[str, Any] | None]:
    """{asset: {price, at, stale} | null}: the cached last price and when it was fetched."""
    wanted = _parse_assets(assets)
    quote = quote.upper()
    if quote not in STABLE_QUOTES:
        raise InvalidInput("Unsupported quote.", fields={"quote": "use USDT, USDC or USD"})
    try:
        found = last_prices(wanted, quote, include_stale=True)
    except RedisError:
        raise ExchangeUnavailable("Prices are unavailable right now.") from None
    stale_after = STALE_FACTOR * get_settings().price_cache_seconds
    return {
        asset: (
            {
                "price": fmt(q.price),
                "at": q.at.isoformat(),
                "stale": q.age_seconds() > stale_after,
            }
            if (q := found.get(asset))
            else None
        )
        for asset in wanted
    }
